/**
 * The workstation store: one synchronous object over one SQLite connection,
 * owned by the main process (the only writer). Every write is one
 * transaction; reads of several tables run in one read transaction (a
 * consistent snapshot).
 *
 *   const store = openStore({ dataDir });          // or openStore({ path })
 *   const exp = store.createExperiment('sweep', { ...PRESETS.smoke }, { tags: ['smoke'] });
 *   store.setRunStatus(exp.runs[0].id, 'running');
 *   store.saveProgress(runId, [epochRow]);          // live, as epochs finish
 *   store.saveRunResult(runId, unitOutput);         // every table, one transaction
 *   store.close();
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GpuTuningRecord, RunGpuTuning } from '../../../src-shared/gpu-tuning';
import type {
  ExperimentDetail, LearningCurveRow, RunEvent, RunRecord, RunResult, RunStatus,
} from '../../../src-shared/results';
import { StoreContext } from './context';
import { databasePath, ensureDataDir } from './data-dir';
import { openDatabase, type Db, type MigrateReport, type OpenDatabaseOptions } from './db';
import {
  createExperiment, deleteExperiment, getExperiment, listExperiments, renameExperiment, setExperimentNotes,
  setExperimentTags, type CreateExperimentOptions, type ExperimentList, type ListExperimentsOptions,
} from './experiments';
import {
  deleteGpuTuning, listGpuTunings, runTuningsFor, saveGpuTunings, type GpuTuningFilter, type NewGpuTuning, type RunTuningKey,
} from './gpu-tunings';
import { importExperiment, type ImportExperimentSpec } from './imports';
import { getRunResult, saveRunResult, type GetRunResultOptions, type SaveRunResultOptions } from './results';
import {
  appendRunEvent, getRun, listRunEvents, listRuns, listRunsByStatus, markRunningInterrupted, saveProgress, setRunStatus,
  type SetRunStatusOptions,
} from './runs';

/** The app version recorded with each experiment (package.json's, when readable). */
export const APP_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

export interface OpenStoreOptions extends OpenDatabaseOptions {
  /** the database file; or */
  path?: string;
  /** a data directory (the file is <dataDir>/workstation.db; the directory is created) */
  dataDir?: string;
  /** recorded with new experiments (default APP_VERSION) */
  appVersion?: string;
  /** clock, milliseconds since the Unix epoch (default Date.now) */
  now?: () => number;
}

export class Store {
  readonly ctx: StoreContext;

  constructor(
    readonly db: Db,
    /** what opening did to the schema */
    readonly migrations: MigrateReport,
    opts: { appVersion?: string; now?: () => number } = {},
  ) {
    this.ctx = new StoreContext(db, opts.now ?? Date.now, opts.appVersion ?? APP_VERSION);
  }

  get path(): string {
    return this.db.name;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // --- experiments --------------------------------------------------------

  /** Validate (StoreValidationError naming each field; nothing stored) and store an experiment with its queued runs. */
  createExperiment(name: string, config: unknown, opts: CreateExperimentOptions = {}): ExperimentDetail {
    return createExperiment(this.ctx, name, config, opts);
  }

  listExperiments(opts: ListExperimentsOptions = {}): ExperimentList {
    return listExperiments(this.ctx, opts);
  }

  getExperiment(id: number): ExperimentDetail | null {
    return getExperiment(this.ctx, id);
  }

  renameExperiment(id: number, name: string): void {
    renameExperiment(this.ctx, id, name);
  }

  setExperimentTags(id: number, tags: readonly string[]): void {
    setExperimentTags(this.ctx, id, tags);
  }

  setExperimentNotes(id: number, notes: string): void {
    setExperimentNotes(this.ctx, id, notes);
  }

  deleteExperiment(id: number): boolean {
    return deleteExperiment(this.ctx, id);
  }

  /** Store an experiment imported from result files, its runs final and flagged imported, in one transaction (imports.ts). */
  importExperiment(spec: ImportExperimentSpec): ExperimentDetail {
    return importExperiment(this.ctx, spec);
  }

  // --- runs ---------------------------------------------------------------

  getRun(runId: number): RunRecord | null {
    return getRun(this.ctx, runId);
  }

  listRuns(experimentId: number): RunRecord[] {
    return listRuns(this.ctx, experimentId);
  }

  listRunsByStatus(status: RunStatus, limit?: number): RunRecord[] {
    return listRunsByStatus(this.ctx, status, limit);
  }

  setRunStatus(runId: number, to: RunStatus, opts: SetRunStatusOptions = {}): RunRecord {
    return setRunStatus(this.ctx, runId, to, opts);
  }

  /** Start-up recovery: runs left running become interrupted. */
  markRunningInterrupted(): RunRecord[] {
    return markRunningInterrupted(this.ctx);
  }

  appendRunEvent(runId: number, kind: string, message?: string, data?: unknown): number {
    return appendRunEvent(this.ctx, runId, kind, message, data);
  }

  listRunEvents(runId: number, opts?: { afterId?: number; limit?: number }): RunEvent[] {
    return listRunEvents(this.ctx, runId, opts);
  }

  saveProgress(runId: number, rows: readonly LearningCurveRow[]): void {
    saveProgress(this.ctx, runId, rows);
  }

  // --- results ------------------------------------------------------------

  saveRunResult(runId: number, result: RunResult, opts: SaveRunResultOptions = {}): RunRecord {
    return saveRunResult(this.ctx, runId, result, opts);
  }

  getRunResult(runId: number, opts: GetRunResultOptions = {}): RunResult | null {
    return getRunResult(this.ctx, runId, opts);
  }

  // --- GPU kernel tunings (gpu-tunings.ts) -------------------------------

  /** Stored tunings matching the filter (AND), ordered by adapter, arch, D, H, batch. */
  listGpuTunings(filter: GpuTuningFilter = {}): GpuTuningRecord[] {
    return listGpuTunings(this.ctx, filter);
  }

  /**
   * Store measured tunings in one transaction, each replacing the stored one of
   * its key (adapter, arch, D, H, layernorm, batch); validated first
   * (StoreValidationError naming `rows[i].field`, nothing stored). Returns the
   * stored records in the order given.
   */
  saveGpuTunings(rows: readonly NewGpuTuning[]): GpuTuningRecord[] {
    return saveGpuTunings(this.ctx, rows);
  }

  /** Forget a stored tuning (StoreNotFoundError when there is none with that id). */
  deleteGpuTuning(id: number): void {
    deleteGpuTuning(this.ctx, id);
  }

  /** Every adapter's tuning for a run of this model shape and mini-batch (the worker applies its device's). */
  runTuningsFor(key: RunTuningKey): RunGpuTuning[] {
    return runTuningsFor(this.ctx, key);
  }
}

/** Open (creating and migrating as needed) the store at `path` or in `dataDir`. */
export function openStore(opts: OpenStoreOptions): Store {
  let path: string;
  if (opts.path) {
    path = opts.path;
    ensureDataDir(dirname(path));
  } else if (opts.dataDir) {
    path = databasePath(ensureDataDir(opts.dataDir));
  } else {
    throw new TypeError('openStore needs a path or a dataDir (see resolveDataDir)');
  }
  const { db, migrations } = openDatabase(path, opts);
  return new Store(db, migrations, {
    ...(opts.appVersion !== undefined ? { appVersion: opts.appVersion } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
}
