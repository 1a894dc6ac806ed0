/**
 * `lw tune`: the request a command line makes (the configuration resolved as
 * `lw run` resolves it), usage errors (exit 2), --list and --delete on a
 * seeded store, and a tuning through the real scheduler and pool whose
 * worker runs a fake tuner (core/test/fixtures/fake-tune-worker.mjs: three
 * configurations per model, the best S 2, WG 128 at 1.5 ms against 3 ms by
 * default) with fake adapter probes: stored winners and the table, no
 * adapter or a software one refused (exit 1), --allow-software; and through
 * the fake tuner of src-workers/tasks/test/fake-tuning.ts (request markers):
 * nothing timed (exit 1), an interrupt (exit 130).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TUNE_LIMITS, type GpuTuningRecord } from '../../../src-shared/gpu-tuning';
import { PRESETS } from '../../../src-shared/presets';
import type { WebGpuProbe } from '../../../src-workers/backends/select';
import { modelMaxBatch } from '../../../src-workers/engine/train';
import { FAKE_H_REFUSED, FAKE_REPS_ENDLESS } from '../../../src-workers/tasks/test/fake-tuning';
import { databasePath, openStore } from '../../core/store';
import { memoryIO } from '../io';
import { runCli } from '../lw';
import { formatTunings, resolveTuneRequest, runTune } from './tune';

const FAKE_TUNE_WORKER = fileURLToPath(new URL('../../core/test/fixtures/fake-tune-worker.mjs', import.meta.url));
/** the tuner with request markers (src-workers/tasks/test/fake-tuning.ts) */
const MARKER_TUNE_WORKER = fileURLToPath(new URL('../../../src-workers/tasks/test/fake-tune-worker.mjs', import.meta.url));
const FAKE_TUNE_ADAPTER = 'Fake GPU (tuning test double)';
const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };
const swiftshader: WebGpuProbe = { available: true, fallback: true, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' };
const none: WebGpuProbe = { available: false, fallback: false, vendor: '', architecture: '', description: '', reason: 'no WebGPU adapter' };

type TuneDepsLike = { webgpuProbe?: () => Promise<WebGpuProbe> };

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lw-tune-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** a store in `dir` with two tunings of one adapter and one of another */
function seed(dir: string): GpuTuningRecord[] {
  const store = openStore({ dataDir: dir });
  try {
    const base = { D: 1, H: 64, layernorm: false, batch: 32, T: 100, tried: 12 };
    return store.saveGpuTunings([
      { ...base, adapter: 'NVIDIA H200', arch: 'gru', shape: { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 'auto' }, stepMs: 2, defaultStepMs: 3 },
      { ...base, adapter: 'NVIDIA H200', arch: 'lstm', shape: { workgroupSize: 64, seqsPerWorkgroup: 4, unroll: 4 }, stepMs: 4, defaultStepMs: null },
      { ...base, adapter: 'AMD MI300X', arch: 'gru', shape: { workgroupSize: 256, seqsPerWorkgroup: 1, unroll: 1 }, stepMs: 1, defaultStepMs: 1.5 },
    ]);
  } finally {
    store.close();
  }
}

describe('resolveTuneRequest', () => {
  it('the configuration gives the model shapes, batch and T; budget and reps default to TUNE_LIMITS', () => {
    const smoke = PRESETS.smoke;
    const r = resolveTuneRequest({ preset: 'smoke' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.req).toEqual({
      models: smoke.models.map((arch) => ({ arch, D: smoke.D, H: smoke.H, layernorm: smoke.layernorm, constS: smoke.const_s })),
      batch: smoke.batch_size, T: smoke.T, maxBatch: modelMaxBatch(smoke), budgetSeconds: TUNE_LIMITS.budgetDefault, reps: TUNE_LIMITS.repsDefault,
    });
    expect(r.warnings).toEqual([]);
  });

  it('a valid configuration file\'s warnings are returned and printed, as lw run prints them', async () => {
    const dir = tempDir();
    const file = join(dir, 'cli_args.csv');
    writeFileSync(file, 'argument,value\nH,8\nout_dir,somewhere\n');
    const r = resolveTuneRequest({ config: file });
    expect(r.ok).toBe(true);
    const warning = `${file}: ignoring unknown argument "out_dir"`;
    expect(r.warnings).toEqual([warning]);
    // printed before the adapter is looked at (none here: exit 1 after the warning)
    const io = Object.assign(memoryIO(), { webgpuProbe: async () => none });
    expect(await runCli(['tune', '--config', file, '--data-dir', dir], io)).toBe(1);
    expect(io.stderr[0]).toBe(`lw tune: warning: ${warning}`);
  });

  it('preset < config file < flags, as lw run', () => {
    const dir = tempDir();
    const file = join(dir, 'cfg.json');
    writeFileSync(file, JSON.stringify({ H: 24, batch_size: 16, models: ['gru', 'lstm'] }));
    const r = resolveTuneRequest({ preset: 'quick', config: file, H: '12', layernorm: true, budget: '30', reps: '2', allowSoftware: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.req.models.map((m) => [m.arch, m.H, m.layernorm])).toEqual([['gru', 12, true], ['lstm', 12, true]]);
    expect([r.req.batch, r.req.budgetSeconds, r.req.reps, r.req.allowSoftware]).toEqual([16, 30, 2, true]);
  });

  it('every problem, in words naming the flag', () => {
    const r = resolveTuneRequest({ preset: 'smoke', budget: '5', reps: '0', H: '-3' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.some((e) => e.startsWith(`--budget must be an integer from ${TUNE_LIMITS.budgetMin} to ${TUNE_LIMITS.budgetMax}`))).toBe(true);
    expect(r.errors.some((e) => e.startsWith(`--reps must be an integer from ${TUNE_LIMITS.repsMin}`))).toBe(true);
    expect(r.errors.some((e) => e.startsWith('H '))).toBe(true);
    const none = resolveTuneRequest({});
    expect(!none.ok && none.errors[0]).toContain('choose a configuration');
  });
});

describe('lw tune: usage errors exit 2', () => {
  it.each([
    [['tune'], 'choose a configuration'],
    [['tune', '--preset', 'smoke', '--budget', '5'], '--budget must be'],
    [['tune', '--preset', 'smoke', '--reps', 'x'], '--reps must be'],
    [['tune', '--preset', 'huge'], 'huge'],
    [['tune', '--list', '--delete', '1'], '--list and --delete cannot be combined'],
    [['tune', '--list', '--preset', 'smoke'], 'cannot be combined'],
    [['tune', '--delete', 'abc'], '--delete must be'],
    [['tune', '--delete', '0'], '--delete must be'],
    [['tune', '--adapter', 'X'], '--adapter applies to --list only'],
  ])('%j', async (argv, message) => {
    const io = memoryIO();
    const dir = tempDir();
    expect(await runCli([...argv, '--data-dir', dir], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain(message);
    expect(existsSync(databasePath(dir))).toBe(false); // nothing created
  });
});

describe('lw tune --list / --delete', () => {
  it('no database: nothing listed (and none created)', async () => {
    const dir = tempDir();
    const io = memoryIO();
    expect(await runCli(['tune', '--list', '--data-dir', dir], io)).toBe(0);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toContain('no stored tunings');
    expect(existsSync(databasePath(dir))).toBe(false);
    const j = memoryIO();
    expect(await runCli(['tune', '--list', '--json', '--data-dir', dir], j)).toBe(0);
    expect(JSON.parse(j.stdout.join('\n'))).toEqual([]);
  });

  it('lists the stored tunings as a table or JSON, filtered by adapter; deletes one', async () => {
    const dir = tempDir();
    const stored = seed(dir);
    const io = memoryIO();
    expect(await runCli(['tune', '--list', '--data-dir', dir], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^ID\s+ADAPTER\s+ARCH\s+D\s+H\s+LN\s+BATCH\s+SHAPE\s+STEP_MS\s+DEFAULT_MS\s+SPEED-UP\s+TUNED$/);
    expect(io.stdout).toHaveLength(4);
    const gru = io.stdout.find((l) => l.includes('NVIDIA H200') && l.includes(' gru '))!;
    // speed-up = default ÷ tuned step time = 3 / 2
    expect(gru).toContain('S 2, WG 128, unroll auto');
    expect(gru).toContain('1.50×');

    const j = memoryIO();
    expect(await runCli(['tune', '--list', '--json', '--adapter', 'NVIDIA H200', '--data-dir', dir], j)).toBe(0);
    const listed = JSON.parse(j.stdout.join('\n')) as GpuTuningRecord[];
    expect(listed).toEqual(stored.filter((t) => t.adapter === 'NVIDIA H200'));

    const id = listed[0]!.id;
    const d = memoryIO();
    expect(await runCli(['tune', '--delete', String(id), '--data-dir', dir], d)).toBe(0);
    expect(d.stderr.join('\n')).toContain(`deleted tuning ${id}`);
    const store = openStore({ dataDir: dir });
    try {
      const byId = (a: number, b: number) => a - b;
      expect(store.listGpuTunings().map((t) => t.id).sort(byId)).toEqual(stored.map((t) => t.id).filter((x) => x !== id).sort(byId));
    } finally {
      store.close();
    }
    const again = memoryIO();
    expect(await runCli(['tune', '--delete', String(id), '--data-dir', dir], again)).toBe(1);
    expect(again.stderr.join('\n')).toContain(`no stored tuning with id ${id}`);
  });

  it('a database that cannot be opened: exit 2 on every path (--list, --delete, a tuning), as lw run', async () => {
    const dir = tempDir();
    writeFileSync(databasePath(dir), 'not a database, but long enough to be read as a header of one: '.repeat(4));
    const runs: [string[], TuneDepsLike][] = [
      [['tune', '--list'], {}], [['tune', '--delete', '1'], {}], [['tune', '--preset', 'smoke', '--models', 'const'], { webgpuProbe: async () => hardware }],
    ];
    for (const [argv, extra] of runs) {
      const io = Object.assign(memoryIO(), extra);
      expect(await runCli([...argv, '--data-dir', dir], io), argv.join(' ')).toBe(2);
      expect(io.stderr.join('\n')).toContain(`lw tune: cannot open the database in ${dir}`);
    }
  });

  it('formatTunings: an unknown default time leaves the speed-up empty', () => {
    const lines = formatTunings([{
      id: 7, adapter: 'A', arch: 'diag', D: 2, H: 8, layernorm: true, batch: 4, T: 6, shape: { workgroupSize: 32, seqsPerWorkgroup: 1, unroll: 1 },
      stepMs: 0.5, defaultStepMs: null, tried: 3, tunedAt: Date.UTC(2025, 0, 2, 3, 4),
    }]);
    expect(lines[1]).toMatch(/^\s*7\s+A\s+diag\s+2\s+8\s+yes\s+4\s+S 1, WG 32, unroll 1\s+0\.5\s+\d{4}-\d\d-\d\d \d\d:\d\d$/);
  });
});

describe('lw tune: a tuning (fake tuner on the pool thread)', () => {
  it('prints a line per configuration and the winners, stores them, exit 0', async () => {
    const dir = tempDir();
    const io = memoryIO();
    const code = await runTune({ preset: 'smoke', models: 'gru,lstm', budget: '10', reps: '1', dataDir: dir }, io,
      { workerFile: FAKE_TUNE_WORKER, webgpuProbe: async () => hardware });
    expect(code, io.stderr.join('\n')).toBe(0);
    const progress = io.stderr.filter((l) => /^lw tune: \[(gru|lstm) \d\/3\]/.test(l));
    expect(progress).toHaveLength(6);
    expect(io.stdout[0]).toMatch(/^ARCH\s+BEST SHAPE\s+STEP_MS\s+DEFAULT_MS\s+SPEED-UP\s+TRIED\s+STORED$/);
    // best 1.5 ms against 3 ms by default: a speed-up of 2
    for (const arch of ['gru', 'lstm']) {
      expect(io.stdout.find((l) => l.startsWith(`${arch} `))).toMatch(new RegExp(`^${arch}\\s+S 2, WG 128, unroll auto\\s+1\\.5\\s+3\\s+2\\.00×\\s+3\\s+yes$`));
    }
    expect(io.stderr.at(-1)).toContain(`2 tunings stored for ${FAKE_TUNE_ADAPTER}`);
    const store = openStore({ dataDir: dir });
    try {
      const smoke = PRESETS.smoke;
      expect(store.listGpuTunings().map((t) => [t.adapter, t.arch, t.D, t.H, t.batch, t.T, t.stepMs, t.defaultStepMs])).toEqual(
        ['gru', 'lstm'].map((arch) => [FAKE_TUNE_ADAPTER, arch, smoke.D, smoke.H, smoke.batch_size, smoke.T, 1.5, 3]),
      );
      expect(store.listExperiments({}).total).toBe(0); // a tuning makes no experiment
    } finally {
      store.close();
    }
  });

  it('no hardware adapter: exit 1 with the reason, nothing stored; a software one only with --allow-software', async () => {
    for (const probe of [none, swiftshader]) {
      const dir = tempDir();
      const io = Object.assign(memoryIO(), { webgpuProbe: async () => probe });
      expect(await runCli(['tune', '--preset', 'smoke', '--data-dir', dir], io)).toBe(1);
      expect(io.stderr.join('\n')).toContain('no hardware WebGPU adapter');
      if (probe === swiftshader) expect(io.stderr.join('\n')).toContain('--allow-software');
      expect(existsSync(databasePath(dir))).toBe(false);
    }
    const dir = tempDir();
    const io = memoryIO();
    const code = await runTune({ preset: 'smoke', models: 'const', budget: '10', reps: '1', dataDir: dir, allowSoftware: true }, io,
      { workerFile: FAKE_TUNE_WORKER, webgpuProbe: async () => swiftshader });
    expect(code, io.stderr.join('\n')).toBe(0);
    expect(io.stdout.find((l) => l.startsWith('const '))).toContain('yes');
  });

  it('a failing tuner: exit 1 with its error', async () => {
    const dir = tempDir();
    const io = memoryIO();
    // budgetSeconds 11 makes the fake tuner throw
    const code = await runTune({ preset: 'smoke', models: 'const', budget: '11', reps: '1', dataDir: dir }, io,
      { workerFile: FAKE_TUNE_WORKER, webgpuProbe: async () => hardware });
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toContain('lw tune: failed: injected tuner failure');
  });

  it('the data directory from the environment (TuneDeps.env) when there is no --data-dir', async () => {
    const dir = tempDir();
    const io = memoryIO();
    const code = await runTune({ preset: 'smoke', models: 'const', budget: '10', reps: '1' }, io,
      { workerFile: FAKE_TUNE_WORKER, webgpuProbe: async () => hardware, env: { LW_DATA_DIR: dir } });
    expect(code, io.stderr.join('\n')).toBe(0);
    const store = openStore({ dataDir: dir });
    try {
      expect(store.listGpuTunings().map((t) => t.arch)).toEqual(['const']);
    } finally {
      store.close();
    }
  });

  it('nothing could be timed (every configuration refused): exit 1, nothing stored', async () => {
    const dir = tempDir();
    const io = memoryIO();
    const code = await runTune({ preset: 'smoke', models: 'gru', H: String(FAKE_H_REFUSED), budget: '10', reps: '1', dataDir: dir }, io,
      { workerFile: MARKER_TUNE_WORKER, webgpuProbe: async () => hardware });
    expect(code, io.stderr.join('\n')).toBe(1);
    expect(io.stdout.find((l) => l.startsWith('gru '))).toMatch(/^gru\s+none\s/);
    expect(io.stderr.at(-1)).toContain('0 tunings stored');
  });

  it('an interrupt stops the sweep after the current configuration: exit 130', async () => {
    const dir = tempDir();
    const hook: { handler: (() => boolean) | null; detached: boolean } = { handler: null, detached: false };
    const base = memoryIO();
    const io = Object.assign(base, {
      onInterrupt(h: () => boolean) {
        hook.handler = h;
        return () => void (hook.detached = true);
      },
      // interrupt at the first configuration timed
      err(line: string) {
        base.stderr.push(line);
        if (/^lw tune: \[gru 1\//.test(line)) expect(hook.handler!()).toBe(true);
      },
    });
    // reps FAKE_REPS_ENDLESS: the fake sweeps until asked to stop
    const code = await runTune({ preset: 'smoke', models: 'gru', budget: '10', reps: String(FAKE_REPS_ENDLESS), dataDir: dir }, io,
      { workerFile: MARKER_TUNE_WORKER, webgpuProbe: async () => hardware });
    expect(code, base.stderr.join('\n')).toBe(130);
    expect(base.stderr.join('\n')).toContain('lw tune: interrupted: stopping after the current configuration');
    expect(base.stderr.at(-1)).toContain('cancelled before the end');
    expect(hook.detached).toBe(true);
    // a second interrupt asks for an immediate exit
    expect(hook.handler!()).toBe(false);
  });
});
