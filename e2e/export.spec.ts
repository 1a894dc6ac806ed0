/**
 * Export from the experiments table: a CSV table (header and rows checked
 * against the configuration), the CSV tables and the results as ZIP (opened
 * with fflate: the reference layout of SCIENCE.md §8), the PDF report (parsed
 * with pdf.js: pages and the experiment's name).
 */
import { expect, test } from '@playwright/test';
import { call, waitFinished } from './api';
import { parseCsv, readPdf, unzip } from './files';
import { download, dropdownCommand, open } from './ui';

const NAME = 'e2e export smoke';
let id = 0;

test.beforeAll(async ({ request }) => {
  const exp = await call(request, 'createExperiment', { name: NAME, preset: 'smoke', config: { models: ['gru', 'lstm'] } });
  id = exp.id;
  await waitFinished(request, id, 60_000);
});

test('CSV, ZIP and PDF exports of an experiment are valid files with its data', async ({ page }) => {
  await open(page, '/experiments');
  await expect(page.getByTestId(`experiment-status-${id}`)).toHaveAttribute('data-status', 'done');
  const actions = page.getByTestId(`experiment-actions-${id}`);

  // one CSV table: the seed-aggregated per-lag summary (smoke: 8 lags in [2, 24], two models)
  const csv = await download(page, () => dropdownCommand(page, actions, `action-export-summary-${id}`));
  expect(csv.name).toMatch(/\.csv$/);
  const rows = parseCsv(new TextDecoder().decode(csv.bytes)).filter((r) => r.length > 1 || r[0] !== '');
  const header = rows[0]!;
  expect(header).toContain('ell');
  expect(header).toContain('alpha_hat_mean');
  const body = rows.slice(1);
  expect(body.length).toBeGreaterThanOrEqual(8);
  for (const r of body) expect(r.length).toBe(header.length);
  const ell = header.indexOf('ell');
  const lags = new Set(body.map((r) => Number(r[ell])));
  expect(lags.size).toBe(8);
  for (const l of lags) {
    expect(Number.isInteger(l)).toBe(true);
    expect(l).toBeGreaterThanOrEqual(2);
    expect(l).toBeLessThanOrEqual(24);
  }

  // every CSV table, as a ZIP
  const tables = await download(page, () => dropdownCommand(page, actions, `action-export-csv-${id}`));
  expect(tables.name).toMatch(/\.zip$/);
  const tableFiles = Object.keys(unzip(tables.bytes));
  expect(tableFiles.some((f) => /H_N\.csv$/.test(f))).toBe(true);
  expect(tableFiles.some((f) => /learning_curve\.csv$/.test(f))).toBe(true);

  // the reference layout, as a ZIP
  const zip = await download(page, () => dropdownCommand(page, actions, `action-export-zip-${id}`));
  expect(zip.name).toMatch(/\.zip$/);
  const entries = unzip(zip.bytes);
  const names = Object.keys(entries);
  expect(names).toContain('config.json');
  for (const m of ['gru', 'lstm']) {
    expect(names).toContain(`seed_212/${m}/${m}_learning_curve.csv`);
    expect(names).toContain(`seed_212/${m}/${m}_H_N.csv`);
  }
  const config = JSON.parse(new TextDecoder().decode(entries['config.json']!)) as { T: number; models: string[] };
  expect(config.T).toBe(48);
  expect(config.models).toEqual(['gru', 'lstm']);
  // smoke: 3 epochs → a header and 3 rows
  const curve = parseCsv(new TextDecoder().decode(entries['seed_212/gru/gru_learning_curve.csv']!)).filter((r) => r.length > 1);
  expect(curve[0]).toEqual(['epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc']);
  expect(curve.length).toBe(4);

  // the PDF report
  const pdf = await download(page, () => dropdownCommand(page, actions, `action-export-pdf-${id}`), 60_000);
  expect(pdf.name).toMatch(/\.pdf$/);
  expect(new TextDecoder().decode(pdf.bytes.subarray(0, 5))).toBe('%PDF-');
  const doc = await readPdf(pdf.bytes);
  expect(doc.pages).toBeGreaterThanOrEqual(2);
  expect(doc.text).toContain(NAME);
});
