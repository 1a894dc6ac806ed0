/**
 * The experiment configuration: one schema for types, defaults, ranges and
 * error messages (DESIGN.md §2). Field names are the reference pipeline's
 * argument names (SCIENCE.md §7) so `cli_args.csv` files need no translation.
 *
 * Plain TypeScript (zod only): runs in the CLI, the workers, a test or a
 * browser. Validation is per field (each field is checked on its own, so one
 * bad value never hides another), then cross-field rules run on the fields
 * that were valid. Every message names the field and the allowed values.
 */
import { z } from 'zod';
import { PRESETS, PRESET_NAMES, type PresetName } from './presets';

export type ArchName = 'const' | 'shared' | 'diag' | 'gru' | 'lstm';
export type OptimizerName = 'adamw' | 'sgd' | 'sgd_momentum';
export type AlphaMethod = 'ecf' | 'mcculloch';
export type BackendName = 'auto' | 'cpu' | 'webgpu';

export const ARCH_NAMES: readonly ArchName[] = ['const', 'shared', 'diag', 'gru', 'lstm'];
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adamw', 'sgd', 'sgd_momentum'];
export const ALPHA_METHODS: readonly AlphaMethod[] = ['ecf', 'mcculloch'];
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'cpu', 'webgpu'];

export interface ExperimentConfig {
  Nseq_train: number;
  Nseq_diag: number;
  T: number;
  D: number;
  H: number;
  optimizer: OptimizerName;
  momentum: number;
  epochs: number;
  batch_size: number;
  lr: number;
  weight_decay: number;
  grad_clip: number;
  lag_min: number;
  lag_max: number;
  num_lags: number;
  task_lags: number[];
  task_coeffs: number[];
  noise_std: number;
  N_grid: number[];
  eps: number;
  orth_init: boolean;
  layernorm: boolean;
  include_first_order_diag: 0 | 1;
  orient_matched_statistic_sign: 0 | 1;
  alpha_method: AlphaMethod;
  min_samples_alpha: number;
  const_s: number;
  gate_log_every: number;
  seeds: number[];
  w_seed: number;
  models: ArchName[];
  backend: BackendName;
}

export type ConfigField = keyof ExperimentConfig;

/** How a field is entered (CLI flag, form widget, cli_args.csv cell). */
export type FieldKind =
  | 'int'
  | 'number'
  | 'boolean'
  | 'flag01' // 0 or 1 (the reference stores these switches as integers)
  | 'enum'
  | 'int-list'
  | 'number-list'
  | 'enum-list';

export type FieldGroup = 'data' | 'model' | 'training' | 'diagnostics' | 'statistics' | 'run';

export interface FieldMeta {
  name: ConfigField;
  kind: FieldKind;
  group: FieldGroup;
  /** physical unit or '' (dimensionless); for a UI label */
  unit: string;
  /** one line of help */
  help: string;
  /** the allowed values in plain words, as used in error messages ("must be ...") */
  rule: string;
  /** allowed values for enum / enum-list fields */
  choices?: readonly string[];
}

/**
 * Defaults: the reference pipeline's defaults where it has one (SCIENCE.md §7,
 * "Reference defaults when a field is absent"); our own choice otherwise
 * (Nseq_train, Nseq_diag, optimizer, momentum, seeds, models, backend).
 */
export const DEFAULT_CONFIG: Readonly<ExperimentConfig> = Object.freeze({
  Nseq_train: 4096,
  Nseq_diag: 2048,
  T: 1024,
  D: 16,
  H: 64,
  optimizer: 'adamw',
  momentum: 0.9,
  epochs: 400,
  batch_size: 16,
  lr: 1e-3,
  weight_decay: 1e-4,
  grad_clip: 1.0,
  lag_min: 4,
  lag_max: 128,
  num_lags: 32,
  task_lags: [32, 64, 128, 256, 512],
  task_coeffs: [0.6, 0.45, 0.35, 0.28, 0.22],
  noise_std: 0.35,
  N_grid: [25, 50, 100, 150, 200, 400, 800, 1600, 3200, 6400, 12800],
  eps: 0.1,
  orth_init: false,
  layernorm: false,
  include_first_order_diag: 1,
  orient_matched_statistic_sign: 1,
  alpha_method: 'mcculloch',
  min_samples_alpha: 500,
  const_s: 0.005,
  gate_log_every: 10,
  seeds: [212],
  w_seed: 12345,
  models: ['const', 'shared', 'diag', 'gru', 'lstm'],
  backend: 'auto',
} satisfies ExperimentConfig);

// ---------------------------------------------------------------------------
// Per-field schemas
// ---------------------------------------------------------------------------

const MAX_SEED = Number.MAX_SAFE_INTEGER;

const posInt = z.number().int().min(1);
const seedInt = z.number().int().min(0).max(MAX_SEED);
const finite = z.number();
const zeroOne = z.union([z.literal(0), z.literal(1)]);

function distinct<T>(xs: readonly T[]): boolean {
  return new Set(xs).size === xs.length;
}
function strictlyIncreasing(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i]! > xs[i - 1]!)) return false;
  return true;
}

type FieldSchemas = { [K in ConfigField]: z.ZodType<ExperimentConfig[K]> };

const FIELD_SCHEMAS: FieldSchemas = {
  Nseq_train: posInt,
  Nseq_diag: posInt,
  T: z.number().int().min(2),
  D: posInt,
  H: posInt,
  optimizer: z.enum(['adamw', 'sgd', 'sgd_momentum']),
  momentum: finite.min(0).lt(1),
  epochs: posInt,
  batch_size: posInt,
  lr: finite.gt(0),
  weight_decay: finite.min(0),
  grad_clip: finite.min(0),
  lag_min: posInt,
  lag_max: posInt,
  num_lags: posInt,
  task_lags: z.array(posInt).min(1).refine(distinct),
  task_coeffs: z.array(finite).min(1),
  noise_std: finite.min(0),
  N_grid: z.array(posInt).min(1).refine(strictlyIncreasing),
  eps: finite.gt(0),
  orth_init: z.boolean(),
  layernorm: z.boolean(),
  include_first_order_diag: zeroOne,
  orient_matched_statistic_sign: zeroOne,
  alpha_method: z.enum(['ecf', 'mcculloch']),
  min_samples_alpha: posInt,
  const_s: finite.gt(0).lt(1),
  gate_log_every: posInt,
  seeds: z.array(seedInt).min(1).refine(distinct),
  w_seed: seedInt,
  models: z.array(z.enum(['const', 'shared', 'diag', 'gru', 'lstm'])).min(1).refine(distinct),
  backend: z.enum(['auto', 'cpu', 'webgpu']),
};

// ---------------------------------------------------------------------------
// Metadata (for CLI flags, the future UI form and error messages)
// ---------------------------------------------------------------------------

function meta(
  name: ConfigField, kind: FieldKind, group: FieldGroup, unit: string, help: string, rule: string,
  choices?: readonly string[],
): FieldMeta {
  return choices ? { name, kind, group, unit, help, rule, choices } : { name, kind, group, unit, help, rule };
}

/** Every field, in the order a form shows them (SCIENCE.md §7 order). */
export const CONFIG_FIELDS: readonly FieldMeta[] = Object.freeze([
  meta('Nseq_train', 'int', 'data', 'sequences', 'number of training sequences (§1)', 'must be an integer >= 1'),
  meta('Nseq_diag', 'int', 'data', 'sequences', 'number of diagnostic sequences (§1)', 'must be an integer >= 1'),
  meta('T', 'int', 'data', 'steps', 'sequence length', 'must be an integer >= 2'),
  meta('D', 'int', 'data', '', 'input dimension', 'must be an integer >= 1'),
  meta('H', 'int', 'model', 'units', 'hidden size', 'must be an integer >= 1'),
  meta('optimizer', 'enum', 'training', '', 'optimiser (§3)', 'must be one of adamw, sgd, sgd_momentum', OPTIMIZER_NAMES),
  meta('momentum', 'number', 'training', '', 'heavy-ball momentum (sgd_momentum only)', 'must be >= 0 and < 1'),
  meta('epochs', 'int', 'training', 'epochs', 'number of training epochs', 'must be an integer >= 1'),
  meta('batch_size', 'int', 'training', 'sequences', 'mini-batch size', 'must be an integer >= 1'),
  meta('lr', 'number', 'training', '', 'learning rate', 'must be a number > 0'),
  meta('weight_decay', 'number', 'training', '', 'weight decay (decoupled for adamw)', 'must be a number >= 0'),
  meta('grad_clip', 'number', 'training', '', 'global L2 gradient-norm clip (0 = off)', 'must be a number >= 0'),
  meta('lag_min', 'int', 'diagnostics', 'steps', 'smallest diagnosed lag (§4.3)', 'must be an integer >= 1'),
  meta('lag_max', 'int', 'diagnostics', 'steps', 'largest diagnosed lag (§4.3)', 'must be an integer >= 1'),
  meta('num_lags', 'int', 'diagnostics', 'lags', 'number of lags on the grid (§4.3)', 'must be an integer >= 1'),
  meta('task_lags', 'int-list', 'data', 'steps', 'lags of the target terms (§1)', 'must be a non-empty list of distinct integers >= 1'),
  meta('task_coeffs', 'number-list', 'data', '', 'coefficients of the target terms, one per task lag (§1)', 'must be a non-empty list of numbers'),
  meta('noise_std', 'number', 'data', '', 'standard deviation of the target noise (§1)', 'must be a number >= 0'),
  meta('N_grid', 'int-list', 'statistics', 'samples', 'sample sizes N for detectability and H_N (§5.2)', 'must be a non-empty, strictly increasing list of integers >= 1'),
  meta('eps', 'number', 'statistics', '', 'detection threshold on the SNR (§5.2)', 'must be a number > 0'),
  meta('orth_init', 'boolean', 'model', '', 'orthogonal initialisation of weight matrices (§2)', 'must be true or false'),
  meta('layernorm', 'boolean', 'model', '', 'LayerNorm on the candidate pre-activation (§2)', 'must be true or false'),
  meta('include_first_order_diag', 'flag01', 'diagnostics', '', 'add the first-order term mu1 to mu (§4.2)', 'must be 0 or 1'),
  meta('orient_matched_statistic_sign', 'flag01', 'statistics', '', 'orient matched-statistic samples by the sign of their mean (§5)', 'must be 0 or 1'),
  meta('alpha_method', 'enum', 'statistics', '', 'tail-index estimator (§5.1)', 'must be one of ecf, mcculloch', ALPHA_METHODS),
  meta('min_samples_alpha', 'int', 'statistics', 'samples', 'fewer samples than this make alpha unreliable (§5.1)', 'must be an integer >= 1'),
  meta('const_s', 'number', 'model', '', 'ConstGate update s; initial gate of shared/diag (§2)', 'must be > 0 and < 1'),
  meta('gate_log_every', 'int', 'training', 'epochs', 'record gate statistics every this many epochs (§3)', 'must be an integer >= 1'),
  meta('seeds', 'int-list', 'run', '', 'run seeds, one run per (model, seed)', 'must be a non-empty list of distinct integers >= 0'),
  meta('w_seed', 'int', 'statistics', '', 'seed of the random parameter direction w (§5)', 'must be an integer >= 0'),
  meta('models', 'enum-list', 'run', '', 'architectures to run (§2)', 'must be a non-empty list of distinct names from const, shared, diag, gru, lstm', ARCH_NAMES),
  meta('backend', 'enum', 'run', '', 'compute backend', 'must be one of auto, cpu, webgpu', BACKEND_NAMES),
]);

export const CONFIG_FIELD_MAP: Readonly<Record<ConfigField, FieldMeta>> = Object.freeze(
  Object.fromEntries(CONFIG_FIELDS.map((f) => [f.name, f])) as Record<ConfigField, FieldMeta>,
);

export function isConfigField(name: string): name is ConfigField {
  return Object.prototype.hasOwnProperty.call(CONFIG_FIELD_MAP, name);
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

export interface ConfigError {
  field: string;
  message: string;
}

export type ParseResult =
  | { ok: true; config: ExperimentConfig }
  | { ok: false; errors: ConfigError[] };

/** A value as a short human-readable string for error messages. */
export function formatValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : v.map((x) => (typeof x === 'string' ? x : String(x))).join(',');
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function fieldError(field: ConfigField, value: unknown): ConfigError {
  return { field, message: `${field} ${CONFIG_FIELD_MAP[field].rule} (got ${formatValue(value)})` };
}

/** Closest known field name (edit distance <= 2, case-insensitive), for "did you mean". */
export function suggestField(name: string): ConfigField | undefined {
  const lower = name.toLowerCase().replace(/^-+/, '').replace(/-/g, '_');
  let best: ConfigField | undefined;
  let bestD = 3;
  for (const f of CONFIG_FIELDS) {
    const d = editDistance(lower, f.name.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = f.name;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/**
 * Validate a configuration object. Missing fields take DEFAULT_CONFIG's
 * values; unknown fields are errors. Returns every problem at once.
 */
export function parseConfig(input: unknown): ParseResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', message: `the configuration must be an object of fields (got ${formatValue(input)})` }] };
  }
  const src = input as Record<string, unknown>;
  const errors: ConfigError[] = [];
  for (const key of Object.keys(src)) {
    if (!isConfigField(key)) {
      const s = suggestField(key);
      errors.push({ field: key, message: `unknown field "${key}"${s ? ` (did you mean ${s}?)` : ''}` });
    }
  }
  const out: Partial<Record<ConfigField, unknown>> = {};
  const valid = new Set<ConfigField>();
  for (const f of CONFIG_FIELDS) {
    const raw = src[f.name] === undefined ? DEFAULT_CONFIG[f.name] : src[f.name];
    const r = FIELD_SCHEMAS[f.name].safeParse(raw);
    if (r.success) {
      out[f.name] = Array.isArray(r.data) ? [...r.data] : r.data;
      valid.add(f.name);
    } else {
      errors.push(fieldError(f.name, raw));
    }
  }
  crossFieldRules(out as Partial<ExperimentConfig>, valid, errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: out as ExperimentConfig };
}

/** Rules that involve more than one field; each runs only when its fields are individually valid. */
function crossFieldRules(c: Partial<ExperimentConfig>, valid: Set<ConfigField>, errors: ConfigError[]): void {
  const has = (...fs: ConfigField[]) => fs.every((f) => valid.has(f));
  if (has('task_lags', 'task_coeffs') && c.task_lags!.length !== c.task_coeffs!.length) {
    errors.push({
      field: 'task_coeffs',
      message: `task_coeffs must have one coefficient per task lag (${c.task_lags!.length} task_lags, got ${c.task_coeffs!.length} task_coeffs)`,
    });
  }
  if (has('lag_min', 'lag_max') && c.lag_min! > c.lag_max!) {
    errors.push({ field: 'lag_max', message: `lag_max must be >= lag_min (lag_min is ${c.lag_min}, got ${c.lag_max})` });
  }
  if (has('lag_max', 'T') && c.lag_max! >= c.T!) {
    errors.push({ field: 'lag_max', message: `lag_max must be < T (T is ${c.T}, got ${c.lag_max})` });
  }
  if (has('task_lags', 'T')) {
    const bad = c.task_lags!.filter((l) => l >= c.T!);
    if (bad.length > 0) {
      errors.push({ field: 'task_lags', message: `task_lags must all be < T (T is ${c.T}, got ${bad.join(',')})` });
    }
  }
}

/** Like parseConfig, but throws an Error listing every problem. */
export function parseConfigOrThrow(input: unknown): ExperimentConfig {
  const r = parseConfig(input);
  if (!r.ok) throw new Error(`invalid configuration:\n${r.errors.map((e) => `  ${e.message}`).join('\n')}`);
  return r.config;
}

/**
 * Preset < overrides (in order) < nothing else. `preset` is a preset name, a
 * (partial) configuration object, or null for the defaults alone. Override
 * values that are `undefined` are ignored.
 */
export function resolveConfig(
  preset: PresetName | string | Partial<Record<ConfigField, unknown>> | null | undefined,
  ...overrides: (Partial<Record<string, unknown>> | null | undefined)[]
): ParseResult {
  let base: Record<string, unknown> = { ...DEFAULT_CONFIG };
  if (typeof preset === 'string') {
    if (!(PRESET_NAMES as readonly string[]).includes(preset)) {
      return { ok: false, errors: [{ field: 'preset', message: `preset must be one of ${PRESET_NAMES.join(', ')} (got ${JSON.stringify(preset)})` }] };
    }
    base = { ...base, ...PRESETS[preset as PresetName] };
  } else if (preset) {
    base = { ...base, ...definedOnly(preset) };
  }
  for (const o of overrides) if (o) base = { ...base, ...definedOnly(o) };
  return parseConfig(base);
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) r[k] = v;
  return r;
}

// ---------------------------------------------------------------------------
// Text values (CLI flags, cli_args.csv cells, form inputs)
// ---------------------------------------------------------------------------

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Split a list written as "1,2,3", "1 2 3", "[1, 2, 3]" or "['a', 'b']". */
export function splitList(raw: string): string[] {
  let s = raw.trim();
  if ((s.startsWith('[') && s.endsWith(']')) || (s.startsWith('(') && s.endsWith(')'))) s = s.slice(1, -1);
  return s
    .split(/[\s,;]+/)
    .map((p) => p.trim().replace(/^['"]|['"]$/g, ''))
    .filter((p) => p.length > 0);
}

function toNumber(s: string): number | string {
  const t = s.trim();
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return s;
  return Number(t);
}

/**
 * Convert a text value to the field's type. A value that cannot be converted
 * is returned unchanged (a string), so parseConfig reports it with the field's
 * rule ("T must be an integer >= 2 (got "abc")").
 */
export function coerceFieldValue(field: ConfigField, raw: string): unknown {
  const kind = CONFIG_FIELD_MAP[field].kind;
  const s = raw.trim();
  switch (kind) {
    case 'int':
    case 'number':
      return toNumber(s);
    case 'boolean': {
      const l = s.toLowerCase();
      if (TRUE_WORDS.has(l)) return true;
      if (FALSE_WORDS.has(l)) return false;
      return raw;
    }
    case 'flag01': {
      const l = s.toLowerCase();
      if (TRUE_WORDS.has(l)) return 1;
      if (FALSE_WORDS.has(l)) return 0;
      return raw;
    }
    case 'enum':
      return s.replace(/^['"]|['"]$/g, '');
    case 'int-list':
    case 'number-list': {
      const parts = splitList(s).map(toNumber);
      return parts.every((p) => typeof p === 'number') ? parts : raw;
    }
    case 'enum-list':
      return splitList(s);
  }
}

/** The text form of a field's value (lists comma-separated), the inverse of coerceFieldValue. */
export function formatFieldValue(value: ExperimentConfig[ConfigField]): string {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

// ---------------------------------------------------------------------------
// Derived quantities
// ---------------------------------------------------------------------------

/**
 * The lag grid (SCIENCE.md §4.3): `num_lags` values evenly spaced from lag_min
 * to lag_max, truncated to integers as an integer cast of numpy's linspace does
 * (value_i = lag_min + i·step, step = (lag_max - lag_min)/(num_lags - 1), the
 * last value exactly lag_max), then duplicates and lags >= T dropped. Sorted.
 */
export function lagGrid(cfg: Pick<ExperimentConfig, 'lag_min' | 'lag_max' | 'num_lags' | 'T'>): number[] {
  const { lag_min: a, lag_max: b, num_lags: n, T } = cfg;
  const out: number[] = [];
  const push = (v: number) => {
    const l = Math.trunc(v);
    if (l < T && l >= 1 && out[out.length - 1] !== l) out.push(l);
  };
  if (n <= 1) {
    push(a);
    return out;
  }
  const step = (b - a) / (n - 1);
  for (let i = 0; i < n - 1; i++) push(i * step + a);
  push(b);
  return out;
}

/** The runs of an experiment: one per (architecture, seed), seeds outer. */
export function expandRuns(cfg: Pick<ExperimentConfig, 'models' | 'seeds'>): { arch: ArchName; seed: number }[] {
  const runs: { arch: ArchName; seed: number }[] = [];
  for (const seed of cfg.seeds) for (const arch of cfg.models) runs.push({ arch, seed });
  return runs;
}
