/**
 * Drafts of the explorer views kept in localStorage, so nothing a user set is
 * lost by a reload. A stored draft is merged field by field over the
 * defaults: only fields of the default's type (numbers finite, and within the
 * given bounds) are taken, so an old or damaged draft never breaks a view.
 */

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export type Bounds<T> = Partial<Record<keyof T, readonly [number, number] | readonly string[]>>;

function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : null;
  } catch {
    return null;
  }
}

/** The defaults, with every valid field of the stored draft over them. */
export function mergeDraft<T extends object>(defaults: T, stored: unknown, bounds: Bounds<T> = {}): T {
  const out = { ...defaults };
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return out;
  const src = stored as Record<string, unknown>;
  for (const key of Object.keys(defaults) as (keyof T & string)[]) {
    const d = defaults[key];
    const v = src[key];
    const b = bounds[key];
    if (typeof d === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (b && typeof b[0] === 'number' && (v < (b[0] as number) || v > (b[1] as number))) continue;
      out[key] = v as T[typeof key];
    } else if (typeof d === 'string') {
      if (typeof v !== 'string') continue;
      if (b && typeof b[0] === 'string' && !(b as readonly string[]).includes(v)) continue;
      out[key] = v as T[typeof key];
    } else if (typeof d === 'boolean') {
      if (typeof v === 'boolean') out[key] = v as T[typeof key];
    } else if (Array.isArray(d)) {
      if (Array.isArray(v) && v.every((x) => typeof x === typeof d[0] || d.length === 0) && v.every((x) => typeof x !== 'number' || Number.isFinite(x))) {
        out[key] = v as T[typeof key];
      }
    }
  }
  return out;
}

export function loadDraft<T extends object>(key: string, defaults: T, bounds: Bounds<T> = {}, storage = browserStorage()): T {
  if (!storage) return { ...defaults };
  try {
    const raw = storage.getItem(key);
    return mergeDraft(defaults, raw ? JSON.parse(raw) : null, bounds);
  } catch {
    return { ...defaults };
  }
}

export function saveDraft<T extends object>(key: string, value: T, storage = browserStorage()): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or blocked: the draft only lives in memory then
  }
}
