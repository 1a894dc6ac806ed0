/**
 * The host process killed (SIGKILL, no clean-up) while one run is running and
 * another is done: the database reopens, passes PRAGMA integrity_check and
 * foreign_key_check, the finished run's result is intact (same digest as the
 * child read back before the kill), the running run is still `running` until
 * a new service starts, which marks it `interrupted` (its stored progress rows
 * kept), and resuming runs it to `done`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../store';
import { INTERRUPTED_MESSAGE } from '../store/runs';
import { createService } from '../service';
import { resultDigest } from './result-digest';
import { isStatus, nextEvent, tempDir } from './service-helpers';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./kill-host.ts', import.meta.url));

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir('lw-kill-host-');
});
afterEach(() => t.cleanup());

interface Seen {
  exps: Map<string, { experimentId: number; runId: number }>;
  status: Map<number, string>;
  epochs: Map<number, number>;
  stored: Map<number, number>;
  digests: Map<number, string>;
}

/** Start the host; SIGKILL it once the short run's result was read back and the long run has committed progress rows. */
function runAndKill(dataDir: string, longEpochs: number): Promise<{ seen: Seen; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(longEpochs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const seen: Seen = { exps: new Map(), status: new Map(), epochs: new Map(), stored: new Map(), digests: new Map() };
    let buf = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the host did not reach the kill point in time; stderr: ${stderr}`));
    }, 45_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [kind, a, b, c] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (kind === 'exp') seen.exps.set(a!, { experimentId: Number(b), runId: Number(c) });
        else if (kind === 'status') seen.status.set(Number(a), b!);
        else if (kind === 'progress') seen.epochs.set(Number(a), Number(b));
        else if (kind === 'stored') seen.stored.set(Number(a), Number(b));
        else if (kind === 'result') seen.digests.set(Number(a), b!);
      }
      const short = seen.exps.get('short');
      const long = seen.exps.get('long');
      if (!killed && short && long && seen.digests.has(short.runId) && (seen.stored.get(long.runId) ?? 0) >= 1
        && seen.status.get(long.runId) === 'running') {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (!killed) reject(new Error(`the host exited by itself; stderr: ${stderr}`));
      else resolve({ seen, signal, stderr });
    });
  });
}

it('SIGKILL mid-run: integrity ok, finished runs intact, running ones interrupted and resumable to done', async () => {
  const { seen, signal } = await runAndKill(t.dir, 2500);
  expect(signal).toBe('SIGKILL');
  const short = seen.exps.get('short')!;
  const long = seen.exps.get('long')!;

  // the file as the kill left it
  const store = openStore({ dataDir: t.dir });
  try {
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(store.db.pragma('foreign_key_check')).toEqual([]);
    expect(store.getRun(short.runId)!.status).toBe('done');
    expect(resultDigest(store.getRunResult(short.runId))).toBe(seen.digests.get(short.runId));
    const l = store.getRun(long.runId)!;
    expect(l.status).toBe('running');
    // every row the host read back as committed is there
    expect(l.epochsDone).toBeGreaterThanOrEqual(seen.stored.get(long.runId)!);
    expect(l.epochsDone).toBeGreaterThanOrEqual(1);
  } finally {
    store.close();
  }

  // a new host: start-up recovery, then resume
  const s = createService({ dataDir: t.dir, host: 'web', workers: 1, warn: () => {} });
  try {
    expect(s.recovered.map((r) => r.id)).toEqual([long.runId]);
    const l = await s.api.getRun({ runId: long.runId });
    expect([l.status, l.error]).toEqual(['interrupted', INTERRUPTED_MESSAGE]);
    expect(l.epochsDone).toBeGreaterThanOrEqual(1);
    expect((await s.api.getExperiment({ id: short.experimentId })).runs[0]!.status).toBe('done');
    const done = nextEvent(s, isStatus(long.runId, 'done'), 45_000);
    const resumed = await s.api.resumeExperiment({ id: long.experimentId });
    expect(['queued', 'running']).toContain(resumed.runs[0]!.status);
    await done;
    const r = (await s.api.getRunResult({ runId: long.runId }))!;
    expect(r.curve).toHaveLength(2500);
    expect(r.diagnosticsStatus).toBe('done');
    expect((await s.api.getRun({ runId: long.runId })).attempts).toBe(2);
    // the short run's result is still the one the killed host stored
    expect(resultDigest(await s.api.getRunResult({ runId: short.runId }))).toBe(seen.digests.get(short.runId));
  } finally {
    await s.close();
  }
});
