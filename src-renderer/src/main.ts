/**
 * Renderer entry (the same build runs in the desktop window and in a browser
 * served by `lw serve`). Kept small so that the page's work starts at once:
 * it connects the API client, starts loading the first route's view (and,
 * for an experiment's results, its data: results/fetch.ts), and loads the
 * application itself (boot.ts: Vue app, Pinia, Element Plus, the shell) in
 * parallel. The styles (Element Plus light + dark CSS variables) are linked
 * from the page. ECharts loads with the views that draw charts
 * (components/common/ChartCard.vue imports ./charts).
 */
import 'element-plus/dist/index.css';
import 'element-plus/theme-chalk/dark/css-vars.css';
import './styles/main.css';
import type { RouteLocationNormalized, RouteLocationResolved } from 'vue-router';
import { formatDate } from './components/common/format';
import { whenIdle } from './components/common/idle';
import { prefetchExperiment } from './results/fetch';
import { router } from './router';
import { provideClient } from './stores/client';
import { connect } from './transport';

/** A User Timing mark (read by scripts/bench-ui.ts); no-op where unsupported. */
function mark(name: string): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(name);
}
mark('lw-entry');
const client = connect();
provideClient(client);

/** Data a route will ask for, requested as soon as the navigation starts. */
function prefetch(to: RouteLocationNormalized | RouteLocationResolved): void {
  if (to.name === 'results') prefetchExperiment(client.api, Number(to.params.id));
}
router.beforeEach((to) => {
  prefetch(to);
});

/** Start loading the code (lazy components) and data of the page's first route. */
function warmFirstRoute(): void {
  const to = router.resolve(window.location.hash.replace(/^#/, '') || '/');
  prefetch(to);
  for (const rec of to.matched) {
    const c = rec.components?.default as unknown;
    // a lazy view: `() => import(...)` (a component would be an object or carry props / displayName)
    if (typeof c === 'function' && !('props' in c) && !('displayName' in c)) {
      void (c as () => Promise<unknown>)().catch(() => { /* the router reports it when it navigates */ });
    }
  }
}
try {
  warmFirstRoute();
} catch { /* only a head start */ }
// Intl's first date format loads locale data (~20 ms): done while the page waits for its code, not in its first render
whenIdle(() => formatDate(0), 3000);

import('./boot').then(
  ({ boot }) => {
    mark('lw-boot-loaded');
    try {
      sessionStorage.removeItem('lw.boot-reload');
    } catch { /* unavailable */ }
    boot(router);
    mark('lw-app-mounted');
  },
  (err: unknown) => {
    // the application's code could not be loaded (rebuilt while this page was open): reload once
    const key = 'lw.boot-reload';
    if (sessionStorage.getItem(key) === null) {
      sessionStorage.setItem(key, '1');
      window.location.reload();
      return;
    }
    sessionStorage.removeItem(key);
    const el = document.getElementById('app');
    if (el) el.textContent = `The Learnability Workstation could not start: ${err instanceof Error ? err.message : String(err)}`;
  },
);
