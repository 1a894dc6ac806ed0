/**
 * Child process of kill.test.ts: writes to the store in a loop until it is
 * killed, printing one line per committed transaction:
 *   progress <runId> <epochs stored>
 *   result <runId> <lags> <epochs>
 * Run as: node --import tsx kill-writer.ts <database path>
 */
import { openStore } from '../store';
import { sampleDiagnostics, sampleResult, smallConfig } from './helpers';

const LAGS = 64;
const H = 64;
const EPOCHS = 6;

const path = process.argv[2];
if (!path) throw new Error('usage: kill-writer.ts <database path>');
const store = openStore({ path });
for (;;) {
  const e = store.createExperiment('kill test', smallConfig({ models: ['const', 'shared', 'diag', 'gru', 'lstm'], seeds: [1, 2, 3] }));
  for (const run of e.runs) {
    store.setRunStatus(run.id, 'running');
    const curve = Array.from({ length: EPOCHS }, (_, epoch) => ({ epoch, train_loss: 1 / (epoch + 1), train_acc: epoch / 10, val_loss: NaN, val_acc: Infinity }));
    for (const row of curve) {
      store.saveProgress(run.id, [row]);
      process.stdout.write(`progress ${run.id} ${row.epoch + 1}\n`);
    }
    // the final curve is the live one (a result may be committed before its line is printed)
    const result = sampleResult(run.id, { curve, diagnostics: sampleDiagnostics(run.id, LAGS, H, run.arch === 'const') });
    store.saveRunResult(run.id, result);
    process.stdout.write(`result ${run.id} ${LAGS} ${result.curve.length}\n`);
  }
}
