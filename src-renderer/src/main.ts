/**
 * Renderer entry: Element Plus (full import, light + dark CSS variables),
 * Pinia, vue-router (hash history) and the connected API client. The same
 * build runs in the desktop window and in a browser served by `lw serve`.
 */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import ElementPlus from 'element-plus';
import 'element-plus/dist/index.css';
import 'element-plus/theme-chalk/dark/css-vars.css';
import './styles/main.css';
import './charts';
import App from './App.vue';
import { router } from './router';
import { provideClient } from './stores/client';
import { connect } from './transport';

provideClient(connect());
const app = createApp(App);
app.use(createPinia());
app.use(router);
app.use(ElementPlus);
app.mount('#app');
