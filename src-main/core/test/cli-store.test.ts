/**
 * The command line's store-backed commands, in-process (runCli + memoryIO),
 * on real SQLite files in temporary data directories:
 *   lw run    stores the experiment and its results, still writes --out, and
 *             prints the experiment id as the last line of stdout; invalid
 *             input exits 2 naming the field and stores nothing;
 *   lw list   table and --json;
 *   lw resume recovers runs a dead process left running, runs interrupted
 *             (and with --all failed / cancelled) runs to done.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src-shared/presets';
import { memoryIO } from '../../cli/io';
import { runCli } from '../../cli/lw';
import { driveRuns } from '../../cli/run-experiment';
import { HostRegistry } from '../host-registry';
import { Scheduler } from '../scheduler';
import { databasePath, openStore } from '../store';
import { INTERRUPTED_MESSAGE } from '../store/runs';
import { PACED_WORKER, pacedConfig, tempDir, until } from './service-helpers';

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('lw-cli-store-');
});
afterAll(() => t.cleanup());

async function cli(...argv: string[]) {
  const io = memoryIO();
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const tiny = ['--preset', 'smoke', '--Nseq_train', '16', '--Nseq_diag', '16', '--T', '24', '--lag_max', '12',
  '--task_lags', '2,4', '--task_coeffs', '0.6,0.5', '--epochs', '2', '--quiet'];

describe('lw run stores the experiment', () => {
  it('records every run and result, writes --out, and prints the id last', async () => {
    const data = join(t.dir, 'data');
    const out = join(t.dir, 'out');
    const r = await cli('run', ...tiny, '--models', 'const,gru', '--seeds', '1', '--workers', '1', '--data-dir', data, '--out', out, '--name', 'first');
    expect(r.code, r.stderr.join('\n')).toBe(0);
    const id = Number(r.stdout.at(-1));
    expect(Number.isInteger(id) && id >= 1).toBe(true);
    expect(r.stderr).toContain(`lw run: experiment ${id} in ${databasePath(data)}`);
    expect(r.stderr.at(-1)).toMatch(/^lw run: 2 done of 2 in /);
    expect(readdirSync(join(out, 'seed_1')).sort()).toEqual(['H_N_summary.csv', 'cli_args.csv', 'const', 'gru']);
    const store = openStore({ dataDir: data });
    try {
      const e = store.getExperiment(id)!;
      expect(e).toMatchObject({ name: 'first', preset: 'smoke', models: ['const', 'gru'], seeds: [1] });
      expect(e.config.T).toBe(24);
      for (const run of e.runs) {
        expect(run.status).toBe('done');
        expect(run.kernels).toMatch(/-f32$/);
        const res = store.getRunResult(run.id)!;
        expect(res.curve).toHaveLength(2);
        expect(res.diagnostics!.lags.length).toBeGreaterThan(0);
      }
    } finally {
      store.close();
    }
  });

  it('--no-diagnostics and in-process runs are stored too', async () => {
    const data = join(t.dir, 'data');
    const r = await cli('run', ...tiny, '--models', 'lstm', '--workers', '0', '--no-diagnostics', '--data-dir', data, '--out', join(t.dir, 'out2'));
    expect(r.code, r.stderr.join('\n')).toBe(0);
    const store = openStore({ dataDir: data });
    try {
      const e = store.getExperiment(Number(r.stdout.at(-1)))!;
      expect(e.runs.map((x) => x.status)).toEqual(['done']);
      expect(store.getRunResult(e.runs[0]!.id)).toMatchObject({ diagnosticsStatus: 'skipped', diagnostics: null });
    } finally {
      store.close();
    }
  });

  const invalid: [string, string[], string][] = [
    ['a bad field value', ['--T', 'abc'], 'lw run: T must be an integer >= 2 (got "abc")'],
    ['a cross-field problem', ['--lag_max', '48'], 'lw run: lag_max must be < T (T is 48, got 48)'],
    ['a bad list', ['--models', 'gru,rnn'], 'lw run: models must be a non-empty list of distinct names from const, shared, diag, gru, lstm (got gru,rnn)'],
    // an unavailable backend (webgpu without an adapter): src-main/cli/test/lw-backend.test.ts, with a fake probe
    ['an empty name', ['--name', ' '], 'lw run: name must be a non-empty text of at most 200 characters (got " ")'],
  ];
  for (const [what, flags, line] of invalid) {
    it(`${what}: exit 2, one line naming the field, nothing stored`, async () => {
      const data = join(t.dir, `bad-${what.replace(/\W+/g, '-')}`);
      const out = join(t.dir, `bad-out-${what.replace(/\W+/g, '-')}`);
      const r = await cli('run', '--preset', 'smoke', ...flags, '--data-dir', data, '--out', out);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(line);
      expect(r.stdout).toEqual([]);
      expect(existsSync(out)).toBe(false);
      if (existsSync(databasePath(data))) {
        const store = openStore({ dataDir: data });
        try {
          expect(store.listExperiments().total).toBe(0);
        } finally {
          store.close();
        }
      }
    });
  }
});

describe('lw list', () => {
  it('--json: one object per experiment, newest first, with status and run counts', async () => {
    const r = await cli('list', '--json', '--data-dir', join(t.dir, 'data'));
    expect(r.code).toBe(0);
    const items = JSON.parse(r.stdout.join('\n'));
    expect(items.map((e: { name: string }) => e.name)[1]).toBe('first');
    expect(items[1]).toMatchObject({ status: 'done', models: ['const', 'gru'], seeds: [1], progress: { done: 2, total: 2 } });
    expect(new Date(items[1].created).getTime()).toBe(items[1].createdAt);
  });

  it('a table by default; nothing (and no database created) for an empty data directory; bad --limit', async () => {
    const r = await cli('list', '--data-dir', join(t.dir, 'data'));
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toMatch(/^ID\s+NAME\s+STATUS\s+RUNS\s+MODELS\s+SEEDS\s+CREATED$/);
    expect(r.stdout.find((l) => l.includes('first'))).toMatch(/done\s+2 done of 2\s+const,gru\s+1\s/);
    const empty = join(t.dir, 'empty');
    const e = await cli('list', '--data-dir', empty);
    expect([e.code, e.stdout, e.stderr]).toEqual([0, [], [`lw list: no experiments in ${empty}`]]);
    expect(existsSync(empty)).toBe(false);
    expect((await cli('list', '--limit', '0', '--data-dir', empty)).code).toBe(2);
  });
});

describe('lw resume', () => {
  it('recovers runs left running by a dead process and runs them, then failed ones only with --all', async () => {
    const data = join(t.dir, 'resume');
    const store = openStore({ dataDir: data });
    const cfg = { ...PRESETS.smoke, Nseq_train: 16, Nseq_diag: 16, T: 24, lag_max: 12, task_lags: [2, 4], task_coeffs: [0.6, 0.5], epochs: 2, models: ['const' as const, 'gru' as const], seeds: [1] };
    const e = store.createExperiment('crashed', cfg);
    const [a, b] = e.runs;
    // as a killed host leaves them: one running (claimed by no live process), one failed
    store.setRunStatus(a!.id, 'running');
    store.setRunStatus(b!.id, 'running');
    store.setRunStatus(b!.id, 'failed', { error: 'boom' });
    store.close();

    const r = await cli('resume', '--data-dir', data, '--workers', '0', '--quiet');
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.stderr[0]).toBe('lw resume: 1 run left running by a stopped workstation marked interrupted');
    expect(r.stdout).toEqual([String(e.id)]);
    expect(r.stderr.at(-1)).toMatch(/^lw resume: 1 done of 1 in /);

    const again = await cli('resume', String(e.id), '--data-dir', data, '--workers', '0', '--quiet');
    expect(again.code).toBe(0);
    expect(again.stderr.at(-1)).toContain('nothing to resume');

    const all = await cli('resume', String(e.id), '--all', '--data-dir', data, '--workers', '1', '--quiet');
    expect(all.code, all.stderr.join('\n')).toBe(0);
    const s2 = openStore({ dataDir: data });
    try {
      const after = s2.getExperiment(e.id)!;
      expect(after.runs.map((x) => [x.status, x.attempts])).toEqual([['done', 2], ['done', 2]]);
      expect(s2.getRunResult(b!.id)!.curve).toHaveLength(2);
    } finally {
      s2.close();
    }
  });

  it('bad ids exit 2', async () => {
    const data = join(t.dir, 'resume');
    expect((await cli('resume', '999', '--data-dir', data)).code).toBe(2);
    expect((await cli('resume', 'x', '--data-dir', data)).code).toBe(2);
  });
});

describe('several processes on one data directory', () => {
  it('runs taken by another process are waited for and reported from the store; orphaned ones become interrupted', async () => {
    const store = openStore({ dataDir: join(t.dir, 'shared') });
    const other = HostRegistry.open(join(t.dir, 'shared'), 'web');
    // "the app": an unscoped scheduler with its own registry
    const app = new Scheduler({ store, registry: other, workers: 1, workerFile: PACED_WORKER, warn: () => {} });
    try {
      const e = store.createExperiment('shared', pacedConfig(30, 10, { seeds: [1, 2, 3] }));
      const [a, b, c] = e.runs;
      // a: taken by the app; b: left running by a process that died (claimed by nobody)
      app.start();
      await until(() => app.isRunning(a!.id));
      store.setRunStatus(b!.id, 'running');
      const lines: string[] = [];
      const { reports } = await driveRuns(store, [e.id], e.runs, { workers: 1, workerFile: PACED_WORKER, log: (l) => lines.push(l) });
      expect(reports.map((r) => [r.runId, r.status, r.epochs])).toEqual([[a!.id, 'done', 30], [b!.id, 'cancelled', 0], [c!.id, 'done', 30]]);
      expect(store.getRun(b!.id)).toMatchObject({ status: 'interrupted', error: INTERRUPTED_MESSAGE });
      expect(lines.filter((l) => l.includes(' done: '))).toHaveLength(1); // only c ran here
    } finally {
      await app.close();
      other.close();
      store.close();
    }
  });
});
