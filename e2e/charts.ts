/**
 * Chart checks. ChartCard.vue (src-renderer/src/components/common) puts on
 * its root `data-testid=<id>`, `data-series` (number of series in the
 * ECharts option) and `data-points` (data points over all series); the
 * ECharts canvas sits under `<id>-chart`. A chart "rendered data" when its
 * option has series with points AND its canvas is not blank.
 */
import { expect, type Locator, type Page } from '@playwright/test';

export interface CanvasInk {
  /** pixels drawn (alpha > 0; the card's background is transparent) */
  inked: number;
  /** coloured pixels (max - min channel > 40): series; axes, grid and labels are grey */
  chromatic: number;
  /** a cheap fingerprint of the pixels, to see a redraw change the picture */
  hash: number;
}

/** Pixel statistics of the chart's canvas(es); null when there is none. */
export async function canvasInk(card: Locator): Promise<CanvasInk | null> {
  return card.evaluate((root) => {
    const canvases = [...root.querySelectorAll('canvas')] as HTMLCanvasElement[];
    if (canvases.length === 0) return null;
    let inked = 0;
    let hash = 2166136261;
    let chromatic = 0;
    for (const c of canvases) {
      if (c.width === 0 || c.height === 0) continue;
      const ctx = c.getContext('2d');
      if (!ctx) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! > 0) {
          inked++;
          const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!;
          if (Math.max(r, g, b) - Math.min(r, g, b) > 40) chromatic++;
          const rgb = (r << 16) | (g << 8) | b;
          hash = Math.imul(hash ^ rgb ^ (i >>> 2), 16777619) >>> 0;
        }
      }
    }
    return { inked, chromatic, hash };
  });
}

/** The card of a ChartCard by test id. */
export function chartCard(scope: Page | Locator, testid: string): Locator {
  return scope.getByTestId(testid).first();
}

/** Series and data points the card reports for its option. */
export async function chartStats(card: Locator): Promise<{ series: number; points: number }> {
  const [series, points] = await Promise.all([card.getAttribute('data-series'), card.getAttribute('data-points')]);
  return { series: Number(series ?? 0), points: Number(points ?? 0) };
}

/** Wait until the chart has series with data and its canvas shows it. */
export async function expectChartRendered(scope: Page | Locator, testid: string, opts: { minSeries?: number; minPoints?: number; timeout?: number } = {}): Promise<CanvasInk> {
  const card = chartCard(scope, testid);
  await card.waitFor({ state: 'attached', timeout: opts.timeout ?? 15_000 });
  await card.scrollIntoViewIfNeeded();
  await expect(card, `chart ${testid} is visible`).toBeVisible({ timeout: opts.timeout ?? 15_000 });
  await expect.poll(async () => (await chartStats(card)).series, { message: `chart ${testid} has series`, timeout: opts.timeout ?? 15_000 })
    .toBeGreaterThanOrEqual(opts.minSeries ?? 1);
  await expect.poll(async () => (await chartStats(card)).points, { message: `chart ${testid} has data points`, timeout: opts.timeout ?? 15_000 })
    .toBeGreaterThanOrEqual(opts.minPoints ?? 2);
  let ink: CanvasInk | null = null;
  // axes, labels and grid lines are grey; series are drawn in the palette's colours
  await expect.poll(async () => {
    ink = await canvasInk(card);
    return ink ? ink.chromatic >= 50 : false;
  }, { message: `chart ${testid} canvas is not blank`, timeout: opts.timeout ?? 15_000 }).toBe(true);
  return ink!;
}
