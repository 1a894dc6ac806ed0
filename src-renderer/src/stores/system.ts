/** System info (version, data folder, cores, backends), loaded once and refreshable. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SystemInfo } from '../../../src-shared/api';
import { useClient } from './client';

export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null);
  const error = ref('');
  let pending: Promise<SystemInfo | null> | null = null;
  async function load(force = false): Promise<SystemInfo | null> {
    if (info.value && !force) return info.value;
    pending ??= useClient().api.getSystemInfo().then(
      (i) => { info.value = i; error.value = ''; return i; },
      (e: unknown) => { error.value = e instanceof Error ? e.message : String(e); return null; },
    ).finally(() => { pending = null; });
    return pending;
  }
  const webgpuAvailable = (): boolean => info.value?.backends.some((b) => b.name === 'webgpu' && b.available) ?? false;
  return { info, error, load, webgpuAvailable };
});
