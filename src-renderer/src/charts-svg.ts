/** ECharts' SVG renderer, registered when loaded (charts.ts svgRenderer: SVG exports only). */
import { use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([SVGRenderer]);
