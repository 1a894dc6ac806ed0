/** Light / dark theme (Element Plus dark CSS variables under html.dark), persisted in localStorage. */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

const KEY = 'lw.theme';

function initial(): 'light' | 'dark' {
  try {
    const v = localStorage.getItem(KEY);
    if (v === 'light' || v === 'dark') return v;
  } catch { /* storage unavailable */ }
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const useThemeStore = defineStore('theme', () => {
  const theme = ref<'light' | 'dark'>(initial());
  const apply = (t: 'light' | 'dark'): void => {
    document.documentElement.classList.toggle('dark', t === 'dark');
    try {
      localStorage.setItem(KEY, t);
    } catch { /* storage unavailable */ }
  };
  apply(theme.value);
  watch(theme, apply);
  function toggle(): void {
    theme.value = theme.value === 'dark' ? 'light' : 'dark';
  }
  return { theme, toggle, isDark: () => theme.value === 'dark' };
});
