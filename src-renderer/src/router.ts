/**
 * Routes (hash history: works under the desktop's lw-app:// scheme and over http).
 * Views are loaded lazily.
 */
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/experiments' },
  { path: '/experiments', name: 'experiments', component: () => import('./views/Experiments.vue'), meta: { title: 'Experiments' } },
  { path: '/experiments/:id', name: 'results', component: () => import('./views/ExperimentResults.vue'), props: true, meta: { title: 'Results' } },
  { path: '/new', name: 'new', component: () => import('./views/NewExperiment.vue'), meta: { title: 'New experiment' } },
  { path: '/live', name: 'live', component: () => import('./views/LiveRuns.vue'), meta: { title: 'Live runs' } },
  { path: '/compare', name: 'compare', component: () => import('./views/Compare.vue'), meta: { title: 'Compare' } },
  { path: '/theory', name: 'theory', component: () => import('./views/TheoryExplorer.vue'), meta: { title: 'Theory explorer' } },
  { path: '/noise', name: 'noise', component: () => import('./views/NoiseLab.vue'), meta: { title: 'Noise lab' } },
  { path: '/settings', name: 'settings', component: () => import('./views/Settings.vue'), meta: { title: 'Settings' } },
  { path: '/:pathMatch(.*)*', redirect: '/experiments' },
];

export const router = createRouter({ history: createWebHashHistory(), routes });

router.afterEach((to) => {
  const t = typeof to.meta.title === 'string' ? to.meta.title : '';
  document.title = t ? `${t} · Learnability Workstation` : 'Learnability Workstation';
});

/**
 * A lazily loaded view whose chunk is gone (the app was rebuilt or updated
 * while this page was open): load the page again at the target route, once.
 */
router.onError((err: unknown, to) => {
  const msg = err instanceof Error ? err.message : String(err);
  if (!/dynamically imported module|Importing a module script failed|error loading dynamically/i.test(msg)) return;
  const key = 'lw.chunk-reload';
  if (sessionStorage.getItem(key) === to.fullPath) return;
  sessionStorage.setItem(key, to.fullPath);
  window.location.hash = `#${to.fullPath}`;
  window.location.reload();
});
router.afterEach(() => {
  try {
    sessionStorage.removeItem('lw.chunk-reload');
  } catch { /* unavailable */ }
});
