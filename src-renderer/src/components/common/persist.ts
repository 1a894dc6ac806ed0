/** A ref mirrored to localStorage (drafts, filters): a reload loses nothing. */
import { ref, watch, type Ref } from 'vue';

export function loadStored<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    if (raw !== null) return JSON.parse(raw) as T;
  } catch { /* unavailable or corrupt */ }
  return fallback;
}

export function saveStored(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch { /* quota or unavailable */ }
}

export function usePersistedRef<T>(key: string, fallback: T): Ref<T> {
  const r = ref(loadStored(key, fallback)) as Ref<T>;
  watch(r, (v) => saveStored(key, v), { deep: true });
  return r;
}
