/**
 * Validation of the Api's arguments (src-shared/api.ts). Arguments arrive
 * untrusted from a transport: each must be a plain object with only the
 * documented keys, each value of its type; a problem is an
 * ApiError('invalid', message, fields) naming every field at fault, and
 * nothing is done. Configurations are validated by the shared schema
 * (parseConfig through resolveConfig), never here.
 */
import {
  ApiError, MAX_RUN_RESULTS_BATCH, NOISE_LAB_LIMITS, type EstimateAlphaArg, type ExperimentFilter, type ExportFormat, type NoiseLabSweepArg,
  type StableDrawArg,
} from '../../src-shared/api';
import { ALPHA_METHODS, ARCH_NAMES, OPTIMIZER_NAMES, type AlphaMethod, type ArchName, type ConfigError } from '../../src-shared/config';
import { TUNE_LIMITS } from '../../src-shared/gpu-tuning';
import { PRESET_NAMES } from '../../src-shared/presets';
import { MAX_LIST_LIMIT } from './store/experiments';
import { MAX_ADAPTER_LENGTH } from './store/gpu-tunings';

export const MAX_TEXT = 10_000;
export const MAX_PATH = 4096;
export const MAX_EVENTS_LIMIT = 10_000;

type Obj = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return v.length > 40 ? `a text of ${v.length} characters` : JSON.stringify(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Collects the problems of one argument. */
export class Args {
  readonly errors: ConfigError[] = [];
  readonly obj: Obj;

  constructor(readonly method: string, arg: unknown, allowed: readonly string[], optional = false) {
    if (arg === undefined || arg === null) {
      if (!optional && allowed.length > 0) this.add('', `${method} needs an argument object {${allowed.join(', ')}}`);
      this.obj = {};
      return;
    }
    if (typeof arg !== 'object' || Array.isArray(arg) || Object.getPrototypeOf(arg) !== Object.prototype && Object.getPrototypeOf(arg) !== null) {
      this.add('', `${method} takes an object {${allowed.join(', ')}} (got ${describe(arg)})`);
      this.obj = {};
      return;
    }
    this.obj = arg as Obj;
    for (const k of Object.keys(this.obj)) {
      if (!allowed.includes(k)) this.add(k, `${method}: unknown argument "${k}" (allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'})`);
    }
  }

  add(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  /** Throw ApiError('invalid') when a problem was found. */
  done(): void {
    if (this.errors.length > 0) {
      throw new ApiError('invalid', this.errors.map((e) => e.message).join('; '), this.errors);
    }
  }

  id(key: string, required = true, label = key): number | undefined {
    const v = this.obj[key];
    if (v === undefined) {
      if (required) this.add(label, `${label} is required: a positive integer id`);
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      this.add(label, `${label} must be a positive integer id (got ${describe(v)})`);
      return undefined;
    }
    return v;
  }

  int(key: string, min: number, max: number, label = key): number | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      this.add(label, `${label} must be an integer from ${min} to ${max} (got ${describe(v)})`);
      return undefined;
    }
    return v;
  }

  /** int(), and "… is required: an integer from min to max" when absent */
  requiredInt(key: string, min: number, max: number): number | undefined {
    if (this.obj[key] === undefined) {
      this.add(key, `${key} is required: an integer from ${min} to ${max}`);
      return undefined;
    }
    return this.int(key, min, max);
  }

  num(key: string, label = key): number | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.add(label, `${label} must be a finite number (got ${describe(v)})`);
      return undefined;
    }
    return v;
  }

  str(key: string, opts: { required?: boolean; max?: number; nonEmpty?: boolean } = {}, label = key): string | undefined {
    const v = this.obj[key];
    const max = opts.max ?? MAX_TEXT;
    if (v === undefined) {
      if (opts.required) this.add(label, `${label} is required: a text`);
      return undefined;
    }
    if (typeof v !== 'string' || v.length > max || (opts.nonEmpty && v.trim() === '')) {
      this.add(label, `${label} must be a${opts.nonEmpty ? ' non-empty' : ''} text of at most ${max} characters (got ${describe(v)})`);
      return undefined;
    }
    return v;
  }

  bool(key: string, label = key): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.add(label, `${label} must be true or false (got ${describe(v)})`);
      return undefined;
    }
    return v;
  }

  /** A list of texts (the store checks lengths and counts of tags). */
  strings(key: string, label = key): string[] | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) {
      this.add(label, `${label} must be a list of texts (got ${describe(v)})`);
      return undefined;
    }
    return v as string[];
  }

  oneOf<T extends string>(key: string, choices: readonly T[], required = false, label = key): T | undefined {
    const v = this.obj[key];
    if (v === undefined) {
      if (required) this.add(label, `${label} is required: one of ${choices.join(', ')}`);
      return undefined;
    }
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      this.add(label, `${label} must be one of ${choices.join(', ')} (got ${describe(v)})`);
      return undefined;
    }
    return v as T;
  }

  /** A plain object of configuration fields (its contents are the schema's business). */
  record(key: string, label = key): Record<string, unknown> | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.add(label, `${label} must be an object of configuration fields (got ${describe(v)})`);
      return undefined;
    }
    return v as Record<string, unknown>;
  }
}

const FILTER_KEYS = ['text', 'tags', 'arch', 'optimizer', 'H', 'T', 'preset', 'finished', 'createdFrom', 'createdTo'] as const;

/** ListExperimentsArg (every part optional). */
export function checkListArg(arg: unknown): { filter: ExperimentFilter; limit?: number; offset?: number } {
  const a = new Args('listExperiments', arg, ['filter', 'limit', 'offset'], true);
  const limit = a.int('limit', 1, MAX_LIST_LIMIT);
  const offset = a.int('offset', 0, Number.MAX_SAFE_INTEGER);
  const filter: ExperimentFilter = {};
  if (a.obj.filter !== undefined) {
    const f = new Args('filter', a.obj.filter, FILTER_KEYS, true);
    const text = f.str('text', { max: 200 }, 'filter.text');
    const tags = f.strings('tags', 'filter.tags');
    const arch = f.oneOf('arch', ARCH_NAMES, false, 'filter.arch');
    const optimizer = f.oneOf('optimizer', OPTIMIZER_NAMES, false, 'filter.optimizer');
    const H = f.int('H', 1, 1_000_000, 'filter.H');
    const T = f.int('T', 1, 1_000_000_000, 'filter.T');
    const preset = f.str('preset', { max: 64 }, 'filter.preset');
    const finished = f.bool('finished', 'filter.finished');
    const createdFrom = f.num('createdFrom', 'filter.createdFrom');
    const createdTo = f.num('createdTo', 'filter.createdTo');
    a.errors.push(...f.errors.map((e) => (e.field === '' ? { ...e, field: 'filter' } : e)));
    if (text !== undefined) filter.text = text;
    if (tags !== undefined) filter.tags = tags;
    if (arch !== undefined) filter.arch = arch;
    if (optimizer !== undefined) filter.optimizer = optimizer;
    if (H !== undefined) filter.H = H;
    if (T !== undefined) filter.T = T;
    if (preset !== undefined) filter.preset = preset;
    if (finished !== undefined) filter.finished = finished;
    if (createdFrom !== undefined) filter.createdFrom = createdFrom;
    if (createdTo !== undefined) filter.createdTo = createdTo;
  }
  a.done();
  return { filter, ...(limit !== undefined ? { limit } : {}), ...(offset !== undefined ? { offset } : {}) };
}

/** `{ id }` */
export function checkId(method: string, arg: unknown, key = 'id'): number {
  const a = new Args(method, arg, [key]);
  const id = a.id(key);
  a.done();
  return id!;
}

/** `{ runId, muUnits? }` (GetRunResultArg) */
export function checkGetRunResultArg(arg: unknown): { runId: number; muUnits: boolean } {
  const a = new Args('getRunResult', arg, ['runId', 'muUnits']);
  const runId = a.id('runId');
  const muUnits = a.bool('muUnits');
  a.done();
  return { runId: runId!, muUnits: muUnits ?? true };
}

/** `{ runIds, muUnits?, curves? }` (GetRunResultsArg): 1 to MAX_RUN_RESULTS_BATCH positive integer ids */
export function checkGetRunResultsArg(arg: unknown): { runIds: number[]; muUnits: boolean; curves: boolean } {
  const a = new Args('getRunResults', arg, ['runIds', 'muUnits', 'curves']);
  const v = a.obj.runIds;
  let runIds: number[] = [];
  if (v === undefined) a.add('runIds', `runIds is required: a list of 1 to ${MAX_RUN_RESULTS_BATCH} run ids`);
  else if (!Array.isArray(v) || v.length < 1 || v.length > MAX_RUN_RESULTS_BATCH) {
    a.add('runIds', `runIds must be a list of 1 to ${MAX_RUN_RESULTS_BATCH} run ids (got ${describe(v)})`);
  } else {
    v.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) a.add(`runIds[${i}]`, `runIds[${i}] must be a positive integer id (got ${describe(x)})`);
    });
    runIds = v as number[];
  }
  const muUnits = a.bool('muUnits');
  const curves = a.bool('curves');
  a.done();
  return { runIds, muUnits: muUnits ?? true, curves: curves ?? true };
}

export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'zip', 'pdf'];

// ---------------------------------------------------------------------------
// Noise lab (sampleStable, estimateAlpha, noiseLabSweep)

const L = NOISE_LAB_LIMITS;
const SEED_MAX = 0xffffffff;

/** alpha in [1, 2] */
function alphaOf(a: Args, key: string, required: boolean, label = key): number | undefined {
  const v = a.obj[key];
  if (v === undefined) {
    if (required) a.add(label, `${label} is required: the tail index, a number from ${L.alphaMin} to ${L.alphaMax}`);
    return undefined;
  }
  if (typeof v !== 'number' || !(v >= L.alphaMin && v <= L.alphaMax)) {
    a.add(label, `${label} must be a number from ${L.alphaMin} to ${L.alphaMax} (got ${describe(v)})`);
    return undefined;
  }
  return v;
}

function requireInt(a: Args, key: string, min: number, max: number, what: string, label = key): number | undefined {
  if (a.obj[key] === undefined) {
    a.add(label, `${label} is required: ${what}, an integer from ${min} to ${max}`);
    return undefined;
  }
  return a.int(key, min, max, label);
}

function scaleOf(a: Args, required: boolean, label = 'scale'): number | undefined {
  const v = a.obj.scale;
  if (v === undefined) {
    if (required) a.add(label, `${label} is required: a positive finite number`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0) || v > 1e12) {
    a.add(label, `${label} must be a positive finite number up to 1e12 (got ${describe(v)})`);
    return undefined;
  }
  return v;
}

const DRAW_KEYS = ['alpha', 'scale', 'n', 'seed'] as const;

function drawOf(a: Args, prefix = ''): StableDrawArg | undefined {
  const alpha = alphaOf(a, 'alpha', true, `${prefix}alpha`);
  const scale = scaleOf(a, true, `${prefix}scale`);
  const n = requireInt(a, 'n', L.minSamples, L.maxSamples, 'the number of samples', `${prefix}n`);
  const seed = requireInt(a, 'seed', 0, SEED_MAX, 'the random seed', `${prefix}seed`);
  if (alpha === undefined || scale === undefined || n === undefined || seed === undefined) return undefined;
  return { alpha, scale, n, seed };
}

/** `{ alpha, scale, n, seed }` of sampleStable */
export function checkStableDrawArg(arg: unknown): StableDrawArg {
  const a = new Args('sampleStable', arg, DRAW_KEYS);
  const d = drawOf(a);
  a.done();
  return d!;
}

/** estimateAlpha: exactly one of samples / draw, a method, optional minSamples and seed */
export function checkEstimateAlphaArg(arg: unknown): {
  samples?: ArrayLike<number>; draw?: StableDrawArg; method: AlphaMethod; minSamples: number; seed: number;
} {
  const a = new Args('estimateAlpha', arg, ['samples', 'draw', 'method', 'minSamples', 'seed']);
  const method = a.oneOf('method', ALPHA_METHODS, true);
  const minSamples = a.int('minSamples', 1, L.maxSamples) ?? 500;
  const seedArg = a.int('seed', 0, SEED_MAX);
  const o = a.obj as Partial<Record<keyof EstimateAlphaArg, unknown>>;
  let samples: ArrayLike<number> | undefined;
  let draw: StableDrawArg | undefined;
  if (o.samples === undefined && o.draw === undefined) a.add('samples', 'estimateAlpha needs samples (a list of numbers) or draw {alpha, scale, n, seed}');
  if (o.samples !== undefined && o.draw !== undefined) a.add('draw', 'estimateAlpha takes samples or draw, not both');
  if (o.samples !== undefined) {
    const v = o.samples;
    const ok = v instanceof Float64Array || v instanceof Float32Array || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
    if (!ok) a.add('samples', `samples must be a Float64Array or a list of numbers (got ${describe(v)})`);
    else if ((v as ArrayLike<number>).length > L.maxSamples) a.add('samples', `samples must hold at most ${L.maxSamples} values (got ${(v as ArrayLike<number>).length})`);
    else samples = v as ArrayLike<number>;
  }
  if (o.draw !== undefined) {
    const d = new Args('draw', o.draw, DRAW_KEYS);
    draw = drawOf(d, 'draw.');
    a.errors.push(...d.errors.map((e) => (e.field === '' || !e.field.startsWith('draw.') ? { ...e, field: e.field ? `draw.${e.field}` : 'draw' } : e)));
  }
  a.done();
  return {
    ...(samples ? { samples } : {}), ...(draw ? { draw } : {}), method: method!, minSamples, seed: seedArg ?? draw?.seed ?? 0,
  };
}

/** A non-empty list of at most `max` distinct items checked by `each`. */
function listOf<T>(a: Args, key: string, max: number, what: string, each: (v: unknown) => T | undefined, required = true): T[] | undefined {
  const v = a.obj[key];
  if (v === undefined) {
    if (required) a.add(key, `${key} is required: a list of 1 to ${max} ${what}`);
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0 || v.length > max) {
    a.add(key, `${key} must be a list of 1 to ${max} ${what} (got ${describe(v)})`);
    return undefined;
  }
  const out: T[] = [];
  for (const x of v) {
    const t = each(x);
    if (t === undefined) {
      a.add(key, `${key} must be a list of 1 to ${max} ${what} (${describe(x)} is not one)`);
      return undefined;
    }
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

const intIn = (min: number, max: number) => (x: unknown) => (typeof x === 'number' && Number.isSafeInteger(x) && x >= min && x <= max ? x : undefined);

/** noiseLabSweep: lists of alphas, sample sizes and seeds, optional methods / scale / minSamples; bounded work */
export function checkNoiseLabSweepArg(arg: unknown): Required<NoiseLabSweepArg> {
  const a = new Args('noiseLabSweep', arg, ['alphas', 'ns', 'seeds', 'methods', 'scale', 'minSamples']);
  const alphas = listOf(a, 'alphas', L.maxAlphas, `tail indices from ${L.alphaMin} to ${L.alphaMax}`,
    (x) => (typeof x === 'number' && x >= L.alphaMin && x <= L.alphaMax ? x : undefined));
  const ns = listOf(a, 'ns', L.maxNs, `sample sizes (integers from ${L.minSamples} to ${L.maxSamples})`, intIn(L.minSamples, L.maxSamples));
  const seeds = listOf(a, 'seeds', L.maxSeeds, `seeds (integers from 0 to ${SEED_MAX})`, intIn(0, SEED_MAX));
  const methods = listOf(a, 'methods', ALPHA_METHODS.length, `methods (${ALPHA_METHODS.join(', ')})`,
    (x) => ((ALPHA_METHODS as readonly unknown[]).includes(x) ? (x as AlphaMethod) : undefined), false) ?? [...ALPHA_METHODS];
  const scale = scaleOf(a, false) ?? 1;
  const minSamples = a.int('minSamples', 1, L.maxSamples) ?? 500;
  if (alphas && ns && seeds) {
    const work = alphas.length * seeds.length * ns.reduce((s, n) => s + n, 0) * (1 + methods.length);
    if (work > L.maxSweepWork) {
      a.add('ns', `the sweep is too large: alphas × seeds × Σ ns × (1 + methods) = ${work} exceeds ${L.maxSweepWork}; use fewer alphas, seeds or smaller sample sizes`);
    }
  }
  a.done();
  return { alphas: alphas!, ns: ns!, seeds: seeds!, methods, scale, minSamples };
}

// ---------------------------------------------------------------------------
// GPU kernel tuning (startGpuTuning, listGpuTunings)

/** startGpuTuning's argument, checked (the configuration itself is the schema's business: the service resolves it). */
export interface CheckedStartGpuTuningArg {
  preset?: string;
  config?: Record<string, unknown>;
  models?: ArchName[];
  budgetSeconds: number;
  reps: number;
}

/** `{ preset?, config?, models?, budgetSeconds?, reps? }`; budget and reps default to TUNE_LIMITS' defaults */
export function checkStartGpuTuningArg(arg: unknown): CheckedStartGpuTuningArg {
  const a = new Args('startGpuTuning', arg, ['preset', 'config', 'models', 'budgetSeconds', 'reps'], true);
  const preset = a.oneOf('preset', PRESET_NAMES);
  const config = a.record('config');
  const models = listOf(a, 'models', ARCH_NAMES.length, `architectures (${ARCH_NAMES.join(', ')})`,
    (x) => ((ARCH_NAMES as readonly unknown[]).includes(x) ? (x as ArchName) : undefined), false);
  const budgetSeconds = a.int('budgetSeconds', TUNE_LIMITS.budgetMin, TUNE_LIMITS.budgetMax) ?? TUNE_LIMITS.budgetDefault;
  const reps = a.int('reps', TUNE_LIMITS.repsMin, TUNE_LIMITS.repsMax) ?? TUNE_LIMITS.repsDefault;
  a.done();
  return {
    ...(preset !== undefined ? { preset } : {}), ...(config !== undefined ? { config } : {}), ...(models !== undefined ? { models } : {}),
    budgetSeconds, reps,
  };
}

/** `{ adapter? }` (optional) */
export function checkListGpuTuningsArg(arg: unknown): { adapter?: string } {
  const a = new Args('listGpuTunings', arg, ['adapter'], true);
  const adapter = a.str('adapter', { nonEmpty: true, max: MAX_ADAPTER_LENGTH });
  a.done();
  return adapter !== undefined ? { adapter } : {};
}
