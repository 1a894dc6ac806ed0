// Test-only interactive-pool entry (never used by the app): the real noise-lab
// task, except for sampleStable with
//   seed 666  throws an Error in the task;
//   seed 667  process.exit(7): the worker thread dies mid-call;
//   seed 668  returns { threadId } of the thread that ran it.
import { threadId } from 'node:worker_threads';
import realTask from '../noise-lab-worker.mjs';

export default function faultyNoiseLabTask(req) {
  if (req.method === 'sampleStable') {
    if (req.arg.seed === 666) throw new Error('injected failure (seed 666)');
    if (req.arg.seed === 667) process.exit(7);
    if (req.arg.seed === 668) return { threadId };
  }
  return realTask(req);
}
