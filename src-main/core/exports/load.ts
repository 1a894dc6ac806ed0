/**
 * What an export reads from the store: the experiment, its configuration and
 * runs with their stored results, for a whole experiment or for one run.
 *
 * For one run the configuration is narrowed to that run (models = [arch],
 * seeds = [seed]), so its files are those `lw run` writes for that single
 * (model, seed) and its cli_args.csv reproduces exactly that run.
 */
import { ApiError, type ExportArg } from '../../../src-shared/api';
import type { ExperimentConfig } from '../../../src-shared/config';
import type { ExperimentDetail, RunRecord, RunResult } from '../../../src-shared/results';
import type { Store } from '../store';

export interface ExportRun {
  record: RunRecord;
  /** the stored result, or null (none stored yet, or the run failed without one) */
  result: RunResult | null;
}

export interface ExportBundle {
  experiment: ExperimentDetail;
  /** the configuration of what is exported (narrowed to the run for a one-run export) */
  config: ExperimentConfig;
  /** the exported runs, in the experiment's order */
  runs: ExportRun[];
  /** the run, for a one-run export */
  runId: number | null;
}

function positiveId(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ApiError('invalid', `${name} must be a positive integer (got ${JSON.stringify(v)})`, [{ field: name, message: `${name} must be a positive integer` }]);
  }
  return v;
}

/** Read an experiment (or one of its runs) and the stored results; ApiError when the argument is wrong or nothing matches. */
export function loadExportBundle(store: Store, arg: Pick<ExportArg, 'experimentId' | 'runId'>): ExportBundle {
  const experimentId = positiveId(arg.experimentId, 'experimentId');
  const runId = positiveId(arg.runId, 'runId');
  if (experimentId === undefined && runId === undefined) {
    throw new ApiError('invalid', 'export needs an experimentId or a runId', [{ field: 'experimentId', message: 'give an experimentId or a runId' }]);
  }
  let expId = experimentId;
  if (runId !== undefined) {
    const run = store.getRun(runId);
    if (!run) throw new ApiError('not-found', `no run with id ${runId}`);
    if (expId !== undefined && run.experimentId !== expId) {
      throw new ApiError('invalid', `run ${runId} belongs to experiment ${run.experimentId}, not ${expId}`, [{ field: 'runId', message: `run ${runId} is not in experiment ${expId}` }]);
    }
    expId = run.experimentId;
  }
  const experiment = store.getExperiment(expId!);
  if (!experiment) throw new ApiError('not-found', `no experiment with id ${expId}`);
  const records = runId === undefined ? experiment.runs : experiment.runs.filter((r) => r.id === runId);
  const runs = records.map((record) => ({ record, result: record.hasResult ? store.getRunResult(record.id) : null }));
  const config: ExperimentConfig = runId === undefined
    ? experiment.config
    : { ...experiment.config, models: [records[0]!.arch], seeds: [records[0]!.seed] };
  return { experiment, config, runs, runId: runId ?? null };
}
