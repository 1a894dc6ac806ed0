/**
 * GPU kernel tunings (migration 0004, src-shared/gpu-tuning.ts): the fastest
 * kernel shape measured on one adapter for one (arch, D, H, layernorm, batch).
 * A new measurement of a key replaces the stored one (upsert); the scheduler
 * hands a webgpu run every adapter's tuning of its key (runTuningsFor) and
 * the worker applies its device's.
 *
 * `unroll` is stored in an ANY column: the integer factor as an INTEGER, or
 * the text 'auto'.
 */
import { ARCH_NAMES, type ArchName } from '../../../src-shared/config';
import {
  isKernelShape, type GpuTuningRecord, type KernelShape, type RunGpuTuning, type RunKernelShape, type TuningKey,
} from '../../../src-shared/gpu-tuning';
import type { StoreContext } from './context';
import { StoreNotFoundError, StoreValidationError, type FieldError } from './errors';

/** What saveGpuTunings takes: a record without its id and time (the store sets them). */
export type NewGpuTuning = Omit<GpuTuningRecord, 'id' | 'tunedAt'>;

/** Filters of listGpuTunings (combined with AND). */
export interface GpuTuningFilter {
  adapter?: string;
  arch?: ArchName;
  D?: number;
  H?: number;
  layernorm?: boolean;
  batch?: number;
}

/** The model shape and mini-batch of a run (a tuning key without the adapter). */
export type RunTuningKey = Omit<TuningKey, 'adapter'>;

/** the longest adapter label stored (the column's CHECK) */
export const MAX_ADAPTER_LENGTH = 500;

interface TuningRow {
  id: number;
  adapter: string;
  arch: string;
  D: number;
  H: number;
  layernorm: number;
  batch: number;
  workgroup_size: number;
  seqs_per_workgroup: number;
  unroll: number | string;
  step_ms: number;
  default_step_ms: number | null;
  T: number;
  tried: number;
  tuned_at: number;
}

const SELECT = `SELECT id, adapter, arch, D, H, layernorm, batch, workgroup_size, seqs_per_workgroup, unroll, step_ms, default_step_ms, T, tried,
  tuned_at FROM gpu_tunings`;
const ORDER = 'ORDER BY adapter, arch, D, H, batch, layernorm';

function shapeOf(r: Pick<TuningRow, 'workgroup_size' | 'seqs_per_workgroup' | 'unroll'>): KernelShape {
  return { workgroupSize: r.workgroup_size, seqsPerWorkgroup: r.seqs_per_workgroup, unroll: r.unroll === 'auto' ? 'auto' : Number(r.unroll) };
}

function toRecord(r: TuningRow): GpuTuningRecord {
  return {
    id: r.id,
    adapter: r.adapter,
    arch: r.arch as ArchName,
    D: r.D,
    H: r.H,
    layernorm: r.layernorm === 1,
    batch: r.batch,
    shape: shapeOf(r),
    stepMs: r.step_ms,
    defaultStepMs: r.default_step_ms,
    T: r.T,
    tried: r.tried,
    tunedAt: r.tuned_at,
  };
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isPosMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1e300;

/** Problems of one tuning to store, each naming its field (`${p}.field`). */
function checkTuning(t: unknown, p: string, errors: FieldError[]): void {
  const add = (field: string, message: string) => errors.push({ field: `${p}.${field}`, message: `${p}.${field} ${message}` });
  if (typeof t !== 'object' || t === null || Array.isArray(t)) {
    errors.push({ field: p, message: `${p} must be a tuning {adapter, arch, D, H, layernorm, batch, shape, stepMs, defaultStepMs, T, tried} (got ${show(t)})` });
    return;
  }
  const r = t as Record<string, unknown>;
  if (typeof r.adapter !== 'string' || r.adapter.length === 0 || r.adapter.length > MAX_ADAPTER_LENGTH) {
    add('adapter', `must be a non-empty text of at most ${MAX_ADAPTER_LENGTH} characters (got ${show(r.adapter)})`);
  }
  if (typeof r.arch !== 'string' || !(ARCH_NAMES as readonly string[]).includes(r.arch)) add('arch', `must be one of ${ARCH_NAMES.join(', ')} (got ${show(r.arch)})`);
  for (const k of ['D', 'H', 'batch', 'T'] as const) if (!isPosInt(r[k])) add(k, `must be an integer >= 1 (got ${show(r[k])})`);
  if (typeof r.layernorm !== 'boolean') add('layernorm', `must be true or false (got ${show(r.layernorm)})`);
  if (!isKernelShape(r.shape)) {
    add('shape', 'must be a kernel shape {workgroupSize: a power of two from 1 to 1024, seqsPerWorkgroup: an integer from 1 to 1024, '
      + `unroll: an integer from 1 to 32 or 'auto'} (got ${show(r.shape)})`);
  }
  if (!isPosMs(r.stepMs)) add('stepMs', `must be a finite number of milliseconds > 0 (got ${show(r.stepMs)})`);
  if (r.defaultStepMs !== null && !isPosMs(r.defaultStepMs)) add('defaultStepMs', `must be null or a finite number of milliseconds > 0 (got ${show(r.defaultStepMs)})`);
  if (typeof r.tried !== 'number' || !Number.isSafeInteger(r.tried) || r.tried < 0) add('tried', `must be an integer >= 0 (got ${show(r.tried)})`);
}

/** Stored tunings matching `filter`, ordered by adapter, arch, D, H, batch (then layernorm). */
export function listGpuTunings(ctx: StoreContext, filter: GpuTuningFilter = {}): GpuTuningRecord[] {
  const where: string[] = [];
  const args: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  const f = filter as Record<string, unknown>;
  if (f.adapter !== undefined) {
    if (typeof f.adapter !== 'string') errors.push({ field: 'adapter', message: `adapter must be a text (got ${show(f.adapter)})` });
    where.push('adapter = @adapter');
    args.adapter = f.adapter;
  }
  if (f.arch !== undefined) {
    if (typeof f.arch !== 'string' || !(ARCH_NAMES as readonly string[]).includes(f.arch)) {
      errors.push({ field: 'arch', message: `arch must be one of ${ARCH_NAMES.join(', ')} (got ${show(f.arch)})` });
    }
    where.push('arch = @arch');
    args.arch = f.arch;
  }
  for (const k of ['D', 'H', 'batch'] as const) {
    if (f[k] === undefined) continue;
    if (!isPosInt(f[k])) errors.push({ field: k, message: `${k} must be an integer >= 1 (got ${show(f[k])})` });
    where.push(`${k} = @${k}`);
    args[k] = f[k];
  }
  if (f.layernorm !== undefined) {
    if (typeof f.layernorm !== 'boolean') errors.push({ field: 'layernorm', message: `layernorm must be true or false (got ${show(f.layernorm)})` });
    where.push('layernorm = @layernorm');
    args.layernorm = f.layernorm ? 1 : 0;
  }
  if (errors.length > 0) throw new StoreValidationError('tuning filter', errors);
  const sql = `${SELECT}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ${ORDER}`;
  return ctx.sql<TuningRow>(sql).all(args).map(toRecord);
}

export function getGpuTuning(ctx: StoreContext, id: number): GpuTuningRecord | null {
  const r = ctx.sql<TuningRow>(`${SELECT} WHERE id = ?`).get(id);
  return r ? toRecord(r) : null;
}

/**
 * Store tunings in one transaction: each replaces the stored tuning of its
 * key (adapter, arch, D, H, layernorm, batch), with the time now. Every row is
 * validated first (StoreValidationError naming `rows[i].field`; nothing
 * stored); two rows of one key are refused. Returns the stored records, in
 * the order given.
 */
export function saveGpuTunings(ctx: StoreContext, rows: readonly NewGpuTuning[]): GpuTuningRecord[] {
  const errors: FieldError[] = [];
  if (!Array.isArray(rows)) {
    throw new StoreValidationError('GPU tunings', [{ field: 'rows', message: `rows must be a list of tunings (got ${show(rows)})` }]);
  }
  const keys = new Map<string, number>();
  rows.forEach((r, i) => {
    const before = errors.length;
    checkTuning(r, `rows[${i}]`, errors);
    if (errors.length > before) return;
    const key = JSON.stringify([r.adapter, r.arch, r.D, r.H, r.layernorm, r.batch]);
    const first = keys.get(key);
    if (first !== undefined) {
      errors.push({ field: `rows[${i}]`, message: `rows[${i}] has the key (adapter, arch, D, H, layernorm, batch) of rows[${first}]` });
    } else keys.set(key, i);
  });
  if (errors.length > 0) throw new StoreValidationError('GPU tunings', errors);
  return ctx.tx(() => {
    const now = ctx.now();
    const up = ctx.sql<{ id: number }>(`INSERT INTO gpu_tunings (adapter, arch, D, H, layernorm, batch, workgroup_size, seqs_per_workgroup, unroll,
        step_ms, default_step_ms, T, tried, tuned_at)
      VALUES (@adapter, @arch, @D, @H, @layernorm, @batch, @wg, @seqs, @unroll, @stepMs, @defaultStepMs, @T, @tried, @now)
      ON CONFLICT (adapter, arch, D, H, layernorm, batch) DO UPDATE SET workgroup_size = excluded.workgroup_size,
        seqs_per_workgroup = excluded.seqs_per_workgroup, unroll = excluded.unroll, step_ms = excluded.step_ms,
        default_step_ms = excluded.default_step_ms, T = excluded.T, tried = excluded.tried, tuned_at = excluded.tuned_at
      RETURNING id`);
    const ids = rows.map((r) => up.get({
      adapter: r.adapter, arch: r.arch, D: r.D, H: r.H, layernorm: r.layernorm ? 1 : 0, batch: r.batch,
      wg: r.shape.workgroupSize, seqs: r.shape.seqsPerWorkgroup,
      // an INTEGER (a JS number binds as REAL, which the ANY column would keep as such)
      unroll: r.shape.unroll === 'auto' ? 'auto' : BigInt(r.shape.unroll),
      stepMs: r.stepMs, defaultStepMs: r.defaultStepMs, T: r.T, tried: r.tried, now,
    })!.id);
    return ids.map((id) => getGpuTuning(ctx, id)!);
  });
}

/** Forget a stored tuning (StoreNotFoundError when there is none with that id). */
export function deleteGpuTuning(ctx: StoreContext, id: number): void {
  const n = ctx.sql('DELETE FROM gpu_tunings WHERE id = ?').run(id).changes;
  if (n === 0) throw new StoreNotFoundError(`no GPU tuning with id ${id}`);
}

/**
 * The tunings a run of this model shape and mini-batch may use: every
 * adapter's (the worker applies its device's), ordered by adapter.
 */
export function runTuningsFor(ctx: StoreContext, key: RunTuningKey): RunGpuTuning[] {
  return ctx.sql<Pick<TuningRow, 'adapter' | 'workgroup_size' | 'seqs_per_workgroup' | 'unroll'>>(
    `SELECT adapter, workgroup_size, seqs_per_workgroup, unroll FROM gpu_tunings
      WHERE arch = ? AND D = ? AND H = ? AND layernorm = ? AND batch = ? ORDER BY adapter`,
  ).all(key.arch, key.D, key.H, key.layernorm ? 1 : 0, key.batch).map((r) => ({ adapter: r.adapter, shape: shapeOf(r) }));
}

// ---------------------------------------------------------------------------
// A run's kernel shape (runs.kernel_shape, JSON)
// ---------------------------------------------------------------------------

const SOURCES: readonly RunKernelShape['source'][] = ['tuned', 'default'];

export function isRunKernelShape(s: unknown): s is RunKernelShape {
  return isKernelShape(s) && SOURCES.includes((s as unknown as Record<string, unknown>).source as RunKernelShape['source']);
}

/** The column's JSON: exactly the four fields (anything else the object carries is left out). */
export function kernelShapeJson(s: RunKernelShape): string {
  return JSON.stringify({ workgroupSize: s.workgroupSize, seqsPerWorkgroup: s.seqsPerWorkgroup, unroll: s.unroll, source: s.source });
}

/** The column read back: null when NULL (or, defensively, not a kernel shape). */
export function kernelShapeFromJson(json: string | null): RunKernelShape | null {
  if (json === null) return null;
  try {
    const v: unknown = JSON.parse(json);
    return isRunKernelShape(v) ? { workgroupSize: v.workgroupSize, seqsPerWorkgroup: v.seqsPerWorkgroup, unroll: v.unroll, source: v.source } : null;
  } catch {
    return null;
  }
}
