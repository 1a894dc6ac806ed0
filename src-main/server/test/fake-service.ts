/**
 * An in-memory service implementing the Api for the web host's tests: records
 * every call's (decoded) argument, answers with payloads full of NaN, ±∞, -0
 * and typed arrays, raises each ApiError code on demand, and emits events.
 */
import { ApiError, type Api, type ApiEvent, type ExportedFile, type QueueState } from '../../../src-shared/api';
import { DEFAULT_CONFIG } from '../../../src-shared/config';
import type { GpuTuningState } from '../../../src-shared/gpu-tuning';
import type { ExperimentDetail, RunRecord, RunResult } from '../../../src-shared/results';
import type { WebHostService } from '../web-host';

export interface FakeService extends WebHostService {
  calls: { method: string; arg: unknown }[];
  emit(e: ApiEvent): void;
  listenerCount(): number;
  runResult: RunResult;
  exportFile: ExportedFile;
}

export function fakeRun(id: number): RunRecord {
  return {
    id, experimentId: 1, index: 0, arch: 'gru', seed: 0, status: 'done', backend: 'cpu', kernels: 'ts-f32',
    attempts: 1, createdAt: 1_700_000_000_000, startedAt: 1_700_000_000_500, finishedAt: null, wallMs: null,
    trainMs: null, diagnosticsMs: null, error: null, hasResult: true, epochsDone: 3, imported: false, source: null,
  };
}

function fakeDetail(id: number, name: string): ExperimentDetail {
  return {
    id, name, tags: [], notes: '', preset: null, appVersion: '0.1.0', createdAt: 1_700_000_000_000, finishedAt: null,
    models: ['gru'], seeds: [0], T: 10, H: 4, epochs: 1, optimizer: 'adamw',
    progress: { queued: 1, running: 0, done: 0, failed: 0, diverged: 0, cancelled: 0, interrupted: 0, total: 1 },
    source: null, config: { ...DEFAULT_CONFIG }, runs: [fakeRun(1)],
  };
}

export function createFakeService(): FakeService {
  const listeners = new Set<(e: ApiEvent) => void>();
  const calls: { method: string; arg: unknown }[] = [];
  const queue: QueueState = { paused: false, workers: 2, gpuRuns: 4, running: [], queued: [] };
  const runResult: RunResult = {
    curve: [{ epoch: 0, train_loss: 0.5, train_acc: -Infinity, val_loss: NaN, val_acc: -0 }],
    gateStats: [],
    diverged: false, divergedEpoch: null, cancelled: false, kernelsName: 'ts-f32', wallMs: 12.5,
    diagnosticsStatus: 'done',
    diagnostics: {
      lags: [1, 2],
      summary: [],
      muUnits: [new Float64Array([0.25, NaN, -0]), new Float64Array([Infinity, 1e-300, -Infinity])],
      H_N: [{ N: 25, H_N: Infinity }],
      tau: [{ unit_id: 0, tau: Infinity, C: NaN, a: 0, b: 0.5, r2: NaN, num_points: 0 }],
      envelope: { exp: { a: 0, b: 0, r2: NaN, tau_env: Infinity }, power: { c: 0, d: 0, r2: 0 }, log: { e: 0, g: 0, r2: 0 }, best: 'exp' },
      master: { skipped: 'too few points' },
      constTau: null,
      batchSize: 8,
    },
  };
  const exportFile: ExportedFile = {
    fileName: 'expériment "1".pdf',
    mime: 'application/pdf',
    bytes: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a, 0x00, 0xff]),
  };
  const rec = (method: string, arg: unknown) => void calls.push({ method, arg });
  // seq increases with every state published, as the service's
  let tuning: GpuTuningState = {
    seq: 1, active: false, startedAt: null, finishedAt: null, request: null, progress: [], perModel: [], result: null, error: null, cancelled: false,
    allowSoftware: false, adapter: null, unavailable: 'no hardware WebGPU adapter: runs use the CPU, nothing to tune',
  };

  const api: Api = {
    async listExperiments(arg) { rec('listExperiments', arg); return { items: [], total: 0 }; },
    async getExperiment(arg) { rec('getExperiment', arg); return fakeDetail(arg.id, 'x'); },
    async createExperiment(arg) { rec('createExperiment', arg); return fakeDetail(7, arg.name); },
    async updateExperiment(arg) { rec('updateExperiment', arg); return fakeDetail(arg.id, arg.name ?? 'x'); },
    async duplicateExperiment(arg) { rec('duplicateExperiment', arg); return fakeDetail(8, arg.name ?? 'copy'); },
    async deleteExperiment(arg) { rec('deleteExperiment', arg); return { deleted: true }; },
    async resumeExperiment(arg) { rec('resumeExperiment', arg); return fakeDetail(arg.id, 'x'); },
    async cancelExperiment(arg) { rec('cancelExperiment', arg); return fakeDetail(arg.id, 'x'); },
    async getRun(arg) {
      rec('getRun', arg);
      switch (arg.runId) {
        case 400: throw new ApiError('invalid', 'runId is odd', [{ field: 'runId', message: 'must be even' }]);
        case 404: throw new ApiError('not-found', 'no run 404');
        case 409: throw new ApiError('conflict', 'run 409 is busy');
        case 401: throw new ApiError('unauthorized', 'not yours');
        case 500: throw new Error('database on fire');
        default: return fakeRun(arg.runId);
      }
    },
    async getRunResult(arg) {
      rec('getRunResult', arg);
      if (arg.runId === 0) return null;
      // muUnits: false leaves the per-unit envelopes out (GetRunResultArg)
      return arg.muUnits === false && runResult.diagnostics ? { ...runResult, diagnostics: { ...runResult.diagnostics, muUnits: [] } } : runResult;
    },
    async getRunResults(arg) {
      rec('getRunResults', arg);
      const lean = arg?.muUnits === false && runResult.diagnostics ? { ...runResult, diagnostics: { ...runResult.diagnostics, muUnits: [] } } : runResult;
      return (arg?.runIds ?? []).map((id) => (id === 0 ? null : lean));
    },
    async listRunEvents(arg) { rec('listRunEvents', arg); return []; },
    async cancelRun(arg) { rec('cancelRun', arg); return fakeRun(arg.runId); },
    async rerunRun(arg) { rec('rerunRun', arg); return fakeRun(arg.runId); },
    async getQueue() { rec('getQueue', undefined); return queue; },
    async pauseQueue() { rec('pauseQueue', undefined); return { ...queue, paused: true }; },
    async resumeQueue() { rec('resumeQueue', undefined); return queue; },
    async setWorkers(arg) { rec('setWorkers', arg); return { ...queue, workers: arg.workers }; },
    async setGpuRuns(arg) { rec('setGpuRuns', arg); return { ...queue, gpuRuns: arg.gpuRuns }; },
    async validateConfig(arg) { rec('validateConfig', arg); return { ok: false, errors: [{ field: 'lr', message: 'lr must be > 0' }] }; },
    async estimateRuns(arg) { rec('estimateRuns', arg); return { runs: 1, cpuSeconds: Infinity, wallSeconds: NaN, peakBytesPerRun: 0 }; },
    async exportData(arg) {
      rec('exportData', arg);
      if (arg.experimentId === 404) throw new ApiError('not-found', 'no experiment 404');
      return exportFile;
    },
    async importResults(arg) { rec('importResults', arg); return fakeDetail(9, arg.name ?? 'imported'); },
    async getSystemInfo() {
      rec('getSystemInfo', undefined);
      return {
        appVersion: '0.1.0', dataDir: '/tmp/x', cores: 2, workers: 2, host: 'web',
        backends: [{ name: 'cpu', available: true, description: 'typed arrays' }], platform: 'linux', node: 'v20',
      };
    },
    async startGpuTuning(arg) {
      rec('startGpuTuning', arg);
      if (arg.preset === 'paper') throw new ApiError('conflict', tuning.unavailable!);
      tuning = { ...tuning, seq: tuning.seq + 1 };
      return tuning;
    },
    async getGpuTuningState() { rec('getGpuTuningState', undefined); return tuning; },
    async cancelGpuTuning() { rec('cancelGpuTuning', undefined); return tuning; }, // none running: unchanged, as the service
    async listGpuTunings(arg) {
      rec('listGpuTunings', arg);
      return [{
        id: 1, adapter: 'NVIDIA H200', arch: 'gru', D: 1, H: 64, layernorm: false, batch: 32, T: 100,
        shape: { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 'auto' }, stepMs: 1.5, defaultStepMs: NaN, tried: 12, tunedAt: 1_700_000_000_000,
      }];
    },
    async deleteGpuTuning(arg) { rec('deleteGpuTuning', arg); return { deleted: arg.id === 1 }; },
    async sampleStable(arg) {
      rec('sampleStable', arg);
      return { alpha: 1.5, scale: 1, n: 3, seed: 0, samples: new Float64Array([0.5, -Infinity, NaN]) };
    },
    async estimateAlpha(arg) {
      rec('estimateAlpha', arg);
      return { alpha: 2, sigma: 0, reliable: false, n: 0, method: 'mcculloch', ms: 0 };
    },
    async noiseLabSweep(arg) {
      rec('noiseLabSweep', arg);
      return { rows: [], scale: 1, ms: 0 };
    },
  };

  return {
    api,
    calls,
    runResult,
    exportFile,
    subscribe(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    emit(e) {
      for (const l of [...listeners]) l(e);
    },
    listenerCount: () => listeners.size,
  };
}
