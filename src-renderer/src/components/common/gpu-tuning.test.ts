/**
 * The Settings card's GPU tuning texts (gpu-tuning.ts): the phase of a
 * GpuTuningState, which of two states the card keeps and when it reloads the
 * stored tunings, the per-model percentage, a stored tuning's row, the status
 * line, a run's kernel shape. (The speed-up text: src-shared/gpu-tuning.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { GpuTuningState } from '../../../../src-shared/gpu-tuning';
import { PRESETS } from '../../../../src-shared/presets';
import {
  isNewerTuningState, modelPercent, presetShapeText, runKernelShapeText, statusText, tuningPhase, tuningRow, tuningsReloadNeeded,
} from './gpu-tuning';

const idle: GpuTuningState = {
  seq: 0, active: false, startedAt: null, finishedAt: null, request: null, progress: [], perModel: [], result: null, error: null, cancelled: false,
  allowSoftware: false, adapter: { label: 'NVIDIA H200', software: false }, unavailable: null,
};
const request = { preset: 'smoke', models: ['gru' as const], D: 1, H: 16, layernorm: true, batch: 8, T: 40, budgetSeconds: 30, reps: 3 };
const running: GpuTuningState = { ...idle, seq: 1, active: true, startedAt: 1, request, perModel: [{ arch: 'gru', done: 2, planned: 8 }] };

describe('GPU tuning texts', () => {
  it('phases', () => {
    expect(tuningPhase(null)).toBe('idle');
    expect(tuningPhase(idle)).toBe('idle');
    expect(tuningPhase(running)).toBe('running');
    expect(tuningPhase({ ...running, cancelled: true })).toBe('cancelling');
    expect(tuningPhase({ ...running, active: false, finishedAt: 2, error: 'boom' })).toBe('failed');
    expect(tuningPhase({ ...running, active: false, finishedAt: 2, cancelled: true })).toBe('cancelled');
    expect(tuningPhase({ ...running, active: false, finishedAt: 2 })).toBe('done');
  });

  it('keeps the state with the highest seq: an older reply after a newer end event is dropped, an equal seq keeps the current', () => {
    const ended: GpuTuningState = { ...running, seq: 5, active: false, finishedAt: 9 };
    expect(isNewerTuningState(null, running)).toBe(true);
    expect(isNewerTuningState(idle, running)).toBe(true);
    expect(isNewerTuningState(running, ended)).toBe(true);
    // startGpuTuning's reply (seq 1, running) arriving after the end event (seq 5)
    expect(isNewerTuningState(ended, running)).toBe(false);
    expect(isNewerTuningState(ended, { ...ended })).toBe(false);
    expect(isNewerTuningState(ended, { ...ended, seq: 6, startedAt: 10, finishedAt: null, active: true })).toBe(true);
  });

  it('reloads the stored tunings on each ended state newer than the last end seen, not only on an active → inactive edge', () => {
    const ended: GpuTuningState = { ...running, seq: 5, active: false, finishedAt: 9 };
    expect(tuningsReloadNeeded(null, idle)).toBe(false); // never ran
    expect(tuningsReloadNeeded(null, running)).toBe(false); // nothing stored yet
    expect(tuningsReloadNeeded(null, ended)).toBe(true); // the end seen without its running state
    expect(tuningsReloadNeeded(9, ended)).toBe(false); // already reloaded for it
    expect(tuningsReloadNeeded(9, { ...ended, seq: 8, startedAt: 10, finishedAt: 12, cancelled: true })).toBe(true); // a later tuning's end
    expect(tuningsReloadNeeded(9, { ...ended, seq: 9, startedAt: 10, finishedAt: 13, error: 'boom' })).toBe(true); // a failed one's too
  });

  it('per-model percent: done / planned, 0 before it is planned, at most 100', () => {
    expect(modelPercent({ done: 2, planned: 8 })).toBe(25);
    expect(modelPercent({ done: 0, planned: 0 })).toBe(0);
    expect(modelPercent({ done: 9, planned: 8 })).toBe(100);
  });

  it('a stored tuning as a row', () => {
    const r = tuningRow({
      id: 4, adapter: 'NVIDIA H200', arch: 'lstm', D: 1, H: 64, layernorm: false, batch: 32, T: 100,
      shape: { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 'auto' }, stepMs: 1.25, defaultStepMs: 2.5, tried: 10, tunedAt: Date.UTC(2025, 5, 1),
    });
    expect(r).toMatchObject({ id: 4, ln: 'no', shape: 'S 2, WG 128, unroll auto', stepMs: '1.25', defaultMs: '2.5', speedUp: '2.00×' });
    expect(r.tunedAt).not.toBe('—');
    expect(r.tunedAt).not.toBe('');
  });

  it('status lines', () => {
    expect(statusText(idle)).toBe('No tuning has run since the host started.');
    expect(statusText(running)).toBe('Tuning gru (D 1, H 16, layernorm, batch 8, T 40): budget 30 s…');
    expect(statusText({ ...running, active: false, finishedAt: 2, error: 'no device' })).toBe('The tuning of gru (D 1, H 16, layernorm, batch 8, T 40) failed: no device');
    const result = {
      adapter: 'NVIDIA H200', fallback: false, batch: 8, T: 40, results: [], skippedForBudget: 3, cancelled: false,
      stored: [{ id: 1 }] as never,
    };
    expect(statusText({ ...running, active: false, finishedAt: 2, result }))
      .toBe('Finished: gru (D 1, H 16, layernorm, batch 8, T 40): 1 tuning stored for NVIDIA H200; 3 configurations skipped for the budget.');
  });

  it('a preset\'s shapes and a run\'s kernel shape', () => {
    const q = PRESETS.quick;
    expect(presetShapeText('quick')).toBe(`D ${q.D}, H ${q.H}${q.layernorm ? ', layernorm' : ''}, batch ${q.batch_size}, T ${q.T}`);
    expect(runKernelShapeText({ workgroupSize: 64, seqsPerWorkgroup: 1, unroll: 4, source: 'tuned' })).toBe('S 1, WG 64, unroll 4 (tuned)');
    expect(runKernelShapeText(null)).toBe('');
    expect(runKernelShapeText(undefined)).toBe('');
  });
});
