/**
 * Compare two experiments that differ only in the optimiser: both H_N curves
 * and envelopes are overlaid, and the table of differing parameters names
 * the optimiser with both values.
 */
import { expect, test } from '@playwright/test';
import { call, waitFinished } from './api';
import { chartCard, chartStats, expectChartRendered } from './charts';
import { open } from './ui';

test('two experiments overlay their H_N curves and envelopes, with the differing parameters', async ({ page, request }) => {
  const models = ['gru', 'lstm'];
  const a = await call(request, 'createExperiment', { name: 'e2e compare adamw', preset: 'smoke', config: { models, optimizer: 'adamw' } });
  const b = await call(request, 'createExperiment', { name: 'e2e compare sgd', preset: 'smoke', config: { models, optimizer: 'sgd' } });
  await waitFinished(request, a.id, 60_000);
  await waitFinished(request, b.id, 60_000);

  await open(page, '/compare');
  const pick = page.getByTestId('compare-pick');
  for (const id of [a.id, b.id]) {
    await pick.click();
    await page.getByTestId(`compare-option-${id}`).click();
  }
  await page.keyboard.press('Escape');

  const diff = page.getByTestId('compare-diff-table');
  await expect(diff).toContainText('optimizer');
  await expect(diff).toContainText('adamw');
  await expect(diff).toContainText('sgd');
  // nothing else differs between the two configurations
  await expect(diff).not.toContainText('const_s');

  // two experiments × two architectures: at least four curves on each chart
  await expectChartRendered(page, 'chart-compare-hn', { minSeries: 4 });
  await expectChartRendered(page, 'chart-compare-envelope', { minSeries: 4 });
  const hn = await chartStats(chartCard(page, 'chart-compare-hn'));
  // smoke: 6 budgets per curve
  expect(hn.points).toBeGreaterThanOrEqual(4 * 6);
});
