/**
 * Experiments through the store's API: every kind of invalid input is
 * refused with an error naming the field and nothing stored; a valid one is
 * stored with its queued runs; listing filters, pages and counts; rename, tag,
 * annotate; delete cascades to every row of its runs.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, expandRuns, parseConfig, type ArchName, type ExperimentConfig } from '../../../../src-shared/config';
import { PRESETS } from '../../../../src-shared/presets';
import { RUN_STATUSES } from '../../../../src-shared/results';
import { StoreNotFoundError, StoreValidationError } from '../errors';
import type { Store } from '../store';
import { rowsOfRuns, sampleResult, smallConfig, snapshot, tempStore } from './helpers';

let s: ReturnType<typeof tempStore>;
let clock = 1_700_000_000_000;
beforeEach(() => {
  clock = 1_700_000_000_000;
  s = tempStore({ now: () => clock, appVersion: '9.8.7-test' });
});
afterEach(() => s.cleanup());

function catchValidation(fn: () => unknown): StoreValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StoreValidationError);
    return e as StoreValidationError;
  }
  throw new Error('expected a StoreValidationError');
}

describe('invalid input is refused, naming the field, and nothing is stored', () => {
  const base = smallConfig();
  const cases: [string, () => [string, unknown, Record<string, unknown>?], string, RegExp][] = [
    ['configuration not an object', () => ['n', 'paper'], 'config', /must be an object/],
    ['configuration null', () => ['n', null], 'config', /must be an object/],
    ['configuration a list', () => ['n', [1, 2]], 'config', /must be an object/],
    ['unknown field (with a suggestion)', () => ['n', { ...base, Tt: 64 }], 'Tt', /unknown field "Tt" \(did you mean T\?\)/],
    ['wrong type', () => ['n', { ...base, T: 'long' }], 'T', /^T must be an integer >= 2 \(got "long"\)/],
    ['not an integer', () => ['n', { ...base, H: 2.5 }], 'H', /^H must be an integer >= 1/],
    ['below the range', () => ['n', { ...base, lr: 0 }], 'lr', /^lr must be a number > 0/],
    ['above the range', () => ['n', { ...base, const_s: 1 }], 'const_s', /^const_s must be > 0 and < 1/],
    ['NaN', () => ['n', { ...base, eps: NaN }], 'eps', /^eps must be a number > 0/],
    ['Infinity', () => ['n', { ...base, noise_std: Infinity }], 'noise_std', /^noise_std must be a number >= 0/],
    ['unknown enum value', () => ['n', { ...base, optimizer: 'adam' }], 'optimizer', /^optimizer must be one of adamw, sgd, sgd_momentum/],
    ['boolean given as a number', () => ['n', { ...base, layernorm: 1 }], 'layernorm', /^layernorm must be true or false/],
    ['flag outside 0/1', () => ['n', { ...base, include_first_order_diag: 2 }], 'include_first_order_diag', /must be 0 or 1/],
    ['empty list', () => ['n', { ...base, models: [] }], 'models', /^models must be a non-empty list/],
    ['unknown list member', () => ['n', { ...base, models: ['gru', 'rnn'] }], 'models', /^models must be a non-empty list of distinct names/],
    ['repeated seeds', () => ['n', { ...base, seeds: [1, 1] }], 'seeds', /^seeds must be a non-empty list of distinct integers/],
    ['N_grid not increasing', () => ['n', { ...base, N_grid: [50, 25] }], 'N_grid', /^N_grid must be a non-empty, strictly increasing list/],
    ['one coefficient per task lag', () => ['n', { ...base, task_coeffs: [0.5] }], 'task_coeffs', /one coefficient per task lag/],
    ['lag_max >= T', () => ['n', { ...base, lag_max: base.T }], 'lag_max', /^lag_max must be < T/],
    ['lag_min > lag_max', () => ['n', { ...base, lag_min: 20, lag_max: 10 }], 'lag_max', /^lag_max must be >= lag_min/],
    ['task lag >= T', () => ['n', { ...base, task_lags: [2, 4, 6, 8, base.T], task_coeffs: [1, 1, 1, 1, 1] }], 'task_lags', /^task_lags must all be < T/],
    ['empty name', () => ['  ', base], 'name', /^name must be a non-empty text/],
    ['name too long', () => ['x'.repeat(201), base], 'name', /at most 200 characters/],
    ['name not a text', () => [42 as unknown as string, base], 'name', /^name must be a non-empty text/],
    ['tags not a list', () => ['n', base, { tags: 'a,b' }], 'tags', /^tags must be a list/],
    ['empty tag', () => ['n', base, { tags: ['ok', ' '] }], 'tags', /^tags must be a list/],
    ['tag too long', () => ['n', base, { tags: ['t'.repeat(65)] }], 'tags', /at most 64 characters/],
    ['notes not a text', () => ['n', base, { notes: 5 }], 'notes', /^notes must be a text/],
    ['preset not a text', () => ['n', base, { preset: 3 }], 'preset', /^preset must be a preset name/],
  ];

  it.each(cases)('%s', (_label, make, field, pattern) => {
    const [name, config, opts] = make();
    const before = snapshot(s.store.db);
    // a second connection sees every commit of the store's connection in PRAGMA data_version
    const watcher = new Database(s.path, { readonly: true });
    const version = watcher.pragma('data_version', { simple: true });
    const err = catchValidation(() => s.store.createExperiment(name as string, config, opts));
    const mine = err.errors.filter((e) => e.field === field);
    expect(mine.length, JSON.stringify(err.errors)).toBe(1);
    expect(mine[0]!.message).toMatch(pattern);
    expect(err.message).toContain(mine[0]!.message);
    expect(watcher.pragma('data_version', { simple: true })).toBe(version);
    watcher.close();
    expect(snapshot(s.store.db)).toEqual(before);
  });

  it('every problem is listed at once', () => {
    const err = catchValidation(() => s.store.createExperiment('', { ...smallConfig(), T: 1, lr: -1, models: ['x'] }, { tags: [3 as unknown as string] }));
    expect(err.errors.map((e) => e.field).sort()).toEqual(['T', 'lr', 'models', 'name', 'tags']);
    expect(s.store.listExperiments().total).toBe(0);
  });
});

describe('creating an experiment', () => {
  it('stores the complete validated configuration and one queued run per (model, seed) in expandRuns order', () => {
    const partial = { T: 64, H: 8, lag_max: 32, task_lags: [4, 8], task_coeffs: [0.5, 0.25], models: ['gru', 'const'], seeds: [7, 3], backend: 'cpu' };
    const e = s.store.createExperiment('  sweep A  ', partial, { tags: ['b', ' a ', 'b'], notes: 'first try', preset: 'quick' });
    const expected = parseConfig(partial);
    expect(expected.ok).toBe(true);
    if (!expected.ok) return;
    expect(e.config).toEqual(expected.config);
    expect(e.config.epochs).toBe(DEFAULT_CONFIG.epochs); // defaults filled in
    expect(e).toMatchObject({
      name: 'sweep A', tags: ['a', 'b'], notes: 'first try', preset: 'quick', appVersion: '9.8.7-test',
      createdAt: clock, finishedAt: null, models: ['gru', 'const'], seeds: [7, 3], T: 64, H: 8, epochs: DEFAULT_CONFIG.epochs, optimizer: 'adamw',
    });
    const units = expandRuns(expected.config);
    expect(e.runs.map((r) => [r.index, r.arch, r.seed])).toEqual(units.map((u, i) => [i, u.arch, u.seed]));
    for (const r of e.runs) {
      expect(r).toMatchObject({ status: 'queued', backend: 'cpu', kernels: null, attempts: 0, createdAt: clock, startedAt: null,
        finishedAt: null, error: null, hasResult: false, epochsDone: 0, experimentId: e.id });
    }
    expect(e.progress).toMatchObject({ total: 4, queued: 4, running: 0, done: 0 });
    expect(s.store.getExperiment(e.id)).toEqual(e);
  });

  it('the paper preset: 25 runs', () => {
    const e = s.store.createExperiment('paper', { ...PRESETS.paper }, { preset: 'paper' });
    expect(e.runs).toHaveLength(25);
    expect(e.config).toEqual(PRESETS.paper);
  });

  it('getExperiment of an unknown id is null', () => {
    expect(s.store.getExperiment(12345)).toBeNull();
  });
});

describe('listing', () => {
  interface Made { id: number; name: string; tags: string[]; notes: string; cfg: ExperimentConfig; createdAt: number }
  function populate(store: Store): Made[] {
    const made: Made[] = [];
    const archSets: ArchName[][] = [['const'], ['gru', 'lstm'], ['diag'], ['const', 'shared'], ['lstm']];
    for (let i = 0; i < 12; i++) {
      clock = 1_700_000_000_000 + i * 1000;
      const cfg = smallConfig({ models: archSets[i % 5]!, H: i % 3 === 0 ? 16 : 8, optimizer: i % 4 === 0 ? 'sgd' : 'adamw', seeds: [i + 1] });
      const tags = [i % 2 === 0 ? 'even' : 'odd', ...(i % 3 === 0 ? ['third'] : [])];
      const notes = i === 5 ? 'reached 100% R² (really)' : `note ${i}`;
      const e = store.createExperiment(`exp ${String(i).padStart(2, '0')}`, cfg, { tags, notes, preset: i < 6 ? 'smoke' : null });
      made.push({ id: e.id, name: e.name, tags: [...tags].sort(), notes, cfg, createdAt: clock });
    }
    return made;
  }

  it('newest first, paged, with the total', () => {
    const made = populate(s.store);
    const all = s.store.listExperiments({ limit: 100 });
    expect(all.total).toBe(12);
    expect(all.items.map((x) => x.id)).toEqual([...made].reverse().map((m) => m.id));
    const page = s.store.listExperiments({ limit: 5, offset: 5 });
    expect(page.total).toBe(12);
    expect(page.items.map((x) => x.id)).toEqual([...made].reverse().slice(5, 10).map((m) => m.id));
    expect(s.store.listExperiments({ limit: 5, offset: 20 }).items).toEqual([]);
  });

  it('each filter selects exactly what the metadata says', () => {
    const made = populate(s.store);
    const ids = (f: Parameters<Store['listExperiments']>[0]) => s.store.listExperiments(f).items.map((x) => x.id).sort((a, b) => a - b);
    const expectIds = (pred: (m: Made) => boolean) => made.filter(pred).map((m) => m.id).sort((a, b) => a - b);
    expect(ids({ filter: { tags: ['even'] } })).toEqual(expectIds((m) => m.tags.includes('even')));
    expect(ids({ filter: { tags: ['even', 'third'] } })).toEqual(expectIds((m) => m.tags.includes('even') && m.tags.includes('third')));
    expect(ids({ filter: { arch: 'lstm' } })).toEqual(expectIds((m) => m.cfg.models.includes('lstm')));
    expect(ids({ filter: { optimizer: 'sgd' } })).toEqual(expectIds((m) => m.cfg.optimizer === 'sgd'));
    expect(ids({ filter: { H: 16 } })).toEqual(expectIds((m) => m.cfg.H === 16));
    expect(ids({ filter: { H: 16, optimizer: 'adamw', arch: 'gru' } }))
      .toEqual(expectIds((m) => m.cfg.H === 16 && m.cfg.optimizer === 'adamw' && m.cfg.models.includes('gru')));
    expect(ids({ filter: { text: 'EXP 0' } })).toEqual(expectIds((m) => m.name.toLowerCase().includes('exp 0')));
    // LIKE wildcards in the text are literal
    expect(ids({ filter: { text: '100%' } })).toEqual(expectIds((m) => m.notes.includes('100%')));
    expect(ids({ filter: { text: '_' } })).toEqual([]);
    expect(ids({ filter: { preset: 'smoke' } })).toEqual(expectIds((_m) => made.indexOf(_m) < 6));
    const t0 = made[3]!.createdAt;
    const t1 = made[7]!.createdAt;
    expect(ids({ filter: { createdFrom: t0, createdTo: t1 } })).toEqual(expectIds((m) => m.createdAt >= t0 && m.createdAt < t1));
    expect(ids({ filter: { finished: true } })).toEqual([]);
    expect(ids({ filter: { finished: false } })).toEqual(expectIds(() => true));
  });

  it('progress counts by status, and finished when every run is final', () => {
    const e = s.store.createExperiment('p', smallConfig());
    const [a, b, c, d] = e.runs;
    s.store.setRunStatus(a!.id, 'running');
    s.store.setRunStatus(b!.id, 'running');
    s.store.setRunStatus(b!.id, 'failed', { error: 'boom' });
    s.store.setRunStatus(c!.id, 'cancelled');
    let p = s.store.listExperiments().items[0]!;
    expect(p.progress).toEqual({ total: 4, queued: 1, running: 1, done: 0, failed: 1, diverged: 0, cancelled: 1, interrupted: 0 });
    expect(p.finishedAt).toBeNull();
    clock += 5000;
    s.store.setRunStatus(d!.id, 'running');
    s.store.setRunStatus(d!.id, 'diverged');
    s.store.saveRunResult(a!.id, sampleResult(1));
    p = s.store.listExperiments().items[0]!;
    expect(p.progress).toMatchObject({ total: 4, queued: 0, running: 0, done: 1, failed: 1, diverged: 1, cancelled: 1 });
    expect(p.finishedAt).toBe(clock);
    expect(s.store.listExperiments({ filter: { finished: true } }).total).toBe(1);
    // re-running a failed run re-opens the experiment
    s.store.setRunStatus(b!.id, 'queued');
    expect(s.store.getExperiment(e.id)!.finishedAt).toBeNull();
    for (const st of RUN_STATUSES) expect(typeof p.progress[st]).toBe('number');
  });

  it('refuses a bad limit or offset', () => {
    expect(catchValidation(() => s.store.listExperiments({ limit: 0 })).errors[0]!.field).toBe('limit');
    expect(catchValidation(() => s.store.listExperiments({ offset: -1 })).errors[0]!.field).toBe('offset');
  });
});

describe('rename, tag, annotate', () => {
  it('changes only what is asked, validates, and refuses unknown ids', () => {
    const e = s.store.createExperiment('old', smallConfig(), { tags: ['x'], notes: 'n' });
    s.store.renameExperiment(e.id, ' new name ');
    s.store.setExperimentTags(e.id, ['z', 'y', 'z']);
    s.store.setExperimentNotes(e.id, 'annotated');
    const got = s.store.getExperiment(e.id)!;
    expect(got).toMatchObject({ name: 'new name', tags: ['y', 'z'], notes: 'annotated' });
    expect(got.config).toEqual(e.config);
    expect(got.runs).toEqual(e.runs);
    expect(catchValidation(() => s.store.renameExperiment(e.id, '')).errors[0]!.field).toBe('name');
    expect(catchValidation(() => s.store.setExperimentTags(e.id, [''])).errors[0]!.field).toBe('tags');
    expect(s.store.getExperiment(e.id)!.name).toBe('new name');
    expect(() => s.store.renameExperiment(999, 'x')).toThrow(StoreNotFoundError);
    expect(() => s.store.setExperimentTags(999, [])).toThrow(StoreNotFoundError);
    expect(() => s.store.setExperimentNotes(999, '')).toThrow(StoreNotFoundError);
  });
});

describe('delete', () => {
  it('cascades to runs, tags, events and every result row, and leaves other experiments alone', () => {
    const stored = (name: string) => {
      const e = s.store.createExperiment(name, smallConfig(), { tags: ['t'] });
      for (const [i, r] of e.runs.entries()) {
        s.store.setRunStatus(r.id, 'running');
        s.store.appendRunEvent(r.id, 'note', 'hello', { i });
        s.store.saveRunResult(r.id, sampleResult(i + 1));
      }
      return s.store.getExperiment(e.id)!;
    };
    const a = stored('a');
    const b = stored('b');
    const aRuns = a.runs.map((r) => r.id);
    const bRuns = b.runs.map((r) => r.id);
    const bBefore = rowsOfRuns(s.store.db, bRuns);
    for (const n of Object.values(rowsOfRuns(s.store.db, aRuns))) expect(n).toBeGreaterThan(0);

    expect(s.store.deleteExperiment(a.id)).toBe(true);
    expect(s.store.getExperiment(a.id)).toBeNull();
    for (const [table, n] of Object.entries(rowsOfRuns(s.store.db, aRuns))) expect(n, table).toBe(0);
    expect(s.store.db.prepare('SELECT count(*) AS n FROM runs WHERE experiment_id = ?').get(a.id)).toEqual({ n: 0 });
    expect(s.store.db.prepare('SELECT count(*) AS n FROM experiment_tags WHERE experiment_id = ?').get(a.id)).toEqual({ n: 0 });
    expect(rowsOfRuns(s.store.db, bRuns)).toEqual(bBefore);
    expect(s.store.getExperiment(b.id)).toEqual(b);
    expect(s.store.deleteExperiment(a.id)).toBe(false);
    expect(s.store.db.pragma('foreign_key_check')).toEqual([]);
  });
});
