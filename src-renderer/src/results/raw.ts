/**
 * Chart specs are replaced whole (computed), never mutated: mark their big
 * parts raw so Vue's deep watchers (vue-echarts watches `option` deeply) and
 * props do not walk thousands of data points.
 */
import { markRaw } from 'vue';
import type { ChartSpec } from './options';

export function rawSpec<T extends ChartSpec>(spec: T): T {
  const o = spec.option as { series?: unknown };
  if (Array.isArray(o.series)) markRaw(o.series);
  markRaw(spec.rows);
  return spec;
}
