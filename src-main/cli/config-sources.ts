/**
 * Where a configuration comes from besides presets: a JSON file of fields, or
 * the reference pipeline's `cli_args.csv` (columns argument,value), and the
 * `--<field> value` flags of `lw run`.
 *
 * Each source yields a layer of raw field values; layers are merged by
 * resolveConfig (preset < config file < flags) and validated once.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import {
  coerceFieldValue,
  isConfigField,
  suggestField,
  type ConfigError,
  type ConfigField,
} from '../../src-shared/config';

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

/** Parse a JSON configuration: an object of fields (values of the field's JSON type). */
export function parseJsonConfig(text: string, source = 'config.json'): ConfigLayer {
  const layer: ConfigLayer = { values: {}, warnings: [], errors: [] };
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    layer.errors.push({ field: 'config', message: `${source}: not valid JSON (${(err as Error).message})` });
    return layer;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    layer.errors.push({ field: 'config', message: `${source}: must be a JSON object of configuration fields` });
    return layer;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (isConfigField(k)) layer.values[k] = v;
    else {
      const s = suggestField(k);
      layer.errors.push({ field: k, message: `${source}: unknown field "${k}"${s ? ` (did you mean ${s}?)` : ''}` });
    }
  }
  return layer;
}

/** Read a configuration file: JSON (`.json`, or text starting with `{`) or cli_args.csv. */
export function readConfigFile(path: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { values: {}, warnings: [], errors: [{ field: 'config', message: `--config: cannot read ${path} (${code ?? (err as Error).message})` }] };
  }
  const isJson = /\.json$/i.test(path) || (!/\.csv$/i.test(path) && text.trimStart().startsWith('{'));
  return isJson ? parseJsonConfig(text, path) : parseCliArgsCsv(text, path);
}
