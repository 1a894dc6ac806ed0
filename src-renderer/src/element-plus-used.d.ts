/** The Element Plus components the renderer uses (built by electron.vite.config.ts's elementPlusUsed plugin). */
declare module 'virtual:lw-element-plus' {
  import type { Plugin } from 'vue';
  const plugin: Plugin;
  export default plugin;
}
