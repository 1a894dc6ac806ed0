/**
 * Noise lab: drawing SαS samples shows their histogram and log-log tail and
 * runs both estimators (ecf and mcculloch) against the truth.
 */
import { expect, test } from '@playwright/test';
import { expectChartRendered } from './charts';
import { open } from './ui';

test('draw samples: histogram, tail and both estimates', async ({ page }) => {
  await open(page, '/noise');
  await page.getByTestId('noise-draw').click();
  await expect(page.getByTestId('noise-error')).toHaveCount(0);
  await expect(page.getByTestId('noise-estimates')).toHaveAttribute('data-count', '2', { timeout: 30_000 });
  const table = page.getByTestId('noise-estimates-table');
  await expect(table).toContainText('ecf');
  await expect(table).toContainText('mcculloch');
  await expectChartRendered(page, 'chart-noise-hist', { minPoints: 10 });
  await expectChartRendered(page, 'chart-noise-tail', { minPoints: 10 });
});
