/**
 * Manual check of the exports (not a test): a smoke experiment of the five
 * models and two seeds, stored in a temporary store, exported in every
 * format into a folder (default /tmp/lw-export-preview):
 *
 *   npx tsx src-main/core/exports/test/preview.ts [OUT_DIR]
 *   pdftoppm -png -r 70 OUT_DIR/*.pdf OUT_DIR/page      # to look at the report
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportData } from '../index';
import { engineResults, smokeConfig, storeExperiment, tempFolder, tempStore } from './fixtures';

const out = process.argv[2] ?? '/tmp/lw-export-preview';
mkdirSync(out, { recursive: true });
const cfg = smokeConfig({ models: ['const', 'shared', 'diag', 'gru', 'lstm'] });
const res = await engineResults(cfg);
const f = tempFolder();
const store = tempStore(f.dir);
try {
  const exp = storeExperiment(store, 'Smoke report preview', cfg, (a, s) => res.get(`${a}/${s}`) ?? null, { notes: 'five models, two seeds', tags: ['smoke'] });
  for (const format of ['zip', 'csv', 'pdf'] as const) {
    const t0 = performance.now();
    const file = await exportData(store, { experimentId: exp.id, format });
    writeFileSync(join(out, file.fileName), file.bytes);
    console.log(`${format}: ${join(out, file.fileName)} (${file.bytes.byteLength} bytes, ${(performance.now() - t0).toFixed(0)} ms)`);
  }
} finally {
  store.close();
  f.cleanup();
}
