/**
 * Size limits of an import (DESIGN.md §5): result files are read into memory,
 * so a folder or archive cannot make the workstation read without bound.
 * Only the files the importer reads count (result files of SCIENCE.md §8);
 * anything else in the folder (plots, the reference's sample spills) is
 * neither read nor counted.
 */
export interface ImportLimits {
  /** bytes of all result files read (default 256 MiB) */
  maxTotalBytes: number;
  /** bytes of one CSV file (default 64 MiB) */
  maxCsvBytes: number;
  /** bytes of one JSON file (default 1 MiB) */
  maxJsonBytes: number;
  /** directory entries or archive entries looked at (default 100 000) */
  maxEntries: number;
  /** folder depth below the imported folder (default 8) */
  maxDepth: number;
  /** rows of one CSV file (default 1 000 000) */
  maxRows: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_IMPORT_LIMITS: Readonly<ImportLimits> = Object.freeze({
  maxTotalBytes: 256 * MiB,
  maxCsvBytes: 64 * MiB,
  maxJsonBytes: 1 * MiB,
  maxEntries: 100_000,
  maxDepth: 8,
  maxRows: 1_000_000,
});

export function resolveLimits(over: Partial<ImportLimits> = {}): ImportLimits {
  const out = { ...DEFAULT_IMPORT_LIMITS };
  for (const [k, v] of Object.entries(over) as [keyof ImportLimits, number | undefined][]) {
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`import limit ${k} must be an integer >= 1 (got ${v})`);
    out[k] = v;
  }
  return out;
}

/** "64 MiB", "1.5 KiB", "12 bytes" */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
