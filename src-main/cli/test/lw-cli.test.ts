import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_FIELDS, type ExperimentConfig } from '../../../src-shared/config';
import { PRESETS } from '../../../src-shared/presets';
import { defaultOutDir } from '../commands/run';
import { memoryIO } from '../io';
import { createProgram, runCli } from '../lw';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const io = memoryIO();
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr };
}

/** `lw run --dry-run …` → the resolved configuration, runs and workers. */
async function dry(...argv: string[]): Promise<{ config: ExperimentConfig; runs: { arch: string; seed: number }[]; workers: number; out: string }> {
  const r = await cli('run', '--dry-run', ...argv);
  expect(r.stderr, r.stderr.join('\n')).toEqual([]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('lw command line: usage errors exit 2 with one line per problem', () => {
  it('no command prints the help and exits 2', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.stderr.join('\n')).toContain('Usage: lw');
  });
  it('--help exits 0', async () => {
    const r = await cli('run', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--preset <name>');
    // a flag for every configuration field
    for (const f of CONFIG_FIELDS) expect(r.stdout).toContain(`--${f.name} `);
    expect(r.stdout).toContain('--no-orth_init');
  });
  it('needs a preset or a config file', async () => {
    const r = await cli('run', '--H', '8');
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual(['lw run: choose a configuration: --preset smoke|quick|paper and/or --config FILE']);
  });
  it('unknown options and preset names are usage errors', async () => {
    const a = await cli('run', '--preset', 'smoke', '--hidden', '8');
    expect(a.code).toBe(2);
    expect(a.stderr[0]).toContain("unknown option '--hidden'");
    const b = await cli('run', '--preset', 'huge');
    expect(b.code).toBe(2);
    expect(b.stderr[0]).toContain('huge');
    const c = await cli('fly');
    expect(c.code).toBe(2);
  });
  it('every invalid field gives one line naming the field and the allowed values', async () => {
    const r = await cli('run', '--preset', 'smoke', '--const_s', '1.5', '--T', 'abc', '--models', 'gru,rnn', '--N_grid', '50,25', '--workers', 'two');
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([
      'lw run: T must be an integer >= 2 (got "abc")',
      'lw run: N_grid must be a non-empty, strictly increasing list of integers >= 1 (got 50,25)',
      'lw run: const_s must be > 0 and < 1 (got 1.5)',
      'lw run: models must be a non-empty list of distinct names from const, shared, diag, gru, lstm (got gru,rnn)',
      'lw run: --workers must be an integer from 0 to 256 (0 runs in-process; got "two")',
    ]);
  });
  it('cross-field problems are reported too', async () => {
    const r = await cli('run', '--preset', 'smoke', '--lag_max', '48', '--task_coeffs', '0.5');
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([
      'lw run: task_coeffs must have one coefficient per task lag (4 task_lags, got 1 task_coeffs)',
      'lw run: lag_max must be < T (T is 48, got 48)',
    ]);
  });
  it('a bad config file is reported, with its path', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{"H": 0, "depth": 3}');
    const r = await cli('run', '--config', p);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([`lw run: ${p}: unknown field "depth"`, 'lw run: H must be an integer >= 1 (got 0)']);
  });
  it('refuses to write into a non-empty output folder without --force', async () => {
    const out = join(dir, 'full');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'x'), '');
    const r = await cli('run', '--preset', 'smoke', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr[0]).toContain('exists and is not empty');
  });
});

describe('lw run: configuration precedence preset < config file < flags', () => {
  it('a preset alone', async () => {
    const d = await dry('--preset', 'quick');
    expect(d.config).toEqual(PRESETS.quick);
    expect(d.runs).toHaveLength(5);
    expect(d.workers).toBe(Math.min(5, availableParallelism()));
  });
  it('config file over preset, flags over both', async () => {
    const p = join(dir, 'over.json');
    writeFileSync(p, JSON.stringify({ H: 12, epochs: 7, layernorm: false }));
    const d = await dry('--preset', 'quick', '--config', p, '--H', '16');
    expect(d.config).toEqual({ ...PRESETS.quick, H: 16, epochs: 7, layernorm: false });
  });
  it('a reference cli_args.csv alone starts from the reference defaults', async () => {
    const p = join(dir, 'cli_args.csv');
    writeFileSync(p, 'argument,value\nT,600\nlag_max,200\nout_dir,somewhere\n');
    const r = await cli('run', '--dry-run', '--config', p);
    expect(r.code).toBe(0);
    expect(r.stderr).toEqual([`lw run: warning: ${p}: ignoring unknown argument "out_dir"`]);
    const d = JSON.parse(r.stdout);
    expect(d.config.T).toBe(600);
    expect(d.config.lag_max).toBe(200);
    // everything else: the reference defaults (SCIENCE.md §7)
    expect(d.config.H).toBe(64);
    expect(d.config.task_lags).toEqual([32, 64, 128, 256, 512]);
    expect(d.config.alpha_method).toBe('mcculloch');
    // and a default that no longer fits is reported, not silently changed
    writeFileSync(p, 'argument,value\nT,300\nlag_max,200\n');
    const bad = await cli('run', '--dry-run', '--config', p);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toEqual(['lw run: task_lags must all be < T (T is 300, got 512)']);
  });
  it('lists and booleans in every spelling', async () => {
    const d = await dry('--preset', 'smoke', '--seeds', '1,2,3', '--models', 'gru,lstm', '--task_coeffs', '-0.5,0.25,1e-2,4',
      '--no-orth_init', '--layernorm', 'false', '--include_first_order_diag', '0', '--workers', '3');
    expect(d.config.seeds).toEqual([1, 2, 3]);
    expect(d.config.models).toEqual(['gru', 'lstm']);
    expect(d.config.task_coeffs).toEqual([-0.5, 0.25, 0.01, 4]);
    expect(d.config.orth_init).toBe(false);
    expect(d.config.layernorm).toBe(false);
    expect(d.config.include_first_order_diag).toBe(0);
    expect(d.runs).toEqual([
      { arch: 'gru', seed: 1 }, { arch: 'lstm', seed: 1 }, { arch: 'gru', seed: 2 }, { arch: 'lstm', seed: 2 },
      { arch: 'gru', seed: 3 }, { arch: 'lstm', seed: 3 },
    ]);
    expect(d.workers).toBe(3);
    const on = await dry('--preset', 'smoke', '--no-orth_init', '--orth_init');
    expect(on.config.orth_init).toBe(true);
    const t = await dry('--preset', 'paper', '--no-layernorm', '--layernorm', 'true');
    expect(t.config.layernorm).toBe(true);
  });
  it('every field has a flag that overrides the preset', async () => {
    const alt: Partial<Record<string, string>> = {
      Nseq_train: '33', Nseq_diag: '34', T: '50', D: '5', H: '9', optimizer: 'sgd_momentum', momentum: '0.5', epochs: '2',
      batch_size: '8', lr: '0.01', weight_decay: '0', grad_clip: '0', lag_min: '3', lag_max: '20', num_lags: '4',
      task_lags: '3,6', task_coeffs: '1,2', noise_std: '0.1', N_grid: '10,20', eps: '0.2', orth_init: 'false',
      layernorm: 'false', include_first_order_diag: '0', orient_matched_statistic_sign: '0', alpha_method: 'mcculloch',
      min_samples_alpha: '10', const_s: '0.1', gate_log_every: '2', seeds: '5', w_seed: '6', models: 'lstm', backend: 'cpu',
    };
    expect(Object.keys(alt).sort()).toEqual(CONFIG_FIELDS.map((f) => f.name).sort());
    const d = await dry('--preset', 'smoke', ...Object.entries(alt).flatMap(([k, v]) => [`--${k}`, v!]));
    expect(d.config).toEqual({
      Nseq_train: 33, Nseq_diag: 34, T: 50, D: 5, H: 9, optimizer: 'sgd_momentum', momentum: 0.5, epochs: 2, batch_size: 8,
      lr: 0.01, weight_decay: 0, grad_clip: 0, lag_min: 3, lag_max: 20, num_lags: 4, task_lags: [3, 6], task_coeffs: [1, 2],
      noise_std: 0.1, N_grid: [10, 20], eps: 0.2, orth_init: false, layernorm: false, include_first_order_diag: 0,
      orient_matched_statistic_sign: 0, alpha_method: 'mcculloch', min_samples_alpha: 10, const_s: 0.1, gate_log_every: 2,
      seeds: [5], w_seed: 6, models: ['lstm'], backend: 'cpu',
    });
  });
  it('the default output folder is runs/<timestamp>', async () => {
    expect(defaultOutDir(new Date(2025, 0, 2, 3, 4, 5))).toBe('runs/20250102-030405');
    expect((await dry('--preset', 'smoke')).out).toMatch(/^runs\/\d{8}-\d{6}$/);
  });
  it('the program has every command', () => {
    expect(createProgram(memoryIO()).commands.map((c) => c.name()).sort()).toEqual(['estimate-alpha', 'export', 'import', 'info', 'list', 'resume', 'run', 'sample-stable', 'serve', 'theory', 'tune']);
  });
  it('the registered commands write through the same IO and exit 2 on bad options', async () => {
    // exponential decay (SCIENCE.md §6): H_N = τ (log(c f0/(εσ)) + (1/κ) log N), κ = α/(α-1)
    const r = await cli('theory', '--decay', 'exponential', '--f0', '1', '--tau', '20', '--alpha', '1.5', '--sigma', '1', '--eps', '0.1', '--N', '1000');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.kappa).toBeCloseTo(3, 12);
    expect(j.rows[0].H_N).toBeCloseTo(20 * (Math.log(10) + Math.log(1000) / 3), 9);
    const bad = await cli('theory', '--decay', 'exponential', '--f0', '1', '--tau', '20', '--alpha', '3', '--sigma', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr[0]).toContain('--alpha');
  });
});

describe('lw run: running (tiny configuration)', () => {
  const tiny = ['--preset', 'smoke', '--Nseq_train', '16', '--Nseq_diag', '16', '--T', '24', '--lag_max', '12',
    '--task_lags', '2,4', '--task_coeffs', '0.6,0.5', '--epochs', '2', '--quiet'];
  for (const workers of ['0', '1']) {
    it(`writes the reference layout (workers ${workers}${workers === '0' ? ', in-process' : ', piscina + TypeScript worker'})`, async () => {
      const out = join(dir, `run-w${workers}`);
      const r = await cli('run', ...tiny, '--models', 'const,lstm', '--seeds', '3,4', '--workers', workers, '--out', out);
      expect(r.code, r.stderr.join('\n')).toBe(0);
      for (const seed of [3, 4]) {
        expect(readFileSync(join(out, `seed_${seed}`, 'cli_args.csv'), 'utf8')).toContain(`seeds,${seed}\n`);
        for (const m of ['const', 'lstm']) {
          const curve = readFileSync(join(out, `seed_${seed}`, m, `${m}_learning_curve.csv`), 'utf8').trim().split('\n');
          expect(curve[0]).toBe('epoch,train_loss,train_acc,val_loss,val_acc');
          expect(curve).toHaveLength(3);
          expect(curve.slice(1).map((l) => l.split(',')[0])).toEqual(['0', '1']);
          for (const l of curve.slice(1)) for (const v of l.split(',')) expect(Number.isFinite(Number(v))).toBe(true);
          const gates = readFileSync(join(out, `seed_${seed}`, m, `gate_stats_${m}.csv`), 'utf8').trim().split('\n');
          expect(gates[0]).toBe('epoch,metric,value');
          expect(gates.length).toBeGreaterThan(1);
          // diagnostics on (the default): the §8 files and the status
          const files = readdirSync(join(out, `seed_${seed}`, m));
          for (const f of ['summary.csv', 'mu_units.csv', 'tau_from_mu_units.csv', 'envelope_fits.json', 'H_N.csv', 'master_fit.json', 'status.json']) {
            expect(files).toContain(`${m}_${f}`);
          }
          expect(files.includes('const_tau_const.json')).toBe(m === 'const');
        }
        expect(readFileSync(join(out, `seed_${seed}`, 'H_N_summary.csv'), 'utf8').split('\n')[0]).toBe('N,H_N_const,H_N_lstm');
      }
      expect(readdirSync(join(out, 'aggregate')).sort()).toEqual(['H_N_summary_agg.csv', 'const_summary_agg.csv', 'lstm_summary_agg.csv']);
      expect(existsSync(join(out, 'config.json'))).toBe(true);
      expect(r.stderr.at(-1)).toMatch(/^lw run: 4 done of 4 in /);
      expect(r.stderr.filter((l) => / done: 2 epochs in \S+ s, diagnostics \S+ s \(/.test(l))).toHaveLength(4);
    }, 60_000);
  }

  it('--no-diagnostics trains only: curves, gate stats and status, no diagnostics or aggregate files', async () => {
    const out = join(dir, 'train-only');
    const r = await cli('run', ...tiny, '--models', 'gru', '--no-diagnostics', '--workers', '0', '--out', out);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.stderr[0]).toContain('training only');
    expect(readdirSync(out).sort()).toEqual(['config.json', 'seed_212']);
    expect(readdirSync(join(out, 'seed_212')).sort()).toEqual(['cli_args.csv', 'gru']);
    expect(readdirSync(join(out, 'seed_212', 'gru')).sort()).toEqual(['gate_stats_gru.csv', 'gru_learning_curve.csv', 'gru_status.json']);
    const st = JSON.parse(readFileSync(join(out, 'seed_212', 'gru', 'gru_status.json'), 'utf8'));
    expect(st).toMatchObject({ model: 'gru', seed: 212, status: 'done', epochs: 2, diverged_epoch: null, diagnostics: 'skipped' });
    expect(st.timings_s.training).toBeGreaterThan(0);
    expect(r.stderr.filter((l) => l.includes('diagnostics'))).toEqual([]);
    // the same flag in a --dry-run is accepted too
    expect((await dry('--preset', 'smoke', '--no-diagnostics')).config).toEqual(PRESETS.smoke);
  }, 60_000);
});

describe('lw run: outcomes', () => {
  const tiny = ['--preset', 'smoke', '--Nseq_train', '16', '--Nseq_diag', '16', '--T', '24', '--lag_max', '12',
    '--task_lags', '2,4', '--task_coeffs', '0.6,0.5', '--workers', '0'];
  it('a diverged run is reported, its finite epochs written, and the command exits 0', async () => {
    const out = join(dir, 'diverge');
    const r = await cli('run', ...tiny, '--models', 'gru', '--lr', '1e9', '--grad_clip', '0', '--epochs', '6', '--out', out);
    expect(r.code).toBe(0);
    const line = r.stderr.find((l) => l.startsWith('[gru seed 212] diverged at epoch '));
    expect(line, r.stderr.join('\n')).toBeDefined();
    expect(r.stderr.at(-1)).toMatch(/^lw run: 0 done, 1 diverged of 1 in /);
    const rows = readFileSync(join(out, 'seed_212', 'gru', 'gru_learning_curve.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows.length).toBeLessThan(6);
    for (const row of rows) for (const v of row.split(',')) expect(Number.isFinite(Number(v))).toBe(true);
    // diagnostics still run, on the last finite parameters (§3)
    const summary = readFileSync(join(out, 'seed_212', 'gru', 'gru_summary.csv'), 'utf8').trim().split('\n');
    expect(summary.length).toBeGreaterThan(1);
    const st = JSON.parse(readFileSync(join(out, 'seed_212', 'gru', 'gru_status.json'), 'utf8'));
    expect(st).toMatchObject({ status: 'diverged', diverged_epoch: rows.length, epochs: rows.length, diagnostics: 'done' });
    expect(existsSync(join(out, 'seed_212', 'H_N_summary.csv'))).toBe(true);
    expect(existsSync(join(out, 'aggregate', 'gru_summary_agg.csv'))).toBe(true);
  });
});

describe('runExperiment: cancellation', () => {
  it('an interrupt stops the running unit at the next mini-batch and skips the queued ones', async () => {
    const { runExperiment } = await import('../run-experiment');
    const { resolveConfig } = await import('../../../src-shared/config');
    const r = resolveConfig('smoke', { Nseq_train: 64, epochs: 50, models: ['const', 'gru'], seeds: [1] });
    if (!r.ok) throw new Error('bad test config');
    const ac = new AbortController();
    const lines: string[] = [];
    const out = join(dir, 'cancel');
    const rep = await runExperiment(r.config, {
      out, workers: 0, signal: ac.signal,
      log: (l) => {
        lines.push(l);
        if (l.includes('epoch 2/50')) ac.abort(); // during the first unit, in-process: stops before its next batch
      },
    });
    expect(rep.runs.map((x) => [x.arch, x.status])).toEqual([['const', 'cancelled'], ['gru', 'cancelled']]);
    expect(rep.runs[0]!.epochs).toBe(2);
    expect(rep.runs[1]!.epochs).toBe(0);
    const curve = readFileSync(join(out, 'seed_1', 'const', 'const_learning_curve.csv'), 'utf8').trim().split('\n');
    expect(curve).toHaveLength(3);
    expect(existsSync(join(out, 'seed_1', 'gru'))).toBe(false);
    const st = JSON.parse(readFileSync(join(out, 'seed_1', 'const', 'const_status.json'), 'utf8'));
    expect(st).toMatchObject({ status: 'cancelled', epochs: 2, diagnostics: 'skipped' });
  });
  it('an interrupt during the diagnostics stops them at the next batch or lag; the training files stay', async () => {
    const { runExperiment } = await import('../run-experiment');
    const { resolveConfig } = await import('../../../src-shared/config');
    const r = resolveConfig('smoke', { epochs: 1, models: ['const', 'gru'], seeds: [1] });
    if (!r.ok) throw new Error('bad test config');
    const ac = new AbortController();
    const out = join(dir, 'cancel-diag');
    const rep = await runExperiment(r.config, {
      out, workers: 0, signal: ac.signal,
      log: (l) => {
        if (l.includes('diagnostics lag 2/')) ac.abort();
      },
    });
    expect(rep.runs.map((x) => [x.arch, x.status, x.diagnostics])).toEqual([['const', 'cancelled', 'cancelled'], ['gru', 'cancelled', 'skipped']]);
    expect(readdirSync(join(out, 'seed_1', 'const')).sort()).toEqual(['const_learning_curve.csv', 'const_status.json', 'gate_stats_const.csv']);
    expect(JSON.parse(readFileSync(join(out, 'seed_1', 'const', 'const_status.json'), 'utf8'))).toMatchObject({ status: 'cancelled', epochs: 1, diagnostics: 'cancelled' });
    expect(existsSync(join(out, 'aggregate'))).toBe(false);
  });
});

describe('runExperiment: a failing unit', () => {
  it('is reported as failed while the other units finish', async () => {
    const { runExperiment } = await import('../run-experiment');
    const { resolveConfig } = await import('../../../src-shared/config');
    const r = resolveConfig('smoke', { models: ['const', 'gru'], seeds: [1] });
    if (!r.ok) throw new Error('bad test config');
    // a worker entry that fails for gru and returns an empty result otherwise
    const worker = join(dir, 'failing-worker.mjs');
    writeFileSync(worker, `export default ({ arch, seed, port }) => {
      port?.postMessage({ type: 'end', arch, seed }); port?.close();
      if (arch === 'gru') throw new Error('boom');
      return { arch, seed, curve: [], gateStats: [], diverged: false, divergedEpoch: null, cancelled: false, kernelsName: 'none', wallMs: 0 };
    };`);
    const lines: string[] = [];
    const rep = await runExperiment(r.config, { out: join(dir, 'fail'), workers: 1, workerFile: worker, log: (l) => lines.push(l) });
    expect(rep.runs.map((x) => [x.arch, x.status])).toEqual([['const', 'done'], ['gru', 'failed']]);
    expect(rep.runs[1]!.error).toContain('boom');
    expect(lines).toContain('[gru seed 1] failed: boom');
    expect(JSON.parse(readFileSync(join(dir, 'fail', 'seed_1', 'gru', 'gru_status.json'), 'utf8'))).toMatchObject({ status: 'failed', error: 'boom' });
  });
  it('failed diagnostics fail the run (exit 1) but keep its training files', async () => {
    const worker = join(dir, 'diag-failing-worker.mjs');
    writeFileSync(worker, `export default ({ arch, seed, port }) => {
      port?.postMessage({ type: 'end', arch, seed }); port?.close();
      return { arch, seed, curve: [{ epoch: 0, train_loss: 1, train_acc: 0, val_loss: 1, val_acc: 0 }], gateStats: [], diverged: false,
        divergedEpoch: null, cancelled: false, kernelsName: 'none', wallMs: 2, trainMs: 1, diagnosticsMs: 1,
        diagnosticsStatus: 'failed', diagnostics: null, diagnosticsError: 'no W_out' };
    };`);
    const { runExperiment } = await import('../run-experiment');
    const { resolveConfig } = await import('../../../src-shared/config');
    const r = resolveConfig('smoke', { models: ['lstm'], seeds: [1] });
    if (!r.ok) throw new Error('bad test config');
    const lines: string[] = [];
    const out = join(dir, 'diag-fail');
    const rep = await runExperiment(r.config, { out, workers: 1, workerFile: worker, log: (l) => lines.push(l) });
    expect(rep.runs.map((x) => [x.arch, x.status, x.diagnostics])).toEqual([['lstm', 'failed', 'failed']]);
    expect(lines.at(-1)).toMatch(/^\[lstm seed 1\] failed: diagnostics failed: no W_out \(after 1 epoch\) in /);
    expect(readdirSync(join(out, 'seed_1', 'lstm')).sort()).toEqual(['gate_stats_lstm.csv', 'lstm_learning_curve.csv', 'lstm_status.json']);
    expect(JSON.parse(readFileSync(join(out, 'seed_1', 'lstm', 'lstm_status.json'), 'utf8'))).toMatchObject({
      status: 'failed', diagnostics: 'failed', error: 'diagnostics failed: no W_out', timings_s: { training: 0.001, diagnostics: 0.001, total: 0.002 },
    });
  });
});
