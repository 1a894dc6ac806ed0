/**
 * Renderer entry: a minimal page over the Api (the full UI is a later piece of
 * work). The same build runs in the desktop window and in a browser served by
 * `lw serve`.
 */
import { createApp } from 'vue';
import App from './App.vue';
import { connect } from './transport';

createApp(App, { client: connect() }).mount('#app');
