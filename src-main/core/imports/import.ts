/**
 * Import the results of the reference pipeline (or our own ZIP export, which
 * uses the same layout, SCIENCE.md §8) as an experiment whose runs are
 * flagged imported and browsable like our own (DESIGN.md §5: size limits,
 * path traversal refused, strict parsing, clear errors).
 *
 *   const exp = await importReferenceResults(store, { path: 'results/', name: 'paper, seed 212' });
 *
 * Every file is read and checked before anything is written; the experiment,
 * its runs, rows and events are then stored in ONE transaction. Any problem
 * throws ImportError listing each one with its file, line and column, and
 * nothing is stored.
 */
import type { ImportArg } from '../../../src-shared/api';
import type { ArchName, ExperimentConfig } from '../../../src-shared/config';
import { ARCH_NAMES } from '../../../src-shared/config';
import {
  statusOfResult,
  type EnvelopeFitsRecord, type EnvelopeRegimeName, type ExperimentDetail, type HNRow, type RunDiagnostics, type RunResult,
  type RunStatus,
} from '../../../src-shared/results';
import { DEFAULT_DIAG_BATCH } from '../../../src-workers/engine/diagnostics/run-diagnostics';
import { fitEnvelope } from '../../../src-workers/engine/fits';
import { constTauRecord, masterFit } from '../../../src-workers/tasks/analyse-run';
import { StoreValidationError } from '../store/errors';
import type { ImportedRun } from '../store/imports';
import type { Store } from '../store/store';
import { checkSize, decodeText } from './csv';
import { FileProblem, ImportError, MAX_PROBLEMS, type ImportProblem } from './errors';
import { buildImportConfig, type CliArgsInput } from './import-config';
import { parseLenientJson, type JsonValue } from './json';
import { classify, RUN_FILE_NAMES, type Layout, type RunFiles, type SeedGroup } from './layout';
import { formatBytes, resolveLimits, type ImportLimits } from './limits';
import {
  readConstTau, readCurve, readEnvelope, readGateStats, readHN, readHNSummary, readMaster, readMuUnits, readStatus, readSummary,
  readTau, type RunStatusFile,
} from './run-files';
import { openSource, type ImportSource, type SourceEntry } from './source';

/** Sequences per diagnostic batch of the reference pipeline (SCIENCE.md §5: it orients per batch of 128). */
export const REFERENCE_DIAG_BATCH = 128;

export const IMPORT_TAG = 'imported';

export interface ImportOptions {
  /** size limits (defaults: DEFAULT_IMPORT_LIMITS) */
  limits?: Partial<ImportLimits>;
  /** more tags besides "imported" */
  tags?: readonly string[];
}

export interface ImportedRunReport {
  arch: ArchName;
  seed: number;
  status: RunStatus;
  /** where its files were, relative to the import ('' for the top level); null when it had none */
  source: string | null;
  warnings: string[];
  notes: string[];
}

export interface ImportReport {
  experiment: ExperimentDetail;
  /** ignored or inconsistent things (also logged as 'warning' events of every run concerned) */
  warnings: string[];
  /** defaults taken, values computed here */
  notes: string[];
  runs: ImportedRunReport[];
  /** files with other names, not read */
  ignoredFiles: number;
  /** bytes read */
  bytesRead: number;
}

/** Reads files within the size limits, collecting each file's problem instead of stopping at the first. */
class Reader {
  readonly problems: ImportProblem[] = [];
  bytes = 0;
  constructor(readonly limits: ImportLimits) {}

  get full(): boolean {
    return this.problems.length >= MAX_PROBLEMS;
  }

  /** Run `fn`, turning a FileProblem into a collected problem (undefined). */
  async attempt<T>(fn: () => Promise<T> | T): Promise<T | undefined> {
    if (this.full) return undefined;
    try {
      return await fn();
    } catch (err) {
      if (err instanceof FileProblem) {
        this.problems.push(err.problem);
        return undefined;
      }
      throw err;
    }
  }

  async text(e: SourceEntry, kind: 'csv' | 'json'): Promise<string> {
    const max = kind === 'csv' ? this.limits.maxCsvBytes : this.limits.maxJsonBytes;
    checkSize(e.path, e.size, max, kind === 'csv' ? 'one CSV file' : 'one JSON file');
    if (this.bytes + e.size > this.limits.maxTotalBytes) {
      throw new FileProblem({
        file: e.path,
        message: `reading it would exceed the import limit of ${formatBytes(this.limits.maxTotalBytes)} in all (${formatBytes(this.bytes)} read so far)`,
      });
    }
    const bytes = await e.read(max);
    this.bytes += bytes.length;
    return decodeText(bytes, e.path);
  }

  async json(e: SourceEntry): Promise<JsonValue> {
    return parseLenientJson(await this.text(e, 'json'), e.path);
  }
}

function where(dir: string): string {
  return dir === '' ? 'the top level' : dir;
}

/** The regime with the largest R² (first of exp, power, log on ties; exp when none is finite), as fits.ts decides. */
function bestRegime(e: EnvelopeFitsRecord['exp'], p: EnvelopeFitsRecord['power'], g: EnvelopeFitsRecord['log']): EnvelopeRegimeName {
  let best: EnvelopeRegimeName = 'exp';
  let r = Number.isNaN(e.r2) ? -Infinity : e.r2;
  if (p.r2 > r) {
    best = 'power';
    r = p.r2;
  }
  if (g.r2 > r) best = 'log';
  return best;
}

/** First epoch whose training or validation loss is not finite (the reference's divergence, SCIENCE.md §3), else null. */
function firstNonFinite(curve: RunResult['curve']): number | null {
  for (const r of curve) if (!Number.isFinite(r.train_loss) || !Number.isFinite(r.val_loss)) return r.epoch;
  return null;
}

interface BuiltRun {
  /** null: the run has no rows (ours: it failed before training) */
  result: RunResult | null;
  status: RunStatus;
  error?: string;
  warnings: string[];
  notes: string[];
}

/** Read one run's files into a RunResult (problems are collected by the reader; undefined when any). */
async function buildRun(
  rd: Reader, run: RunFiles, group: SeedGroup, cfg: ExperimentConfig, hnSummary: Map<ArchName, HNRow[]> | undefined, ours: boolean,
): Promise<BuiltRun | undefined> {
  const m = run.arch;
  const f = run.files;
  const warnings: string[] = [];
  const notes: string[] = [];
  const warn = (s: string) => warnings.push(s);
  const name = (k: keyof typeof RUN_FILE_NAMES) => RUN_FILE_NAMES[k](m);
  const before = rd.problems.length;
  const max = rd.limits.maxRows;

  const statusFile = f.status;
  const status: RunStatusFile | undefined = statusFile ? await rd.attempt(async () => readStatus(await rd.json(statusFile), statusFile.path, warn)) : undefined;
  if (!f.curve) {
    if (status) {
      // ours: a run that failed (or was cancelled) before its first epoch has only its status file
      const others = (Object.keys(f) as (keyof typeof f)[]).filter((k) => k !== 'status');
      if (others.length > 0) warn(`no ${name('curve')}: ignored ${others.map((k) => f[k]!.path).join(', ')}`);
      const error = status.error ?? `no ${name('curve')} in the import`;
      if (status.status === 'cancelled') return { result: null, status: 'cancelled', warnings, notes };
      return { result: null, status: 'failed', error, warnings, notes };
    }
    if (statusFile) return undefined; // its problem is collected
    const any = Object.values(f)[0]!;
    rd.problems.push({ file: any.path, message: `no ${name('curve')} beside it: every run needs its learning curve (${where(run.dir)})` });
    return undefined;
  }
  const curveFile = f.curve;
  const curve = await rd.attempt(async () => readCurve(await rd.text(curveFile, 'csv'), curveFile.path, max, warn));
  const gateFile = f.gate;
  const gateStats = gateFile ? await rd.attempt(async () => readGateStats(await rd.text(gateFile, 'csv'), gateFile.path, max, warn)) : [];
  if (!gateFile) notes.push(`no ${name('gate')}: no gate statistics`);

  let diagnostics: RunDiagnostics | null = null;
  const summaryFile = f.summary;
  if (summaryFile) {
    const summary = await rd.attempt(async () => readSummary(await rd.text(summaryFile, 'csv'), summaryFile.path, max, warn));
    if (summary) {
      const lags = summary.map((r) => r.ell);
      const muFile = f.muUnits;
      let muUnits: Float64Array[] | undefined = lags.map(() => new Float64Array(0));
      if (muFile) muUnits = await rd.attempt(async () => readMuUnits(await rd.text(muFile, 'csv'), muFile.path, max, lags, summaryFile.path));
      else warn(`no ${name('muUnits')}: the per-unit envelopes μ_q(ℓ) are empty`);
      if (muUnits && muUnits.length > 0 && muUnits[0]!.length > 0 && muUnits[0]!.length !== cfg.H) {
        warn(`${muFile!.path} has ${muUnits[0]!.length} units, but the configuration's H is ${cfg.H}`);
      }
      const tauFile = f.tau;
      const tau = tauFile ? await rd.attempt(async () => readTau(await rd.text(tauFile, 'csv'), tauFile.path, max, warn)) : [];
      if (!tauFile) warn(`no ${name('tau')}: no per-unit time scales`);

      // envelope regimes: the file's; what it lacks (the log regime, "best": ours) fitted here on log_mu_l1_mean (SCIENCE.md §6)
      const fitted = fitEnvelope(lags, summary.map((r) => r.log_mu_l1_mean));
      const envFile = f.envelope;
      let envelope: EnvelopeFitsRecord | undefined;
      if (envFile) {
        const e = await rd.attempt(async () => readEnvelope(await rd.json(envFile), envFile.path, warn));
        if (e) {
          if (!e.log) notes.push(`${envFile.path} has no log regime: fitted here on log_mu_l1_mean (SCIENCE.md §6)`);
          const log = e.log ?? fitted.log;
          envelope = { exp: e.exp, power: e.power, log, best: e.best ?? bestRegime(e.exp, e.power, log) };
        }
      } else {
        warn(`no ${name('envelope')}: the envelope regimes were fitted here on log_mu_l1_mean (SCIENCE.md §6)`);
        envelope = fitted;
      }

      const hnFile = f.hn;
      let H_N: HNRow[] | undefined;
      const fromSummary = hnSummary?.get(m);
      if (hnFile) {
        H_N = await rd.attempt(async () => readHN(await rd.text(hnFile, 'csv'), hnFile.path, max, warn));
        if (H_N && fromSummary && JSON.stringify(fromSummary.map((r) => [r.N, r.H_N])) !== JSON.stringify(H_N.map((r) => [r.N, r.H_N]))) {
          warn(`${group.files.hnSummary!.path} disagrees with ${hnFile.path} on H_N_${m}; the run keeps ${hnFile.path}`);
        }
      } else if (fromSummary) {
        H_N = fromSummary;
        notes.push(`no ${name('hn')}: H_N from ${group.files.hnSummary!.path}`);
      } else {
        H_N = [];
        warn(`no ${name('hn')}: no learnability window H_N`);
      }

      const masterFile = f.master;
      let master: RunDiagnostics['master'] | undefined;
      if (masterFile) master = await rd.attempt(async () => readMaster(await rd.json(masterFile), masterFile.path, warn));
      else {
        master = masterFit(summary);
        notes.push('master proportionality fit computed here on the imported summary (SCIENCE.md §6)');
      }

      let constTau: RunDiagnostics['constTau'] | undefined = null;
      if (m === 'const') {
        const ctFile = f.constTau;
        if (ctFile) constTau = await rd.attempt(async () => readConstTau(await rd.json(ctFile), ctFile.path, warn));
        else {
          constTau = constTauRecord(cfg.const_s);
          notes.push(`no const_tau_const.json: the closed form from const_s = ${cfg.const_s} (SCIENCE.md §6)`);
        }
      }

      const batchSize = status?.batchSize ?? (ours ? Math.min(DEFAULT_DIAG_BATCH, cfg.Nseq_diag) : REFERENCE_DIAG_BATCH);
      if (muUnits && tau && envelope && H_N && master && constTau !== undefined) {
        diagnostics = { lags, summary, muUnits, H_N, tau, envelope, master, constTau, batchSize };
      }
    }
  } else {
    const orphans = (['muUnits', 'tau', 'envelope', 'hn', 'master', 'constTau'] as const).filter((k) => f[k]);
    if (orphans.length > 0) warn(`no ${name('summary')}: ignored ${orphans.map((k) => f[k]!.path).join(', ')}`);
  }
  if (rd.problems.length > before || !curve || !gateStats || (statusFile && !status)) return undefined;

  // status: ours from <model>_status.json; the reference's from the files present
  let diagnosticsStatus = diagnostics ? 'done' as const : (status?.diagnostics ?? 'failed');
  let diagnosticsError: string | undefined;
  if (!diagnostics && diagnosticsStatus === 'done') {
    diagnosticsStatus = 'failed';
    warn(`${statusFile!.path} says the diagnostics are done, but there is no ${name('summary')}`);
  }
  if (diagnostics && status && status.diagnostics !== 'done') warn(`${statusFile!.path} says the diagnostics are ${status.diagnostics}, but ${name('summary')} is there: imported`);
  if (diagnosticsStatus === 'failed') {
    // ours: the status file's error is "diagnostics failed: <the diagnostics' error>" (results-writer.ts runStatusOfResult)
    diagnosticsError = status?.error?.replace(/^diagnostics failed: /, '') ?? `no ${name('summary')} in the import (the diagnostics did not finish)`;
  }
  const inferredDiverged = firstNonFinite(curve);
  const result: RunResult = {
    curve,
    gateStats,
    diverged: status ? status.status === 'diverged' || status.divergedEpoch !== null : inferredDiverged !== null,
    divergedEpoch: status ? (status.divergedEpoch ?? (status.status === 'diverged' ? curve.length : null)) : inferredDiverged,
    cancelled: status?.status === 'cancelled',
    kernelsName: status?.kernels ?? '',
    wallMs: status?.wallMs ?? NaN,
    diagnosticsStatus,
    diagnostics,
  };
  if (status?.backend !== undefined) {
    result.backend = status.backend;
    if (status.adapter !== undefined) result.adapter = status.adapter;
  }
  if (status?.trainMs !== undefined) result.trainMs = status.trainMs;
  if (status?.diagnosticsMs !== undefined) result.diagnosticsMs = status.diagnosticsMs;
  if (diagnosticsError !== undefined) result.diagnosticsError = diagnosticsError;
  if (!status && inferredDiverged !== null) notes.push(`diverged: the loss of epoch ${inferredDiverged} is not finite`);
  let runStatus: RunStatus = status ? status.status : statusOfResult(result);
  if (diagnosticsStatus === 'failed') runStatus = 'failed';
  const error = runStatus === 'failed' ? (status?.error ?? diagnosticsError ?? 'failed') : undefined;
  return { result, status: runStatus, ...(error !== undefined ? { error } : {}), warnings, notes };
}

function nameOf(arg: ImportArg, source: ImportSource): string {
  const n = (arg.name ?? '').trim() || source.baseName.trim() || 'imported results';
  return n.length > 200 ? n.slice(0, 200) : n;
}

/** The cli_args.csv files: of each seed folder, and one outside them (the fallback). */
function cliArgsInputs(layout: Layout): { group: SeedGroup; entry: SourceEntry }[] {
  return layout.groups.flatMap((g) => (g.files.cliArgs ? [{ group: g, entry: g.files.cliArgs }] : []));
}

/**
 * Import a results folder or .zip; returns the stored experiment with what
 * was ignored (warnings) and assumed (notes). Throws ImportError (nothing
 * stored) on any problem.
 */
export async function importResults(store: Store, arg: ImportArg, opts: ImportOptions = {}): Promise<ImportReport> {
  if (typeof arg?.path !== 'string' || arg.path.trim() === '') throw new ImportError('(nothing)', [{ file: '', message: 'path must be a folder or a .zip file' }]);
  const limits = resolveLimits(opts.limits);
  const path = arg.path;
  let source: ImportSource;
  try {
    source = await openSource(path, limits);
  } catch (err) {
    if (err instanceof FileProblem) throw new ImportError(path, [err.problem]);
    throw err;
  }
  try {
    return await importFrom(store, arg, source, limits, opts);
  } finally {
    await source.close();
  }
}

async function importFrom(store: Store, arg: ImportArg, source: ImportSource, limits: ImportLimits, opts: ImportOptions): Promise<ImportReport> {
  const label = source.path;
  let layout: Layout;
  try {
    layout = classify(source.entries, source.baseName);
  } catch (err) {
    if (err instanceof FileProblem) throw new ImportError(label, [err.problem]);
    throw err;
  }
  const runGroups = layout.groups.filter((g) => g.runs.size > 0);
  if (runGroups.length === 0) {
    throw new ImportError(label, [{
      file: '',
      message: 'no result files of the reference pipeline here (expected seed_<S>/<model>/<model>_learning_curve.csv and the other files of SCIENCE.md §8, or the same files without the folders)',
    }]);
  }
  const rd = new Reader(limits);

  // configuration
  const inputs: CliArgsInput[] = [];
  for (const { group, entry } of cliArgsInputs(layout)) {
    const text = await rd.attempt(() => rd.text(entry, 'csv'));
    if (text !== undefined) inputs.push({ file: entry.path, text, seed: group.seed });
  }
  if (rd.problems.length > 0) throw new ImportError(label, rd.problems);
  const flat = runGroups.length === 1 && runGroups[0]!.seed === null;
  const foundModels = ARCH_NAMES.filter((m) => runGroups.some((g) => g.runs.has(m)));
  const built = buildImportConfig(inputs, flat ? null : runGroups.map((g) => g.seed!), foundModels);
  if (!built.ok) throw new ImportError(label, built.problems);
  const { config, warnings, notes } = built.value;
  if (flat) runGroups[0]!.seed = config.seeds[0]!;
  const ours = source.entries.some((e) => /_(status|master_fit)\.json$/.test(e.path));

  // every run's files
  const runs = new Map<string, { files: RunFiles; built: BuiltRun }>();
  for (const g of runGroups) {
    let hnSummary: Map<ArchName, HNRow[]> | undefined;
    const hs = g.files.hnSummary;
    if (hs) hnSummary = await rd.attempt(async () => readHNSummary(await rd.text(hs, 'csv'), hs.path, limits.maxRows, (w) => warnings.push(w)));
    for (const files of g.runs.values()) {
      if (rd.full) break;
      const b = await buildRun(rd, files, g, config, hnSummary, ours);
      if (b) runs.set(`${files.arch}/${g.seed}`, { files, built: b });
    }
  }
  if (rd.problems.length > 0) throw new ImportError(label, rd.problems);

  // the experiment: models × seeds, a run without files is a failed run
  const imported: ImportedRun[] = [];
  const reports: ImportedRunReport[] = [];
  for (const seed of config.seeds) {
    for (const arch of config.models) {
      const r = runs.get(`${arch}/${seed}`);
      const runWarnings = [...warnings, ...(r?.built.warnings ?? [])];
      const runNotes = [...notes, ...(r?.built.notes ?? [])];
      const dir = r ? r.files.dir : null;
      const status: RunStatus = r ? r.built.status : 'failed';
      const error = r ? r.built.error : `no files of ${arch}, seed ${seed} in the import`;
      const files = r ? Object.values(r.files.files).map((e) => e.path) : [];
      const message = r
        ? `imported from ${label}${dir ? ` (${dir})` : ''}: ${files.length} file${files.length === 1 ? '' : 's'}`
          + `${runWarnings.length ? `, ${runWarnings.length} warning${runWarnings.length === 1 ? '' : 's'}` : ''}`
        : `imported from ${label}: no files for this run`;
      imported.push({
        arch, seed, status, result: r ? r.built.result : null, source: dir, ...(error !== undefined ? { error } : {}),
        events: [
          { kind: 'import', message, data: { source: label, dir, files, warnings: runWarnings, notes: runNotes } },
          ...runWarnings.map((w) => ({ kind: 'warning', message: w })),
        ],
      });
      reports.push({ arch, seed, status, source: dir, warnings: r?.built.warnings ?? [], notes: r?.built.notes ?? [] });
    }
  }

  const tags = [IMPORT_TAG, ...(opts.tags ?? [])];
  let experiment: ExperimentDetail;
  try {
    experiment = store.importExperiment({
      name: nameOf(arg, source),
      config,
      source: label,
      tags,
      notes: `Imported from ${label}${ours ? ' (a Learnability Workstation export)' : ' (reference pipeline layout)'}.`,
      runs: imported,
    });
  } catch (err) {
    if (err instanceof StoreValidationError) throw new ImportError(label, err.errors.slice(0, MAX_PROBLEMS).map((e) => ({ file: '', message: e.message })));
    throw err;
  }
  return {
    experiment,
    warnings,
    notes,
    runs: reports,
    ignoredFiles: layout.ignored,
    bytesRead: rd.bytes,
  };
}

/** The Api's importResults: the stored experiment (see importResults for the warnings). */
export async function importReferenceResults(store: Store, arg: ImportArg, opts: ImportOptions = {}): Promise<ExperimentDetail> {
  return (await importResults(store, arg, opts)).experiment;
}
