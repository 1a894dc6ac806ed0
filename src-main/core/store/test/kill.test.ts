/**
 * A process killed mid-write (SIGKILL, no chance to clean up) leaves a
 * database that opens, passes PRAGMA integrity_check and foreign_key_check,
 * holds every transaction the child reported as committed, and no half of
 * any result (each run's result tables are all there or all absent).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../store';
import { tempDir } from './helpers';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./kill-writer.ts', import.meta.url));

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

interface Committed {
  progress: Map<number, number>;
  results: Map<number, { lags: number; epochs: number }>;
  lines: number;
}

/** Start the writer, SIGKILL it once `killAfter` commits were reported (plus a random few ms), return what it reported. */
function runAndKill(path: string, killAfter: number): Promise<{ committed: Committed; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const committed: Committed = { progress: new Map(), results: new Map(), lines: 0 };
    let buf = '';
    let stderr = '';
    let killing = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer reported only ${committed.lines} commits in time; stderr: ${stderr}`));
    }, 60_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [kind, id, a, b] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        committed.lines++;
        if (kind === 'progress') committed.progress.set(Number(id), Number(a));
        else if (kind === 'result') committed.results.set(Number(id), { lags: Number(a), epochs: Number(b) });
      }
      if (!killing && committed.lines >= killAfter) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 5));
      }
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ committed, signal, stderr });
    });
  });
}

it('integrity after SIGKILL mid-write; committed data kept, no half-written result', async () => {
  const path = join(t.dir, 'workstation.db');
  // two kills on the same database: the second one starts from a recovered (interrupted) state
  for (const killAfter of [60, 90]) {
    const { committed, signal, stderr } = await runAndKill(path, killAfter);
    expect(signal, stderr).toBe('SIGKILL');
    expect(committed.results.size).toBeGreaterThan(0);
    expect(existsSync(`${path}-wal`)).toBe(true); // killed with its write-ahead log un-checkpointed: recovery is exercised

    const store = openStore({ path });
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(store.db.pragma('foreign_key_check')).toEqual([]);
      // durability: what the child saw committed is there
      for (const [runId, epochs] of committed.progress) expect(store.getRun(runId)!.epochsDone).toBeGreaterThanOrEqual(epochs);
      for (const [runId, r] of committed.results) {
        const res = store.getRunResult(runId)!;
        expect(res.diagnostics!.lags).toHaveLength(r.lags);
        expect(res.curve).toHaveLength(r.epochs);
      }
      // atomicity: every stored result is whole, every run without one has no result rows
      const runs = store.db.prepare('SELECT id, result_saved_at FROM runs').all() as { id: number; result_saved_at: number | null }[];
      for (const r of runs) {
        const n = (table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE run_id = ?`).get(r.id) as { n: number }).n;
        if (r.result_saved_at !== null) {
          expect([n('lag_summary'), n('unit_envelopes'), n('envelope_fits'), n('master_fits')]).toEqual([64, 64, 1, 1]);
        } else {
          expect([n('lag_summary'), n('unit_envelopes'), n('envelope_fits'), n('master_fits'), n('gate_stats')]).toEqual([0, 0, 0, 0, 0]);
        }
      }
      // start-up recovery finds the run the child was working on
      const interrupted = store.markRunningInterrupted();
      expect(interrupted.length).toBeLessThanOrEqual(1);
      expect(store.listRunsByStatus('running')).toEqual([]);
    } finally {
      store.close();
    }
  }
});
