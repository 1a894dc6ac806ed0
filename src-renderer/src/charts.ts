/**
 * ECharts registration, once for the whole renderer (tree-shaken echarts/core):
 * exactly the series types and components the renderer's charts use (every
 * other one is code each page would load and run for nothing). Import this
 * module (ChartCard.vue does) before mounting a <v-chart>. The SVG renderer,
 * needed only to export a chart as SVG, is loaded then (svgRenderer()).
 */
import { use } from 'echarts/core';
import { BoxplotChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([
  LineChart, ScatterChart, BoxplotChart, CustomChart,
  GridComponent, TooltipComponent, LegendComponent, MarkLineComponent,
  CanvasRenderer,
]);

let svg: Promise<void> | null = null;
/** Register ECharts' SVG renderer (for SVG exports), loading it on first use. */
export function svgRenderer(): Promise<void> {
  svg ??= import('./charts-svg').then(() => undefined);
  return svg;
}

export const CHARTS_REGISTERED = true;

/**
 * One chart drawn per animation frame: when several come into view at once
 * (a page's first screen, a long scroll), each is drawn in its own frame,
 * nearest to the visible area first, so the page shows each chart as soon as
 * it is ready and stays responsive in between.
 */
export interface DrawRequest {
  /** px outside the visible area (0: visible); read when choosing the next */
  distance(): number;
  draw(): void;
}

const drawQueue: DrawRequest[] = [];
let drawScheduled = false;

function nextFrame(cb: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(cb);
  else setTimeout(cb, 0);
}

function drawNext(): void {
  drawScheduled = false;
  if (drawQueue.length === 0) return;
  let best = 0;
  let bestDistance = Infinity;
  drawQueue.forEach((r, i) => {
    const d = r.distance();
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  const [req] = drawQueue.splice(best, 1);
  if (drawQueue.length > 0) {
    drawScheduled = true;
    nextFrame(drawNext);
  }
  req!.draw();
}

/** Queue a chart to draw; returns a function that withdraws it (unmounted before its turn). */
export function requestDraw(req: DrawRequest): () => void {
  drawQueue.push(req);
  if (!drawScheduled) {
    drawScheduled = true;
    nextFrame(drawNext);
  }
  return () => {
    const i = drawQueue.indexOf(req);
    if (i >= 0) drawQueue.splice(i, 1);
  };
}
