/**
 * `--<field> value` flags for every configuration field, generated from the
 * schema metadata (so a new field gets its flag for free). Lists are comma
 * separated; booleans are `--orth_init` / `--no-orth_init` or
 * `--orth_init true|false`.
 */
import { Option, type Command } from 'commander';
import { CONFIG_FIELDS, coerceFieldValue, type ConfigField, type FieldMeta } from '../../src-shared/config';
import { PRESET_NAMES } from '../../src-shared/presets';

function describe(f: FieldMeta): string {
  const unit = f.unit ? ` [${f.unit}]` : '';
  return `${f.help}${unit}; ${f.rule.replace(/^must be /, '')}`;
}

function placeholder(f: FieldMeta): string {
  switch (f.kind) {
    case 'int-list':
    case 'number-list':
    case 'enum-list':
      return '<list>';
    case 'enum':
      return `<${(f.choices ?? []).join('|')}>`;
    case 'int':
      return '<int>';
    case 'flag01':
      return '<0|1>';
    default:
      return '<number>';
  }
}

/** The configuration sources of `lw run` and the commands that resolve a configuration as it does: --preset, --config. */
export function addConfigSourceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--preset <name>', 'start from a preset').choices([...PRESET_NAMES]))
    .option('--config <file>', 'configuration file: JSON object of fields, or a reference cli_args.csv (argument,value)');
}

/** Add one option per configuration field (none of them has a default: unset means "not overridden"). */
export function addFieldOptions(cmd: Command): Command {
  for (const f of CONFIG_FIELDS) {
    if (f.kind === 'boolean') {
      cmd.addOption(new Option(`--${f.name} [true|false]`, describe(f)).helpGroup('Configuration fields:'));
      cmd.addOption(new Option(`--no-${f.name}`, `turn ${f.name} off`).helpGroup('Configuration fields:'));
    } else {
      cmd.addOption(new Option(`--${f.name} ${placeholder(f)}`, describe(f)).helpGroup('Configuration fields:'));
    }
  }
  return cmd;
}

/** The field values given on the command line, converted to the fields' types (unconvertible text kept for the validator to report). */
export function fieldOverrides(opts: Record<string, unknown>): Partial<Record<ConfigField, unknown>> {
  const out: Partial<Record<ConfigField, unknown>> = {};
  for (const f of CONFIG_FIELDS) {
    const v = opts[f.name];
    if (v === undefined) continue;
    out[f.name] = typeof v === 'boolean' && f.kind === 'boolean' ? v : coerceFieldValue(f.name, String(v));
  }
  return out;
}
