/**
 * Screenshots of the main views at 1280×800 (light theme, and the results
 * in the dark theme), from the same run as the tests. By default they go to
 * test-results/screenshots/ (so a test run leaves the checkout clean);
 * `LW_UPDATE_SCREENSHOTS=1 npm run test:e2e` writes docs/screenshots/, the
 * images the README shows.
 */
import { expect, test } from '@playwright/test';
import { call, waitFinished } from './api';
import { expectChartRendered } from './charts';
import { open, screenshot as shot } from './ui';

test('screenshots of the main views', async ({ page, request }) => {
  test.setTimeout(120_000);
  const a = await call(request, 'createExperiment', { name: 'smoke · adamw', preset: 'smoke', tags: ['demo'], config: { seeds: [212, 213] } });
  const b = await call(request, 'createExperiment', { name: 'smoke · sgd_momentum', preset: 'smoke', tags: ['demo'], config: { seeds: [212, 213], optimizer: 'sgd_momentum' } });
  await waitFinished(request, a.id, 90_000);
  await waitFinished(request, b.id, 90_000);

  await open(page, '/experiments');
  await expect(page.getByTestId(`experiment-status-${b.id}`)).toHaveAttribute('data-status', 'done');
  await shot(page, 'experiments');

  await open(page, '/new');
  await page.getByTestId('new-preset-quick').click();
  await expect(page.getByTestId('estimate-wall')).not.toHaveText('—');
  await shot(page, 'new-experiment');

  await open(page, `/experiments/${a.id}`);
  await expectChartRendered(page, 'chart-hn');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.getByTestId('chart-hn').scrollIntoViewIfNeeded();
  await shot(page, 'results');
  await page.getByTestId('chart-alpha').scrollIntoViewIfNeeded();
  await expectChartRendered(page, 'chart-alpha');
  await shot(page, 'results-statistics');

  await open(page, '/compare');
  for (const id of [a.id, b.id]) {
    await page.getByTestId('compare-pick').click();
    await page.getByTestId(`compare-option-${id}`).click();
  }
  await page.keyboard.press('Escape');
  await expectChartRendered(page, 'chart-compare-hn', { minSeries: 2 });
  await shot(page, 'compare');

  await open(page, '/theory');
  await expectChartRendered(page, 'chart-theory-hn');
  await shot(page, 'theory-explorer');

  await open(page, '/noise');
  await page.getByTestId('noise-draw').click();
  await expectChartRendered(page, 'chart-noise-tail', { minPoints: 10 });
  await shot(page, 'noise-lab');

  await open(page, '/settings');
  await expect(page.getByTestId('settings-datadir')).toBeVisible();
  await shot(page, 'settings');

  // a running run for the live view, cancelled afterwards
  const q = await call(request, 'createExperiment', { name: 'quick · gru', preset: 'quick', config: { models: ['gru'], seeds: [3], epochs: 200 } });
  await open(page, '/live');
  await expect(page.getByTestId(`live-epoch-${q.runs[0]!.id}`)).toHaveText(/\d+ \/ 200/, { timeout: 30_000 });
  await shot(page, 'live-runs');
  await call(request, 'cancelExperiment', { id: q.id });

  // the dark theme
  await open(page, `/experiments/${a.id}`);
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await expectChartRendered(page, 'chart-hn');
  await shot(page, 'results-dark');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).not.toHaveClass(/dark/);
});
