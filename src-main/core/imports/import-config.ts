/**
 * The configuration of an imported experiment, from the `cli_args.csv` files
 * of its seed folders (parseCliArgsCsv: the reference's spellings) and the
 * folder names:
 *
 * - the first seed's cli_args.csv (else one outside the seed folders) gives
 *   every field it has; the other seeds' files are compared with it and
 *   differences are reported (the experiment keeps the first);
 * - unknown arguments are ignored with a warning; fields no file gives take
 *   the defaults (the reference's, SCIENCE.md §7) and are noted;
 * - seeds are the seed_<S> folders found (a flat folder: cli_args.csv's seed,
 *   else the default); models are cli_args.csv's, then any other model with
 *   files (a model without files becomes a failed run).
 */
import {
  ARCH_NAMES, CONFIG_FIELDS, DEFAULT_CONFIG, formatValue, parseConfig,
  type ArchName, type ConfigField, type ExperimentConfig,
} from '../../../src-shared/config';
import { parseCliArgsCsv, type ConfigLayer } from './cli-args';
import type { ImportProblem } from './errors';

export interface CliArgsInput {
  /** path inside the import */
  file: string;
  text: string;
  /** the seed folder it belongs to; null outside seed folders */
  seed: number | null;
}

export interface ImportConfig {
  config: ExperimentConfig;
  warnings: string[];
  notes: string[];
  /** fields that took the default */
  defaulted: ConfigField[];
}

/** Fields that are the workstation's own (no reference argument), never reported as defaulted. */
const OURS: readonly ConfigField[] = ['backend'];

function isArchList(v: unknown): v is ArchName[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => (ARCH_NAMES as readonly unknown[]).includes(x));
}

function isSeedList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
}

export function buildImportConfig(
  inputs: readonly CliArgsInput[],
  /** the seed folders found (ascending), or null for a flat folder of one seed */
  folderSeeds: readonly number[] | null,
  /** models with files, in ARCH_NAMES order */
  foundModels: readonly ArchName[],
): { ok: true; value: ImportConfig } | { ok: false; problems: ImportProblem[] } {
  const warnings: string[] = [];
  const notes: string[] = [];
  const problems: ImportProblem[] = [];
  const layers: { input: CliArgsInput; layer: ConfigLayer }[] = [];
  const unknown = new Set<string>();
  for (const input of inputs) {
    const layer = parseCliArgsCsv(input.text, input.file);
    // parseCliArgsCsv names the file (and line) in its messages
    for (const e of layer.errors) problems.push({ file: '', message: e.message });
    for (const w of layer.warnings) {
      const m = /unknown argument "(.*)"$/.exec(w);
      if (m) unknown.add(m[1]!);
      else warnings.push(w);
    }
    layers.push({ input, layer });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (unknown.size > 0) {
    warnings.push(`cli_args.csv: ignored ${unknown.size} argument${unknown.size > 1 ? 's' : ''} the workstation does not have: ${[...unknown].join(', ')}`);
  }

  // the base: the first seed's file, else the one outside the seed folders
  const seeded = layers.filter((l) => l.input.seed !== null).sort((a, b) => a.input.seed! - b.input.seed!);
  const base = seeded[0] ?? layers.find((l) => l.input.seed === null);
  const values: Partial<Record<ConfigField, unknown>> = base ? { ...base.layer.values } : {};
  for (const other of layers) {
    if (!base || other === base) continue;
    for (const f of CONFIG_FIELDS) {
      if (f.name === 'seeds' || f.name === 'models') continue;
      const a = base.layer.values[f.name];
      const b = other.layer.values[f.name];
      if (b !== undefined && JSON.stringify(a) !== JSON.stringify(b)) {
        warnings.push(`${other.input.file}: ${f.name} = ${formatValue(b)} differs from ${base.input.file} (${formatValue(a)}); the experiment keeps ${formatValue(a)}`);
      }
    }
  }
  if (!base) notes.push('no cli_args.csv: every configuration field takes its default (the reference pipeline\'s, SCIENCE.md §7)');

  // seeds
  const given = values.seeds;
  if (folderSeeds) {
    if (isSeedList(given) && seeded.length === 0 && JSON.stringify([...given].sort((a, b) => a - b)) !== JSON.stringify(folderSeeds)) {
      notes.push(`${base!.input.file} lists seeds ${given.join(',')}; the import holds seed${folderSeeds.length > 1 ? 's' : ''} ${folderSeeds.join(',')}`);
    }
    values.seeds = [...folderSeeds];
  } else if (isSeedList(given)) {
    if (given.length > 1) warnings.push(`${base!.input.file} lists seeds ${given.join(',')}, but the files are not in seed_<S> folders: they are taken as seed ${given[0]}`);
    values.seeds = [given[0]!];
  } else if (given === undefined) {
    values.seeds = [DEFAULT_CONFIG.seeds[0]!];
    notes.push(`no seed_<S> folder and no seed in cli_args.csv: the runs are recorded as seed ${DEFAULT_CONFIG.seeds[0]} (the default)`);
  }

  // models
  const listed = values.models;
  if (isArchList(listed)) {
    const extra = foundModels.filter((m) => !listed.includes(m));
    if (extra.length > 0) warnings.push(`${base!.input.file} lists models ${listed.join(',')}, but the import also has files of ${extra.join(', ')}: imported too`);
    const empty = listed.filter((m) => !foundModels.includes(m));
    if (empty.length > 0) notes.push(`no files for model${empty.length > 1 ? 's' : ''} ${empty.join(', ')} (listed in cli_args.csv): recorded as failed runs`);
    values.models = [...listed, ...extra];
  } else if (listed === undefined) {
    values.models = [...foundModels];
    if (base) notes.push(`cli_args.csv has no models: ${foundModels.join(',')} from the file names`);
  }

  const defaulted = CONFIG_FIELDS.map((f) => f.name).filter((f) => values[f] === undefined && !OURS.includes(f));
  if (base && defaulted.length > 0) {
    notes.push(`${base.input.file} lacks ${defaulted.join(', ')}: default${defaulted.length > 1 ? 's' : ''} used (${defaulted.map((f) => `${f}=${formatValue(DEFAULT_CONFIG[f])}`).join(', ')})`);
  }

  const parsed = parseConfig(values);
  if (!parsed.ok) {
    const file = base?.input.file ?? '';
    return { ok: false, problems: parsed.errors.map((e) => ({ file, message: `the configuration is not valid: ${e.message}` })) };
  }
  return { ok: true, value: { config: parsed.config, warnings, notes, defaulted } };
}
