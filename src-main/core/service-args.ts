/**
 * Validation of the Api's arguments (src-shared/api.ts). Arguments arrive
 * untrusted from a transport: each must be a plain object with only the
 * documented keys, each value of its type; a problem is an
 * ApiError('invalid', message, fields) naming every field at fault, and
 * nothing is done. Configurations are validated by the shared schema
 * (parseConfig through resolveConfig), never here.
 */
import {
  ApiError, type ExperimentFilter, type ExportFormat,
} from '../../src-shared/api';
import { ARCH_NAMES, OPTIMIZER_NAMES, type ConfigError } from '../../src-shared/config';
import { MAX_LIST_LIMIT } from './store/experiments';

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

export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'zip', 'pdf'];
