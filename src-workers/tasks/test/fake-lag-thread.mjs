// A stand-in diagnostics lag thread (diagnostics-threads.test.ts), speaking the
// protocol of diagnostics-worker.ts. LW_FAKE_LAG_BEHAVIOUR (the environment the
// test sets before starting it): 'stall-first' holds its first batch's 'done'
// until the second batch has arrived, then 300 ms more; 'die-second' exits
// (code 3) when the second batch arrives.
import { parentPort } from 'node:worker_threads';

const behaviour = process.env.LW_FAKE_LAG_BEHAVIOUR;
let batches = 0;
let held = false;
parentPort.on('message', (m) => {
  if (m.type === 'finish') {
    parentPort.postMessage({ type: 'result', results: [] });
    return;
  }
  batches++;
  if (behaviour === 'die-second' && batches === 2) process.exit(3);
  if (behaviour === 'stall-first' && batches === 1) {
    held = true;
    return;
  }
  if (held) {
    held = false;
    setTimeout(() => {
      parentPort.postMessage({ type: 'done' });
      parentPort.postMessage({ type: 'done' });
    }, 300);
    return;
  }
  parentPort.postMessage({ type: 'done' });
});
parentPort.postMessage({ type: 'ready' });
