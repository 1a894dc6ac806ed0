/**
 * Child process of kill.test.ts: a workstation host (the service) that runs
 * two experiments on two workers until it is killed, printing one line per
 * fact the parent needs:
 *   exp <short|long> <experimentId> <runId>
 *   status <runId> <status>
 *   progress <runId> <epoch>          (a progress event)
 *   stored <runId> <epochs>           (learning-curve rows committed, read back from the database)
 *   result <runId> <digest>           (the stored result of a finished run, read back)
 * Run as: node --import tsx kill-host.ts <data dir>
 */
import { createService } from '../service';
import { resultDigest } from './result-digest';
import { tinyConfig } from './service-helpers';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: kill-host.ts <data dir>');
const out = (line: string) => process.stdout.write(`${line}\n`);
const s = createService({ dataDir, host: 'web', workers: 2, warn: (m) => process.stderr.write(`${m}\n`) });
s.subscribe((e) => {
  if (e.type === 'run-status') {
    out(`status ${e.run.id} ${e.run.status}`);
    if (e.run.status === 'done') out(`result ${e.run.id} ${resultDigest(s.store.getRunResult(e.run.id))}`);
  } else if (e.type === 'run-progress' && e.phase === 'train') out(`progress ${e.runId} ${e.epoch}`);
});
const short = await s.api.createExperiment({ name: 'short', preset: 'smoke', config: tinyConfig({ models: ['gru'], epochs: 3 }) });
out(`exp short ${short.id} ${short.runs[0]!.id}`);
const long = await s.api.createExperiment({ name: 'long', preset: 'smoke', config: tinyConfig({ models: ['gru'], epochs: Number(process.argv[3] ?? 2500) }) });
const longRun = long.runs[0]!.id;
out(`exp long ${long.id} ${longRun}`);
let lastStored = 0;
setInterval(() => {
  const n = s.store.getRun(longRun)?.epochsDone ?? 0;
  if (n !== lastStored) out(`stored ${longRun} ${(lastStored = n)}`);
}, 50);
