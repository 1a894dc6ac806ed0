/**
 * The runs table of the CSV export records the GPU kernel shape of each run
 * (RunRecord.kernelShape, from the stored result): workgroup size, sequences
 * per workgroup, unroll factor and whether the shape was a stored tuning or
 * the defaults, and leaves the four columns empty for CPU runs and runs
 * without a result. The results are minimal hand-made ones (a curve row, no
 * diagnostics): the columns copy what was stored, so any values do.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunKernelShape } from '../../../../src-shared/gpu-tuning';
import type { ExperimentDetail, RunResult } from '../../../../src-shared/results';
import type { Store } from '../../store';
import { exportData } from '../index';
import { RUNS_TABLE_COLUMNS } from '../csv-tables';
import { saveResult, smokeConfig, tempFolder, tempStore } from './fixtures';

function result(over: Partial<RunResult>): RunResult {
  return {
    curve: [{ epoch: 0, train_loss: 0.5, train_acc: 0.1, val_loss: 0.6, val_acc: 0.05 }],
    gateStats: [], diverged: false, divergedEpoch: null, cancelled: false, kernelsName: 'ts-f32', wallMs: 10,
    diagnostics: null, diagnosticsStatus: 'skipped', ...over,
  };
}

const tuned: RunKernelShape = { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 'auto', source: 'tuned' };
const defaults: RunKernelShape = { workgroupSize: 64, seqsPerWorkgroup: 1, unroll: 4, source: 'default' };

describe('runs.csv: the kernel shape columns', () => {
  const t = tempFolder('lw-export-kshape-');
  let store: Store;
  let exp: ExperimentDetail;
  beforeAll(() => {
    store = tempStore(t.dir);
    exp = store.createExperiment('kernel shapes', smokeConfig({ models: ['const', 'gru', 'lstm', 'diag'], seeds: [1] }), { preset: 'smoke' });
    const [a, b, c] = exp.runs;
    saveResult(store, a!.id, result({ backend: 'webgpu', adapter: 'NVIDIA H200', kernelsName: 'webgpu-f32', kernelShape: tuned }));
    saveResult(store, b!.id, result({ backend: 'webgpu', adapter: 'NVIDIA H200', kernelsName: 'webgpu-f32', kernelShape: defaults }));
    saveResult(store, c!.id, result({ backend: 'cpu' }));
    // the fourth run never ran: no result
  });
  afterAll(() => {
    store.close();
    t.cleanup();
  });

  it('has the four columns last, filled for webgpu runs and empty otherwise', async () => {
    const file = await exportData(store, { experimentId: exp.id, format: 'csv', table: 'runs' });
    const [header, ...rows] = parse(new TextDecoder().decode(file.bytes)) as string[][];
    expect(header).toEqual([...RUNS_TABLE_COLUMNS]);
    expect(header!.slice(-4)).toEqual(['kernel_workgroup_size', 'kernel_seqs_per_workgroup', 'kernel_unroll', 'kernel_shape_source']);
    const byRun = new Map(rows.map((r) => [Number(r[1]), r]));
    const cols = (runId: number) => byRun.get(runId)!.slice(-4);
    const [a, b, c, d] = exp.runs;
    expect(cols(a!.id)).toEqual(['128', '2', 'auto', 'tuned']);
    expect(cols(b!.id)).toEqual(['64', '1', '4', 'default']);
    expect(cols(c!.id)).toEqual(['', '', '', '']);
    expect(cols(d!.id)).toEqual(['', '', '', '']);
    expect(byRun.get(a!.id)![header!.indexOf('adapter')]).toBe('NVIDIA H200');
  });
});
