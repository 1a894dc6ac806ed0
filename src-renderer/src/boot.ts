/**
 * The application proper, loaded by the entry (main.ts) in parallel with the
 * first view's code: Vue app, Pinia, the router, Element Plus and the shell
 * (App.vue). Element Plus is registered through `virtual:lw-element-plus`
 * (electron.vite.config.ts): the components the renderer's templates use,
 * found at build time, not the whole library.
 */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import ElementPlus from 'virtual:lw-element-plus';
import type { Router } from 'vue-router';
import App from './App.vue';

export function boot(router: Router): void {
  const app = createApp(App);
  app.use(createPinia());
  app.use(router);
  app.use(ElementPlus);
  app.mount('#app');
}
