/**
 * `lw resume [ID] [--all] [--data-dir DIR] [--workers N] [--gpu-runs N] [--quiet]`: run
 * again, from their start, the interrupted runs (and with --all the failed
 * and cancelled ones) of experiment ID, or of every experiment, and wait for
 * them. Runs left `running` by a workstation that stopped (killed, crashed)
 * are first marked interrupted, except those another live process (the app,
 * the web host, another `lw`) is running. Queued runs of those experiments
 * run too. Prints the resumed experiments' ids on stdout, one per line.
 *
 * Exit codes as lw run: 0 every resumed run finished, 1 a run failed,
 * 2 invalid input, 130 interrupted.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import type { RunRecord, RunStatus } from '../../../src-shared/results';
import { defaultWorkerCount } from '../../../src-workers/tasks/pool';
import { HostRegistry, recoverInterruptedRuns } from '../../core/host-registry';
import { databasePath, resolveDataDir } from '../../core/store';
import { GPU_RUNS_HELP, parseGpuRuns } from '../gpu-runs';
import type { CliIO } from '../io';
import { seconds } from '../progress';
import { driveRuns } from '../run-experiment';
import { parseWorkers, WORKERS_HELP } from '../workers-option';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, openCliStore } from './run';

interface ResumeOptions {
  all?: boolean;
  dataDir?: string;
  workers?: string;
  gpuRuns?: string;
  quiet?: boolean;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('resume')
    .argument('[id]', 'the experiment (default: every experiment with runs to resume)')
    .description('run again the interrupted runs (with --all also failed and cancelled ones) of an experiment or of all, and wait for them')
    .option('--all', 'also failed and cancelled runs')
    .option('--data-dir <dir>', 'data directory of the database (default: as lw run)')
    .option('--workers <n>', WORKERS_HELP)
    .option('--gpu-runs <n>', GPU_RUNS_HELP)
    .option('--quiet', 'no per-epoch and diagnostics progress lines')
    .action(async (idArg: string | undefined, opts: ResumeOptions) => {
      const problems: string[] = [];
      let id: number | null = null;
      if (idArg !== undefined) {
        id = Number(idArg);
        if (!/^\d+$/.test(idArg.trim()) || !Number.isSafeInteger(id) || id < 1) problems.push(`the experiment id must be a positive integer (got ${JSON.stringify(idArg)})`);
      }
      let workers: number | null = null;
      if (opts.workers !== undefined) {
        const w = parseWorkers(opts.workers, { allowInProcess: true });
        if (w.ok) workers = w.workers;
        else problems.push(w.message);
      }
      let gpuRuns: number | null = null;
      if (opts.gpuRuns !== undefined) {
        const g = parseGpuRuns(opts.gpuRuns);
        if (g.ok) gpuRuns = g.gpuRuns;
        else problems.push(g.message);
      }
      if (problems.length > 0) {
        for (const p of problems) io.err(`lw resume: ${p}`);
        io.setExitCode(EXIT_USAGE);
        return;
      }
      const dir = resolveDataDir({ dataDir: opts.dataDir }).dir;
      if (!existsSync(databasePath(dir))) {
        io.err(`lw resume: no database in ${dir}: nothing to resume`);
        io.setExitCode(id === null ? EXIT_OK : EXIT_USAGE);
        return;
      }
      const store = openCliStore(opts.dataDir, io, 'resume');
      if (!store) {
        io.setExitCode(EXIT_USAGE);
        return;
      }
      try {
        if (id !== null && !store.getExperiment(id)) {
          io.err(`lw resume: no experiment with id ${id} in ${store.path}`);
          io.setExitCode(EXIT_USAGE);
          return;
        }
        // start-up recovery, leaving alone the runs of live workstation processes
        const registry = HostRegistry.open(dirname(store.path), 'cli');
        let recovered: RunRecord[];
        try {
          recovered = recoverInterruptedRuns(store, registry);
        } finally {
          registry.close();
        }
        if (recovered.length > 0) io.err(`lw resume: ${recovered.length} run${recovered.length === 1 ? '' : 's'} left running by a stopped workstation marked interrupted`);

        const statuses: RunStatus[] = opts.all ? ['interrupted', 'failed', 'cancelled'] : ['interrupted'];
        const candidates = id !== null
          ? store.listRuns(id).filter((r) => statuses.includes(r.status))
          : statuses.flatMap((s) => store.listRunsByStatus(s, 1_000_000));
        const imported = candidates.filter((r) => r.imported);
        if (imported.length > 0) io.err(`lw resume: skipping ${imported.length} imported run${imported.length === 1 ? '' : 's'} (imported results cannot be run again)`);
        const toQueue = candidates.filter((r) => !r.imported);
        const experimentIds = [...new Set(toQueue.map((r) => r.experimentId))].sort((a, b) => a - b);
        store.db.transaction(() => {
          for (const r of toQueue) store.setRunStatus(r.id, 'queued');
        }).immediate();
        const runs = experimentIds.flatMap((e) => store.listRuns(e).filter((r) => r.status === 'queued'));
        if (runs.length === 0) {
          io.err(`lw resume: nothing to resume (no ${opts.all ? 'interrupted, failed or cancelled' : 'interrupted'} runs${id !== null ? ` in experiment ${id}` : ''}${opts.all ? '' : '; --all also resumes failed and cancelled ones'})`);
          io.setExitCode(EXIT_OK);
          return;
        }
        const w = workers ?? defaultWorkerCount(runs.length);
        io.err(`lw resume: ${runs.length} run${runs.length === 1 ? '' : 's'} of experiment${experimentIds.length === 1 ? '' : 's'} ${experimentIds.join(', ')} on ${w === 0 ? 'the main thread' : `${w} worker${w === 1 ? '' : 's'}`}`);

        const t0 = performance.now();
        const ac = new AbortController();
        const detach = io.onInterrupt?.(() => {
          if (ac.signal.aborted) return false;
          io.err('lw resume: interrupted: stopping runs at the next mini-batch (interrupt again to quit at once)');
          ac.abort();
          return true;
        });
        let reports;
        try {
          ({ reports } = await driveRuns(store, experimentIds, runs, { workers: w, ...(gpuRuns !== null ? { gpuRuns } : {}), log: io.err, quiet: !!opts.quiet, signal: ac.signal }));
        } finally {
          detach?.();
        }
        const count = (s: string) => reports.filter((x) => x.status === s).length;
        const parts = [`${count('done')} done`];
        for (const s of ['diverged', 'failed', 'cancelled']) if (count(s) > 0) parts.push(`${count(s)} ${s}`);
        io.err(`lw resume: ${parts.join(', ')} of ${reports.length} in ${seconds(performance.now() - t0)}`);
        for (const e of experimentIds) io.out(String(e));
        io.setExitCode(ac.signal.aborted ? EXIT_INTERRUPTED : count('failed') > 0 ? EXIT_RUN_FAILED : EXIT_OK);
      } finally {
        store.close();
      }
    });
}
