/**
 * One lag thread of the diagnostics (diagnostics-threads.ts): a LagWork over
 * its share of the lag grid, reading each batch from the memory it shares
 * with the run's thread (the model wrote ŷ, v and the §4.1 terms there).
 *
 * Messages in: { type: 'batch', B, set } (the first B sequences of shared
 * array set `set`), { type: 'finish' }. Out: 'ready' once built, 'done' per batch,
 * 'lag' per lag finished, then { type: 'result', results }; { type: 'error',
 * message } for any failure (the thread then waits to be terminated).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LagWork } from '../engine/diagnostics/lag-work';
import { lagSetArrays, sharedView, type LagThreadData, type LagThreadRequest } from './diagnostics-protocol';

const port = parentPort!;
const fail = (err: unknown) => port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });

try {
  const data = workerData as LagThreadData;
  const { buffers, precision } = data;
  const wOut = sharedView(buffers.wOut, precision);
  const sets = buffers.sets.map((set) => lagSetArrays(set, precision));
  const work = new LagWork(data.spec);
  port.on('message', (m: LagThreadRequest) => {
    try {
      if (m.type === 'batch') {
        const { record, v, yhat, y } = sets[m.set]!;
        work.addBatch({ B: m.B, record, v, yhat, y, wOut, wOff: 0 });
        port.postMessage({ type: 'done' });
      } else {
        const results = work.finish(() => port.postMessage({ type: 'lag' }));
        port.postMessage({ type: 'result', results });
      }
    } catch (err) {
      fail(err);
    }
  });
  port.postMessage({ type: 'ready' });
} catch (err) {
  fail(err);
}
