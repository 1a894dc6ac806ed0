/**
 * Store benchmark (`npx tsx scripts/bench-store.ts`): generates a database
 * with `--experiments` experiments of the paper configuration (5
 * architectures × 5 seeds = 25 runs each, runs in a mix of statuses), with
 * full paper-size results (750 epochs, 128 lags, H = 128 μ per unit, 17 N)
 * for the experiment that is opened and for `--with-results` others, then,
 * on a freshly opened connection:
 *
 *   list   listExperiments({ limit: 1000 }) (names, tags, progress counts)
 *   open   getExperiment(id) + getRunResult(run) for each of its 25 runs
 *
 * Reports the first call (fresh connection, statements not yet prepared) and
 * the median / max of `--repeat` further calls, against the 200 ms target.
 * Writes bench-results/bench-store.json.
 *
 *   npx tsx scripts/bench-store.ts [--experiments 1000] [--with-results 10]
 *                                  [--repeat 20] [--keep] [--out bench-results/bench-store.json]
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentConfig } from '../src-shared/config';
import { PRESETS } from '../src-shared/presets';
import type { RunStatus } from '../src-shared/results';
import { openStore, type Store } from '../src-main/core/store';
import { paperResult } from './paper-result';

const TARGET_MS = 200;

interface Options {
  experiments: number;
  withResults: number;
  repeat: number;
  keep: boolean;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const o: Options = { experiments: 1000, withResults: 10, repeat: 20, keep: false, out: join(root, 'bench-results', 'bench-store.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--experiments') o.experiments = Number(next());
    else if (a === '--with-results') o.withResults = Number(next());
    else if (a === '--repeat') o.repeat = Number(next());
    else if (a === '--keep') o.keep = true;
    else if (a === '--out') o.out = resolve(next());
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.experiments >= 1) || !(o.withResults >= 0) || !(o.repeat >= 1)) throw new Error('--experiments, --repeat >= 1 and --with-results >= 0');
  return o;
}

function populate(store: Store, o: Options): { openId: number; genMs: number } {
  const t0 = performance.now();
  const base = PRESETS.paper;
  const optimizers = ['adamw', 'sgd', 'sgd_momentum'] as const;
  let openId = 0;
  const full = new Set<number>();
  // the experiment opened by the benchmark is the middle one; the others with results are spread out
  const middle = Math.floor(o.experiments / 2);
  full.add(middle);
  for (let k = 0; k < o.withResults; k++) full.add(Math.floor(((k + 0.5) * o.experiments) / Math.max(1, o.withResults)));
  // one outer transaction: generation speed only (each API call is its own savepoint inside it)
  store.db.transaction(() => {
    for (let i = 0; i < o.experiments; i++) {
      const cfg: ExperimentConfig = { ...base, optimizer: optimizers[i % 3]!, H: i % 4 === 0 ? 64 : 128 };
      if (full.has(i)) cfg.H = 128;
      const e = store.createExperiment(`paper sweep ${i}`, cfg, {
        tags: [i % 2 ? 'odd' : 'even', `batch-${Math.floor(i / 100)}`], notes: `generated experiment ${i}`, preset: 'paper',
      });
      if (i === middle) openId = e.id;
      e.runs.forEach((run, j) => {
        // statuses: most finished; the newest ones still in progress
        const finished = i < o.experiments - 20;
        const to: RunStatus = finished ? (j % 11 === 0 ? 'failed' : 'done') : j < 5 ? 'running' : 'queued';
        if (to === 'queued') return;
        store.setRunStatus(run.id, 'running');
        if (to === 'running') return;
        if (full.has(i)) store.saveRunResult(run.id, paperResult(e.config, run.arch, run.seed), { status: to });
        else store.setRunStatus(run.id, to, to === 'failed' ? { error: 'generated failure' } : {});
      });
    }
  })();
  return { openId, genMs: performance.now() - t0 };
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

function stats(ms: number[]): { median: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-store-'));
  const path = join(dir, 'workstation.db');
  try {
    const gen = openStore({ path, synchronous: 'NORMAL' });
    const { openId, genMs } = populate(gen, o);
    gen.db.pragma('wal_checkpoint(TRUNCATE)');
    gen.close();
    const sizeMb = statSync(path).size / 2 ** 20;
    console.log(`generated ${o.experiments} experiments (${o.withResults + 1} with paper-size results) in ${(genMs / 1000).toFixed(1)} s; database ${sizeMb.toFixed(1)} MiB`);

    const store = openStore({ path });
    const list = () => store.listExperiments({ limit: 1000 });
    const open = () => {
      const e = store.getExperiment(openId)!;
      const results = e.runs.map((r) => store.getRunResult(r.id));
      return { e, results };
    };
    const listFirst = time(list);
    const openFirst = time(open);
    if (listFirst.value.items.length !== Math.min(1000, o.experiments)) throw new Error('listing returned the wrong number of experiments');
    const opened = openFirst.value;
    const withDiag = opened.results.filter((r) => r?.diagnostics).length;
    if (opened.e.runs.length !== 25 || withDiag !== 25 || opened.results[0]!.diagnostics!.lags.length !== 128) {
      throw new Error(`the opened experiment is not 5 × 5 × 128 (${opened.e.runs.length} runs, ${withDiag} with diagnostics)`);
    }
    const listMs: number[] = [];
    const openMs: number[] = [];
    for (let k = 0; k < o.repeat; k++) {
      listMs.push(time(list).ms);
      openMs.push(time(open).ms);
    }
    store.close();

    const rows = [
      { what: `list ${Math.min(1000, o.experiments)} experiments`, first: listFirst.ms, ...stats(listMs) },
      { what: 'open 1 experiment: 25 runs x 128 lags (all results)', first: openFirst.ms, ...stats(openMs) },
    ];
    console.log(`\n${'operation'.padEnd(52)} ${'first'.padStart(9)} ${'median'.padStart(9)} ${'max'.padStart(9)}   target ${TARGET_MS} ms`);
    for (const r of rows) {
      const ok = r.first < TARGET_MS && r.max < TARGET_MS ? 'ok' : 'SLOW';
      console.log(`${r.what.padEnd(52)} ${r.first.toFixed(1).padStart(7)}ms ${r.median.toFixed(1).padStart(7)}ms ${r.max.toFixed(1).padStart(7)}ms   ${ok}`);
    }
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, `${JSON.stringify({
      date: new Date().toISOString(), node: process.version, options: { ...o, out: undefined }, databaseMiB: sizeMb, generateMs: genMs,
      targetMs: TARGET_MS, results: rows,
    }, null, 2)}\n`);
    console.log(`\nwrote ${o.out}${o.keep ? `; database kept at ${path}` : ''}`);
  } finally {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

main();
