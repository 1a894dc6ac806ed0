/**
 * The main path of a researcher: create a `smoke` experiment through the
 * generated form (an invalid value is rejected with the schema's message at
 * its field, and neither that nor a reload loses what was typed), watch it
 * reach done, open its results (every chart rendered data), reload and find
 * the history intact.
 */
import { expect, test, type Page } from '@playwright/test';
import { call } from './api';
import { expectChartRendered } from './charts';
import { inputOf, open } from './ui';

const NAME = 'e2e form smoke';
let id = 0;

test.describe.configure({ mode: 'serial' });

function fieldError(page: Page, field: string) {
  return page.locator(`[data-field="${field}"] .el-form-item__error`);
}

test('create a smoke experiment through the form, with a rejected value on the way', async ({ page, request }) => {
  const before = (await call(request, 'listExperiments', {})).total;
  await open(page, '/new');
  await page.getByTestId('new-preset-smoke').click();
  await inputOf(page, 'new-name').fill(NAME);

  // an invalid value: the schema's rule, shown at the field
  const constS = inputOf(page, 'field-const_s');
  await constS.fill('1.5');
  await expect(fieldError(page, 'const_s')).toContainText('const_s must be > 0 and < 1');
  await expect(page.getByTestId('new-validity')).toHaveAttribute('data-valid', 'false');
  // launching is refused and nothing is created
  await page.getByTestId('new-launch').click();
  await expect(fieldError(page, 'const_s')).toContainText('const_s must be > 0 and < 1');
  expect((await call(request, 'listExperiments', {})).total).toBe(before);

  // a reload keeps what was typed, the invalid value included
  await page.reload();
  await expect(inputOf(page, 'new-name')).toHaveValue(NAME);
  await expect(inputOf(page, 'field-const_s')).toHaveValue('1.5');
  await expect(fieldError(page, 'const_s')).toContainText('const_s must be > 0 and < 1');

  // fixed: valid, with an estimate before launch
  await inputOf(page, 'field-const_s').fill('0.05');
  await expect(fieldError(page, 'const_s')).toHaveCount(0);
  await expect(page.getByTestId('new-validity')).toHaveAttribute('data-valid', 'true');
  await expect(page.getByTestId('estimate-wall')).not.toHaveText('—');
  await expect(page.getByTestId('estimate-memory')).not.toHaveText('—');

  await page.getByTestId('new-launch').click();
  await expect(page).toHaveURL(/#\/(live|experiments\/\d+)/);
  const list = await call(request, 'listExperiments', { filter: { text: NAME } });
  expect(list.total).toBe(1);
  const exp = list.items[0]!;
  id = exp.id;
  expect(exp.preset).toBe('smoke');
  expect(exp.models).toEqual(['const', 'shared', 'diag', 'gru', 'lstm']);
  const detail = await call(request, 'getExperiment', { id });
  expect(detail.config.const_s).toBe(0.05);
  expect(detail.config.T).toBe(48);

  // progress reaches done in the experiments table
  await open(page, '/experiments');
  const status = page.getByTestId(`experiment-status-${id}`);
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(status).toContainText('5/5');
  await expect(status.locator('xpath=..').getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
});

test('the results of the experiment render every chart with data', async ({ page }) => {
  expect(id).toBeGreaterThan(0);
  await open(page, '/experiments');
  await page.getByTestId(`experiment-link-${id}`).click();
  await expect(page).toHaveURL(new RegExp(`#/experiments/${id}$`));
  for (const chart of ['chart-hn', 'chart-envelope', 'chart-alpha', 'chart-sigma', 'chart-nreq', 'chart-master', 'chart-tau', 'chart-curves', 'chart-r2', 'chart-gates']) {
    await test.step(chart, async () => {
      await expectChartRendered(page, chart);
    });
  }
});

test('a reload finds the history intact', async ({ page }) => {
  expect(id).toBeGreaterThan(0);
  await open(page, '/experiments');
  await expect(page.getByTestId(`experiment-link-${id}`)).toHaveText(NAME);
  await page.reload();
  await expect(page.getByTestId(`experiment-link-${id}`)).toHaveText(NAME);
  await expect(page.getByTestId(`experiment-status-${id}`)).toHaveAttribute('data-status', 'done');
  // and a fresh tab (the token from sessionStorage is gone there: use the address with it)
  const again = await page.context().newPage();
  await open(again, '/experiments');
  await expect(again.getByTestId(`experiment-link-${id}`)).toHaveText(NAME);
  await again.close();
});
