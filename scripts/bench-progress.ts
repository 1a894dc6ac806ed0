/**
 * What live progress costs the main process (`npx tsx scripts/bench-progress.ts`):
 * N concurrent runs (default 10) on the real scheduler, service and SQLite
 * store, each sending one epoch message every `--interval` ms (default 10 ms,
 * i.e. 100 per second per run, far faster than any real configuration: a
 * `quick` epoch takes about 0.3 s). The workers are the paced fake of the
 * tests (src-main/core/test/fixtures/paced-worker.mjs): they sleep in
 * Atomics.wait, so nearly all CPU measured is the main thread's work: receive
 * the messages, write learning-curve rows (throttled: one transaction per run
 * per 250 ms, synchronous=FULL), and emit throttled events to one subscriber
 * that serialises each (as a transport would).
 *
 * Measured over the window when all N runs are running:
 *   main thread CPU   user + system time of the main thread alone (Linux:
 *                     /proc/self/task/<pid>/stat, clock ticks), / wall time;
 *                     the number the "< 5 % of a core" budget is about
 *   event loop busy   performance.eventLoopUtilization() (over-reports on a
 *                     loaded machine: it counts time the thread waits for a CPU)
 *   process CPU       process.cpuUsage() (every thread: workers included; run
 *                     from source, each worker's tsx module hooks add about
 *                     2-4 % of a core, which a bundled build does not have)
 * Prints a line per interval and writes bench-results/bench-progress.json.
 *
 *   npx tsx scripts/bench-progress.ts [--runs 10] [--interval 10,100] [--seconds 4]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '../src-shared/presets';
import { createService } from '../src-main/core/service';

const PACED = fileURLToPath(new URL('../src-main/core/test/fixtures/paced-worker.mjs', import.meta.url));

/** CPU seconds (user + system) of the main thread, or null where /proc is not there. */
function mainThreadCpuSeconds(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

interface Result {
  runs: number;
  intervalMs: number;
  messagesPerSecond: number;
  windowS: number;
  mainThreadCpuPct: number | null;
  eventLoopBusyPct: number;
  processCpuPct: number;
  events: number;
  eventsPerSecondPerRun: number;
}

async function measure(runs: number, intervalMs: number, seconds: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-progress-'));
  const s = createService({ dataDir: dir, host: 'web', workers: runs, workerFile: PACED, warn: () => {} });
  let events = 0;
  let bytes = 0;
  s.subscribe((e) => {
    events++;
    bytes += JSON.stringify(e).length;
  });
  try {
    const epochs = Math.ceil((seconds * 1000 + 2000) / intervalMs);
    await s.api.createExperiment({
      name: 'bench', config: { ...PRESETS.smoke, epochs, gate_log_every: intervalMs, models: ['const'], seeds: Array.from({ length: runs }, (_, i) => i + 1) },
    });
    while (s.scheduler.running.length < runs) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 500)); // every worker up and sending
    const e0 = events;
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuSeconds();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const wall = (performance.now() - t0) / 1000;
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    const main1 = mainThreadCpuSeconds();
    const n = events - e0;
    return {
      runs, intervalMs, messagesPerSecond: (runs * 1000) / intervalMs, windowS: wall,
      mainThreadCpuPct: main0 !== null && main1 !== null ? (100 * (main1 - main0)) / wall : null,
      eventLoopBusyPct: 100 * elu.utilization,
      processCpuPct: (100 * (cpu.user + cpu.system)) / 1e6 / wall,
      events: n, eventsPerSecondPerRun: n / wall / runs,
    };
  } finally {
    void bytes;
    await s.api.pauseQueue();
    for (const e of (await s.api.listExperiments({})).items) await s.api.cancelExperiment({ id: e.id });
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = Number(arg('runs', '10'));
const intervals = arg('interval', '10,100').split(',').map(Number);
const seconds = Number(arg('seconds', '4'));
const results: Result[] = [];
for (const iv of intervals) {
  const r = await measure(runs, iv, seconds);
  results.push(r);
  process.stdout.write(`${r.runs} runs × one epoch message per ${r.intervalMs} ms (${r.messagesPerSecond}/s): main thread CPU ${r.mainThreadCpuPct?.toFixed(2) ?? '?'} % of a core, `
    + `event loop busy ${r.eventLoopBusyPct.toFixed(2)} %, `
    + `process CPU ${r.processCpuPct.toFixed(2)} % of a core, ${r.eventsPerSecondPerRun.toFixed(2)} progress events/s per run\n`);
}
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/bench-progress.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, results }, null, 2)}\n`);
