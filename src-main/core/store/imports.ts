/**
 * Imported experiments (src-main/core/imports): an experiment whose runs'
 * rows come from result files, written in ONE transaction (nothing is stored
 * when any part is refused). Imported runs go straight to their final status
 * (no queued → running), are flagged `imported` with the place of their files
 * (`source`), and cannot be queued again (runs.ts applyStatus).
 */
import type { ArchName } from '../../../src-shared/config';
import type { ExperimentDetail, RunResult, RunStatus } from '../../../src-shared/results';
import type { StoreContext } from './context';
import { StoreValidationError, type FieldError } from './errors';
import { createExperiment, getExperiment } from './experiments';
import { validateRunResult, writeResultRows } from './results';
import { refreshExperimentFinished } from './runs';

/** Final statuses an imported run may have. */
export const IMPORTED_RUN_STATUSES: readonly RunStatus[] = ['done', 'diverged', 'failed', 'cancelled'];

export interface ImportedRunEvent {
  kind: string;
  message: string;
  data?: unknown;
}

export interface ImportedRun {
  arch: ArchName;
  seed: number;
  status: RunStatus;
  /** why the run failed (the run's error column) */
  error?: string;
  /** the rows, or null when the import holds none for this run */
  result: RunResult | null;
  /** where in the import the run's files were (e.g. seed_212/gru) */
  source: string | null;
  /** logged in order after the status event (warnings, notes) */
  events?: readonly ImportedRunEvent[];
}

export interface ImportExperimentSpec {
  name: string;
  /** the configuration (validated by parseConfig; its models × seeds must be exactly the runs) */
  config: unknown;
  /** the folder or .zip imported */
  source: string;
  tags?: readonly string[];
  notes?: string;
  runs: readonly ImportedRun[];
}

/** The result as validateRunResult sees it: an unknown wall time (NaN) is allowed for imports. */
function forValidation(r: RunResult): RunResult {
  return Number.isNaN(r.wallMs) ? { ...r, wallMs: 0 } : r;
}

/**
 * Store an imported experiment: the experiment (validated configuration),
 * its runs in expandRuns order with their final statuses, results and
 * events. Throws StoreValidationError (nothing stored) for an invalid
 * configuration, name, result, status, or a run list that is not the
 * configuration's models × seeds.
 */
export function importExperiment(ctx: StoreContext, spec: ImportExperimentSpec): ExperimentDetail {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  spec.runs.forEach((r, i) => {
    const key = `${r.arch}/${r.seed}`;
    if (seen.has(key)) errors.push({ field: `runs[${i}]`, message: `runs[${i}]: run ${r.arch}, seed ${r.seed} appears twice` });
    seen.add(key);
    if (!IMPORTED_RUN_STATUSES.includes(r.status)) {
      errors.push({ field: `runs[${i}].status`, message: `runs[${i}].status must be one of ${IMPORTED_RUN_STATUSES.join(', ')} (got ${r.status})` });
    }
    if (r.result) {
      for (const e of validateRunResult(forValidation(r.result))) errors.push({ field: `runs[${i}].${e.field}`, message: `runs[${i}] (${r.arch}, seed ${r.seed}): ${e.message}` });
    }
  });
  if (errors.length > 0) throw new StoreValidationError('imported experiment', errors);

  const id = ctx.tx(() => {
    const exp = createExperiment(ctx, spec.name, spec.config, {
      ...(spec.tags ? { tags: spec.tags } : {}),
      ...(spec.notes !== undefined ? { notes: spec.notes } : {}),
    });
    const missing = exp.runs.filter((r) => !seen.has(`${r.arch}/${r.seed}`)).map((r) => `${r.arch}/${r.seed}`);
    const extra = [...seen].filter((k) => !exp.runs.some((r) => `${r.arch}/${r.seed}` === k));
    if (missing.length > 0 || extra.length > 0) {
      throw new StoreValidationError('imported experiment', [{
        field: 'runs',
        message: `the runs must be the configuration's models × seeds${missing.length ? ` (missing ${missing.join(', ')})` : ''}`
          + `${extra.length ? ` (not in the configuration: ${extra.join(', ')})` : ''}`,
      }]);
    }
    ctx.sql('UPDATE experiments SET source = ? WHERE id = ?').run(spec.source, exp.id);
    const now = ctx.now();
    const event = ctx.sql('INSERT INTO run_events (run_id, at, kind, message, data_json) VALUES (?, ?, ?, ?, ?)');
    for (const rec of exp.runs) {
      const r = spec.runs.find((x) => x.arch === rec.arch && x.seed === rec.seed)!;
      if (r.result) writeResultRows(ctx, rec.id, r.result);
      ctx.sql('UPDATE runs SET imported = 1, source = ?, status = ?, finished_at = ?, error = ? WHERE id = ?')
        .run(r.source, r.status, now, r.error ?? null, rec.id);
      event.run(rec.id, now, 'status', `imported as ${r.status}${r.error ? `: ${r.error}` : ''}`,
        JSON.stringify({ from: null, to: r.status, imported: true, ...(r.error ? { error: r.error } : {}) }));
      for (const e of r.events ?? []) {
        event.run(rec.id, now, e.kind, e.message, e.data === undefined ? null : JSON.stringify(e.data));
      }
    }
    refreshExperimentFinished(ctx, exp.id);
    return exp.id;
  });
  return getExperiment(ctx, id)!;
}
