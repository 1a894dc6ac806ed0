/**
 * Theory explorer: moving the α slider changes κ_α = α/(α−1) and so the
 * curves; the H_N readout at N = 10⁴ matches the closed form of SCIENCE.md §6
 * for the exponential envelope, H_N = τ (log(c f₀/(εσ)) + (1/κ_α) log N),
 * before and after the move.
 */
import { expect, test, type Page } from '@playwright/test';
import { canvasInk, chartCard, expectChartRendered } from './charts';
import { open } from './ui';

async function param(page: Page, name: string): Promise<number> {
  const v = await page.getByTestId(`theory-slider-${name}`).getAttribute('data-value');
  return Number(v);
}

/** SCIENCE.md §6, exponential envelope f(ℓ) = f₀ e^{-ℓ/τ} */
async function expectedHN(page: Page, N: number): Promise<number> {
  const [f0, tau, alpha, eps, sigma, c] = await Promise.all(['f0', 'tau', 'alpha', 'eps', 'sigma', 'c'].map((n) => param(page, n)));
  const kappa = alpha! / (alpha! - 1);
  return tau! * (Math.log((c! * f0!) / (eps! * sigma!)) + Math.log(N) / kappa);
}

test('moving a slider changes the curves, which follow the closed form', async ({ page }) => {
  await open(page, '/theory');
  await page.getByTestId('theory-reset').click();
  await page.getByTestId('theory-decay-exponential').click();
  await expectChartRendered(page, 'chart-theory-n');
  const before = await expectChartRendered(page, 'chart-theory-hn');

  const readout = page.getByTestId('theory-hn-readout');
  const hn0 = Number(await readout.getAttribute('data-value'));
  const want0 = await expectedHN(page, 1e4);
  expect(want0).toBeGreaterThan(0);
  expect(hn0).toBeCloseTo(want0, 6);

  // drag the α handle to a quarter of the track: a heavier tail
  const alpha0 = await param(page, 'alpha');
  const slider = page.getByTestId('theory-slider-alpha');
  const handle = slider.getByRole('slider');
  const track = await slider.boundingBox();
  const box = await handle.boundingBox();
  await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
  await page.mouse.down();
  await page.mouse.move(track!.x + track!.width * 0.25, box!.y + box!.height / 2, { steps: 8 });
  await page.mouse.up();
  await expect.poll(() => param(page, 'alpha')).not.toBe(alpha0);
  const alpha1 = await param(page, 'alpha');
  expect(alpha1).toBeGreaterThan(1);
  expect(alpha1).toBeLessThan(alpha0);

  // a heavier tail (smaller α, larger κ_α) shrinks H_N (§6), exactly as the closed form says
  await expect.poll(async () => Number(await readout.getAttribute('data-value'))).not.toBe(hn0);
  const hn1 = Number(await readout.getAttribute('data-value'));
  expect(hn1).toBeCloseTo(await expectedHN(page, 1e4), 6);
  expect(hn1).toBeLessThan(hn0);

  // and the chart was redrawn
  await expect.poll(async () => (await canvasInk(chartCard(page, 'chart-theory-hn')))?.hash).not.toBe(before.hash);

  // the keyboard moves it too (one step right per key)
  await handle.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => param(page, 'alpha')).toBeCloseTo(alpha1 + 0.01, 6);
});
