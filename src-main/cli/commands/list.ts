/**
 * `lw list [--json] [--data-dir DIR] [--limit N]`: the stored experiments,
 * newest first: id, name, status with the run counts by status, models,
 * seeds, and when it was created.
 *
 * Status of an experiment, from its runs: running (some run is running),
 * queued (some run waits), interrupted (some run was interrupted and nothing
 * is active: `lw resume` it), else finished: done (every run done or
 * diverged), failed (some run failed) or cancelled.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import type { ExperimentSummary, RunProgress } from '../../../src-shared/results';
import { databasePath, openStore, resolveDataDir } from '../../core/store';
import type { CliIO } from '../io';
import { EXIT_OK, EXIT_USAGE } from './run';

export type ExperimentStatus = 'running' | 'queued' | 'interrupted' | 'failed' | 'cancelled' | 'done' | 'empty';

export function experimentStatus(p: RunProgress): ExperimentStatus {
  if (p.total === 0) return 'empty';
  if (p.running > 0) return 'running';
  if (p.queued > 0) return 'queued';
  if (p.interrupted > 0) return 'interrupted';
  if (p.failed > 0) return 'failed';
  if (p.cancelled > 0) return 'cancelled';
  return 'done';
}

/** "3 done, 1 running of 5" (statuses with runs, in lifecycle order) */
export function progressText(p: RunProgress): string {
  const order = ['done', 'diverged', 'running', 'queued', 'interrupted', 'failed', 'cancelled'] as const;
  const parts = order.filter((s) => p[s] > 0).map((s) => `${p[s]} ${s}`);
  return `${parts.length > 0 ? parts.join(', ') : 'no runs'} of ${p.total}`;
}

function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The rows as a fixed-width text table (one line per experiment, with a header). */
export function formatTable(items: readonly ExperimentSummary[]): string[] {
  const rows = items.map((e) => [
    String(e.id), e.name.length > 40 ? `${e.name.slice(0, 39)}…` : e.name, experimentStatus(e.progress), progressText(e.progress),
    e.models.join(','), e.seeds.join(','), localTime(e.createdAt),
  ]);
  const head = ['ID', 'NAME', 'STATUS', 'RUNS', 'MODELS', 'SEEDS', 'CREATED'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

export function register(program: Command, io: CliIO): void {
  program
    .command('list')
    .description('list the stored experiments, newest first')
    .option('--json', 'print a JSON array (one object per experiment) instead of a table')
    .option('--data-dir <dir>', 'data directory of the database (default: as lw run)')
    .option('--limit <n>', 'at most this many experiments (default 100)', '100')
    .action((opts: { json?: boolean; dataDir?: string; limit: string }) => {
      const limit = Number(opts.limit);
      if (!/^\d+$/.test(opts.limit.trim()) || limit < 1 || limit > 10_000) {
        io.err(`lw list: --limit must be an integer from 1 to 10000 (got ${JSON.stringify(opts.limit)})`);
        io.setExitCode(EXIT_USAGE);
        return;
      }
      const dir = resolveDataDir({ dataDir: opts.dataDir }).dir;
      let items: ExperimentSummary[] = [];
      let total = 0;
      // no database yet: nothing to list (and nothing created)
      if (existsSync(databasePath(dir))) {
        let store;
        try {
          store = openStore({ dataDir: dir });
        } catch (err) {
          io.err(`lw list: cannot open the database in ${dir}: ${err instanceof Error ? err.message : String(err)}`);
          io.setExitCode(EXIT_USAGE);
          return;
        }
        try {
          ({ items, total } = store.listExperiments({ limit }));
        } finally {
          store.close();
        }
      }
      if (opts.json) {
        io.out(JSON.stringify(items.map((e) => ({ ...e, status: experimentStatus(e.progress), created: new Date(e.createdAt).toISOString() })), null, 2));
      } else if (items.length === 0) {
        io.err(`lw list: no experiments in ${dir}`);
      } else {
        for (const l of formatTable(items)) io.out(l);
        if (total > items.length) io.err(`lw list: showing ${items.length} of ${total} (--limit)`);
      }
      io.setExitCode(EXIT_OK);
    });
}
