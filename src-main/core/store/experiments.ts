/**
 * Experiments: create (validated configuration, expanded into queued runs, in
 * one transaction), list with filters and progress counts, open with runs,
 * rename / tag / annotate, delete (cascading to runs and every result row).
 */
import type { ExperimentFilter, ExperimentList, ListExperimentsArg } from '../../../src-shared/api';
import { expandRuns, parseConfig, type ArchName, type ExperimentConfig } from '../../../src-shared/config';
import {
  RUN_STATUSES, type ExperimentDetail, type ExperimentSummary, type RunProgress, type RunRecord, type RunStatus,
} from '../../../src-shared/results';
import type { StoreContext } from './context';
import { StoreNotFoundError, StoreValidationError, type FieldError } from './errors';
import { listRuns } from './runs';

export const MAX_NAME_LENGTH = 200;
export const MAX_TAG_LENGTH = 64;
export const MAX_TAGS = 64;
export const MAX_NOTES_LENGTH = 100_000;
export const MAX_PRESET_LENGTH = 64;
/** at most this many experiments per listExperiments call */
export const MAX_LIST_LIMIT = 10_000;

export interface CreateExperimentOptions {
  tags?: readonly string[];
  notes?: string;
  /** the preset the configuration started from (metadata only) */
  preset?: string | null;
}

/** The filters, paging and page of the experiments table: one definition each, in the Api contract. */
export type { ExperimentFilter, ExperimentList };
export type ListExperimentsOptions = ListExperimentsArg;

interface ExperimentRow {
  id: number;
  name: string;
  config_json: string;
  preset: string | null;
  notes: string;
  app_version: string;
  created_at: number;
  finished_at: number | null;
  models: string;
  seeds: string;
  optimizer: string;
  T: number;
  H: number;
  epochs: number;
  source: string | null;
}

const SUMMARY_COLUMNS = 'id, name, preset, notes, app_version, created_at, finished_at, models, seeds, optimizer, T, H, epochs, source';

// ---------------------------------------------------------------------------
// Validation of the user's words (the configuration is parseConfig's)
// ---------------------------------------------------------------------------

function checkName(name: unknown, errors: FieldError[]): string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > MAX_NAME_LENGTH) {
    errors.push({ field: 'name', message: `name must be a non-empty text of at most ${MAX_NAME_LENGTH} characters (got ${describe(name)})` });
    return '';
  }
  return name.trim();
}

function checkTags(tags: unknown, errors: FieldError[]): string[] {
  if (tags === undefined || tags === null) return [];
  const bad = (why: string) => {
    errors.push({ field: 'tags', message: `tags must be a list of at most ${MAX_TAGS} non-empty texts of at most ${MAX_TAG_LENGTH} characters (${why})` });
    return [];
  };
  if (!Array.isArray(tags)) return bad(`got ${describe(tags)}`);
  const out = new Set<string>();
  for (const t of tags) {
    if (typeof t !== 'string' || t.trim().length === 0 || t.trim().length > MAX_TAG_LENGTH) return bad(`got ${describe(t)}`);
    out.add(t.trim());
  }
  if (out.size > MAX_TAGS) return bad(`got ${out.size}`);
  return [...out].sort();
}

function checkNotes(notes: unknown, errors: FieldError[]): string {
  if (notes === undefined || notes === null) return '';
  if (typeof notes !== 'string' || notes.length > MAX_NOTES_LENGTH) {
    errors.push({ field: 'notes', message: `notes must be a text of at most ${MAX_NOTES_LENGTH} characters (got ${describe(notes)})` });
    return '';
  }
  return notes;
}

function checkPreset(preset: unknown, errors: FieldError[]): string | null {
  if (preset === undefined || preset === null) return null;
  if (typeof preset !== 'string' || preset.trim().length === 0 || preset.length > MAX_PRESET_LENGTH) {
    errors.push({ field: 'preset', message: `preset must be a preset name of at most ${MAX_PRESET_LENGTH} characters, or nothing (got ${describe(preset)})` });
    return null;
  }
  return preset.trim();
}

function describe(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `a text of ${v.length} characters` : JSON.stringify(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

// ---------------------------------------------------------------------------

export function createExperiment(
  ctx: StoreContext, name: string, config: unknown, opts: CreateExperimentOptions = {},
): ExperimentDetail {
  const errors: FieldError[] = [];
  const cleanName = checkName(name, errors);
  const tags = checkTags(opts.tags, errors);
  const notes = checkNotes(opts.notes, errors);
  const preset = checkPreset(opts.preset, errors);
  const parsed = parseConfig(config);
  // parseConfig names the field of each problem ('' when the configuration as a whole is not an object)
  if (!parsed.ok) errors.push(...parsed.errors.map((e) => ({ field: e.field === '' ? 'config' : e.field, message: e.message })));
  if (errors.length > 0 || !parsed.ok) throw new StoreValidationError('experiment', errors);
  const cfg = parsed.config;
  const runs = expandRuns(cfg);

  const id = ctx.tx(() => {
    const now = ctx.now();
    const r = ctx.sql(`INSERT INTO experiments (name, config_json, preset, notes, app_version, created_at,
        models, seeds, n_runs, optimizer, alpha_method, backend, T, D, H, Nseq_train, Nseq_diag, epochs, batch_size,
        lr, weight_decay, lag_min, lag_max, num_lags, const_s, layernorm, orth_init)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      cleanName, JSON.stringify(cfg), preset, notes, ctx.appVersion, now,
      cfg.models.join(','), cfg.seeds.join(','), runs.length, cfg.optimizer, cfg.alpha_method, cfg.backend,
      cfg.T, cfg.D, cfg.H, cfg.Nseq_train, cfg.Nseq_diag, cfg.epochs, cfg.batch_size,
      cfg.lr, cfg.weight_decay, cfg.lag_min, cfg.lag_max, cfg.num_lags, cfg.const_s, cfg.layernorm ? 1 : 0, cfg.orth_init ? 1 : 0,
    );
    const expId = Number(r.lastInsertRowid);
    const tagIns = ctx.sql('INSERT INTO experiment_tags (experiment_id, tag) VALUES (?, ?)');
    for (const t of tags) tagIns.run(expId, t);
    const runIns = ctx.sql(`INSERT INTO runs (experiment_id, idx, arch, seed, status, backend, created_at)
      VALUES (?, ?, ?, ?, 'queued', ?, ?)`);
    runs.forEach((u, i) => runIns.run(expId, i, u.arch, u.seed, cfg.backend, now));
    return expId;
  });
  return getExperiment(ctx, id)!;
}

function emptyProgress(): RunProgress {
  const p = { total: 0 } as RunProgress;
  for (const s of RUN_STATUSES) p[s] = 0;
  return p;
}

function toSummary(row: ExperimentRow, tags: string[], progress: RunProgress): ExperimentSummary {
  return {
    id: row.id,
    name: row.name,
    tags,
    notes: row.notes,
    preset: row.preset,
    appVersion: row.app_version,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    models: row.models.split(',').filter(Boolean) as ArchName[],
    seeds: row.seeds.split(',').filter(Boolean).map(Number),
    T: row.T,
    H: row.H,
    epochs: row.epochs,
    optimizer: row.optimizer,
    progress,
    source: row.source,
  };
}

/** Tags and progress counts of a set of experiments (one query each). */
function decorate(ctx: StoreContext, rows: readonly ExperimentRow[]): ExperimentSummary[] {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((r) => r.id));
  const tags = new Map<number, string[]>();
  for (const t of ctx.sql<{ experiment_id: number; tag: string }>(
    'SELECT experiment_id, tag FROM experiment_tags WHERE experiment_id IN (SELECT value FROM json_each(?)) ORDER BY experiment_id, tag',
  ).all(ids)) {
    let l = tags.get(t.experiment_id);
    if (!l) tags.set(t.experiment_id, (l = []));
    l.push(t.tag);
  }
  const progress = new Map<number, RunProgress>();
  for (const c of ctx.sql<{ experiment_id: number; status: RunStatus; n: number }>(
    'SELECT experiment_id, status, count(*) AS n FROM runs WHERE experiment_id IN (SELECT value FROM json_each(?)) GROUP BY experiment_id, status',
  ).all(ids)) {
    let p = progress.get(c.experiment_id);
    if (!p) progress.set(c.experiment_id, (p = emptyProgress()));
    p[c.status] += c.n;
    p.total += c.n;
  }
  return rows.map((r) => toSummary(r, tags.get(r.id) ?? [], progress.get(r.id) ?? emptyProgress()));
}

function checkListOptions(opts: ListExperimentsOptions): { limit: number; offset: number } {
  const errors: FieldError[] = [];
  const limit = opts.limit ?? 100;
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    errors.push({ field: 'limit', message: `limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})` });
  }
  if (!Number.isInteger(offset) || offset < 0) errors.push({ field: 'offset', message: `offset must be an integer >= 0 (got ${offset})` });
  if (errors.length > 0) throw new StoreValidationError('listing', errors);
  return { limit, offset };
}

/** WHERE clause and parameters of a filter (every value bound, never spliced). */
function whereOf(f: ExperimentFilter = {}): { sql: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  if (f.text !== undefined && f.text.trim() !== '') {
    const like = `%${f.text.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conds.push("(e.name LIKE ? ESCAPE '\\' OR e.notes LIKE ? ESCAPE '\\')");
    params.push(like, like);
  }
  for (const t of f.tags ?? []) {
    conds.push('EXISTS (SELECT 1 FROM experiment_tags g WHERE g.experiment_id = e.id AND g.tag = ?)');
    params.push(t.trim());
  }
  if (f.arch !== undefined) {
    conds.push('EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.arch = ?)');
    params.push(f.arch);
  }
  if (f.optimizer !== undefined) {
    conds.push('e.optimizer = ?');
    params.push(f.optimizer);
  }
  if (f.H !== undefined) {
    conds.push('e.H = ?');
    params.push(f.H);
  }
  if (f.T !== undefined) {
    conds.push('e.T = ?');
    params.push(f.T);
  }
  if (f.preset !== undefined) {
    conds.push('e.preset = ?');
    params.push(f.preset);
  }
  if (f.finished !== undefined) conds.push(f.finished ? 'e.finished_at IS NOT NULL' : 'e.finished_at IS NULL');
  if (f.createdFrom !== undefined) {
    conds.push('e.created_at >= ?');
    params.push(f.createdFrom);
  }
  if (f.createdTo !== undefined) {
    conds.push('e.created_at < ?');
    params.push(f.createdTo);
  }
  return { sql: conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '', params };
}

/** Experiments matching `filter`, newest first, with tags and run counts by status. */
export function listExperiments(ctx: StoreContext, opts: ListExperimentsOptions = {}): ExperimentList {
  const { limit, offset } = checkListOptions(opts);
  const w = whereOf(opts.filter);
  return ctx.db.transaction(() => {
    const total = (ctx.sql<{ n: number }>(`SELECT count(*) AS n FROM experiments e ${w.sql}`).get(...w.params))!.n;
    const rows = ctx.sql<ExperimentRow>(
      `SELECT ${SUMMARY_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')} FROM experiments e ${w.sql}
       ORDER BY e.created_at DESC, e.id DESC LIMIT ? OFFSET ?`,
    ).all(...w.params, limit, offset);
    return { items: decorate(ctx, rows), total };
  })();
}

/** One experiment with its configuration and runs, or null. */
export function getExperiment(ctx: StoreContext, id: number): ExperimentDetail | null {
  return ctx.db.transaction(() => {
    const row = ctx.sql<ExperimentRow>(`SELECT ${SUMMARY_COLUMNS}, config_json FROM experiments WHERE id = ?`).get(id);
    if (!row) return null;
    const [summary] = decorate(ctx, [row]);
    const runs: RunRecord[] = listRuns(ctx, id);
    return { ...summary!, config: JSON.parse(row.config_json) as ExperimentConfig, runs };
  })();
}

function requireExperiment(ctx: StoreContext, id: number): void {
  if (!ctx.sql('SELECT 1 FROM experiments WHERE id = ?').get(id)) throw new StoreNotFoundError(`no experiment with id ${id}`);
}

export function renameExperiment(ctx: StoreContext, id: number, name: string): void {
  const errors: FieldError[] = [];
  const clean = checkName(name, errors);
  if (errors.length > 0) throw new StoreValidationError('name', errors);
  ctx.tx(() => {
    requireExperiment(ctx, id);
    ctx.sql('UPDATE experiments SET name = ? WHERE id = ?').run(clean, id);
  });
}

/** Replace the experiment's tags (trimmed, duplicates dropped). */
export function setExperimentTags(ctx: StoreContext, id: number, tags: readonly string[]): void {
  const errors: FieldError[] = [];
  const clean = checkTags(tags, errors);
  if (errors.length > 0) throw new StoreValidationError('tags', errors);
  ctx.tx(() => {
    requireExperiment(ctx, id);
    ctx.sql('DELETE FROM experiment_tags WHERE experiment_id = ?').run(id);
    const ins = ctx.sql('INSERT INTO experiment_tags (experiment_id, tag) VALUES (?, ?)');
    for (const t of clean) ins.run(id, t);
  });
}

export function setExperimentNotes(ctx: StoreContext, id: number, notes: string): void {
  const errors: FieldError[] = [];
  const clean = checkNotes(notes, errors);
  if (errors.length > 0) throw new StoreValidationError('notes', errors);
  ctx.tx(() => {
    requireExperiment(ctx, id);
    ctx.sql('UPDATE experiments SET notes = ? WHERE id = ?').run(clean, id);
  });
}

/** Delete an experiment and, by cascade, its runs, events and every result row. False when there was none. */
export function deleteExperiment(ctx: StoreContext, id: number): boolean {
  return ctx.tx(() => ctx.sql('DELETE FROM experiments WHERE id = ?').run(id).changes > 0);
}
