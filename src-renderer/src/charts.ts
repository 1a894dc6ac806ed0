/**
 * ECharts registration, once for the whole renderer (tree-shaken echarts/core).
 * Import this module (ChartCard.vue does) before mounting a <v-chart>.
 */
import { use } from 'echarts/core';
import { BarChart, BoxplotChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DatasetComponent, DataZoomComponent, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent,
  MarkPointComponent, TitleComponent, ToolboxComponent, TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';

use([
  LineChart, ScatterChart, BarChart, BoxplotChart, CustomChart,
  GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, MarkLineComponent, MarkAreaComponent,
  MarkPointComponent, TitleComponent, ToolboxComponent, DatasetComponent,
  SVGRenderer, CanvasRenderer,
]);

export const CHARTS_REGISTERED = true;
