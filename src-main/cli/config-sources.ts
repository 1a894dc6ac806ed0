/**
 * Where a configuration comes from besides presets: a JSON file of fields, or
 * the reference pipeline's `cli_args.csv` (columns argument,value), and the
 * `--<field> value` flags of `lw run`.
 *
 * Each source yields a layer of raw field values; layers are merged by
 * resolveConfig (preset < config file < flags) and validated once.
 */
import { readFileSync } from 'node:fs';
import { isConfigField, suggestField } from '../../src-shared/config';
import { parseCliArgsCsv, type ConfigLayer } from '../core/imports/cli-args';

// the cli_args.csv reader lives in core (the importer uses it too; core must not import cli)
export { parseCliArgsCsv, type ConfigLayer };

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
