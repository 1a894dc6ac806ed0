/**
 * Which processes are running runs of a data directory right now, so that
 * start-up recovery marks `interrupted` only the runs nobody is running.
 *
 * The desktop app, the web host, `lw run` and `lw resume` may share one data
 * directory (SQLite serialises their writes). Each registers a small file
 * `<dataDir>/hosts/<pid>-<nonce>.json` listing the runs it has claimed, and
 * claims a run BEFORE marking it running, so a recovering process that reads
 * the files after that point sees the claim. A file whose process is gone
 * (killed, crashed) is stale: its runs are recovered and the file removed.
 *
 * Limits: a process id reused by an unrelated process keeps a stale file
 * "alive" until that process ends (its runs stay `running` until then);
 * deleting `<dataDir>/hosts/` by hand clears that.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../src-shared/results';
import type { Store } from './store';
import { INTERRUPTED_MESSAGE } from './store/runs';

export const HOSTS_DIR = 'hosts';

export interface HostFile {
  pid: number;
  /** 'electron' | 'web' | 'cli' … */
  kind: string;
  startedAt: number;
  runs: number[];
}

/** Whether a process with this id exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class HostRegistry {
  private readonly runs = new Set<number>();
  private closed = false;
  readonly file: string;
  private readonly startedAt = Date.now();

  private constructor(readonly dir: string, readonly kind: string) {
    const nonce = Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
    this.file = join(dir, `${process.pid}-${nonce}.json`);
  }

  /** Register this process in `<dataDir>/hosts/`. */
  static open(dataDir: string, kind: string): HostRegistry {
    const dir = join(dataDir, HOSTS_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const r = new HostRegistry(dir, kind);
    r.write();
    return r;
  }

  private write(): void {
    if (this.closed) return;
    const body: HostFile = { pid: process.pid, kind: this.kind, startedAt: this.startedAt, runs: [...this.runs] };
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(body));
    renameSync(tmp, this.file); // atomic: a reader sees the old or the new list
  }

  /** Claim a run (before marking it running). */
  claim(runId: number): void {
    this.runs.add(runId);
    this.write();
  }

  release(runId: number): void {
    if (this.runs.delete(runId)) this.write();
  }

  owns(runId: number): boolean {
    return this.runs.has(runId);
  }

  get claimedCount(): number {
    return this.runs.size;
  }

  /** The other live processes' files; stale files (dead processes) are removed. */
  others(): HostFile[] {
    const out: HostFile[] = [];
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return out;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      if (path === this.file || !name.endsWith('.json')) continue;
      let h: HostFile | null = null;
      try {
        const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<HostFile>;
        if (typeof v.pid === 'number' && Array.isArray(v.runs)) {
          h = { pid: v.pid, kind: String(v.kind ?? '?'), startedAt: Number(v.startedAt ?? 0), runs: v.runs.filter((x): x is number => typeof x === 'number') };
        }
      } catch {
        // unreadable: treated as stale below
      }
      if (h && processAlive(h.pid)) out.push(h);
      else rmSync(path, { force: true });
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    rmSync(this.file, { force: true });
    rmSync(`${this.file}.tmp`, { force: true });
  }
}

/**
 * Start-up recovery: runs left `running` that no live process has claimed
 * become `interrupted` (resumable). Returns them.
 */
export function recoverInterruptedRuns(store: Store, registry: HostRegistry | null): RunRecord[] {
  const others = registry ? registry.others() : [];
  if (others.length === 0 && (!registry || registry.claimedCount === 0)) return store.markRunningInterrupted();
  const owned = new Set<number>(others.flatMap((h) => h.runs));
  const out: RunRecord[] = [];
  for (const r of store.listRunsByStatus('running', 1_000_000)) {
    if (owned.has(r.id) || registry?.owns(r.id)) continue;
    try {
      out.push(store.setRunStatus(r.id, 'interrupted', { error: INTERRUPTED_MESSAGE }));
    } catch {
      // another process changed it meanwhile
    }
  }
  return out;
}
