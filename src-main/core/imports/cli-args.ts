/**
 * The reference pipeline's `cli_args.csv` (columns argument,value) as a layer
 * of raw configuration values (SCIENCE.md §7 names, the reference's
 * spellings: `seed`/`model`, `--lag-max`, Python lists and booleans). Used by
 * the importer and by `lw run --config` (src-main/cli/config-sources.ts
 * re-exports it). Layers are merged by resolveConfig and validated once.
 */
import { parse } from 'csv-parse/sync';
import { coerceFieldValue, isConfigField, type ConfigError, type ConfigField } from '../../../src-shared/config';

export interface ConfigLayer {
  values: Partial<Record<ConfigField, unknown>>;
  /** things ignored on the way (unknown cli_args.csv arguments) */
  warnings: string[];
  errors: ConfigError[];
}

/** Reference argument names that differ from ours. */
const ALIASES: Record<string, ConfigField> = { seed: 'seeds', model: 'models' };

/** Cells the reference writes for "not set". */
const UNSET = new Set(['', 'none', 'null']);

function fieldName(arg: string): ConfigField | undefined {
  const a = arg.trim().replace(/^-+/, '');
  if (isConfigField(a)) return a;
  const underscored = a.replace(/-/g, '_');
  if (isConfigField(underscored)) return underscored;
  return ALIASES[a];
}

/**
 * Parse a cli_args.csv text (header `argument,value` optional). Unknown
 * arguments (the reference has some we do not: output folders, devices…) are
 * ignored with a warning; unset cells ('', None) leave the field to the
 * lower layers.
 */
export function parseCliArgsCsv(text: string, source = 'cli_args.csv'): ConfigLayer {
  const layer: ConfigLayer = { values: {}, warnings: [], errors: [] };
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    layer.errors.push({ field: 'config', message: `${source}: not a valid CSV file (${(err as Error).message})` });
    return layer;
  }
  const seen = new Set<ConfigField>();
  records.forEach((rec, i) => {
    const line = i + 1;
    if (i === 0 && rec[0]?.trim().toLowerCase() === 'argument') return; // header
    if (rec.length !== 2) {
      layer.errors.push({ field: 'config', message: `${source} line ${line}: expected 2 columns (argument,value), got ${rec.length}` });
      return;
    }
    const [arg, raw] = rec as [string, string];
    const field = fieldName(arg);
    if (!field) {
      layer.warnings.push(`${source}: ignoring unknown argument "${arg.trim()}"`);
      return;
    }
    if (seen.has(field)) {
      layer.errors.push({ field, message: `${source} line ${line}: ${field} is given more than once` });
      return;
    }
    seen.add(field);
    if (UNSET.has(raw.trim().toLowerCase())) return;
    layer.values[field] = coerceFieldValue(field, raw);
  });
  return layer;
}

