/**
 * A GPU measurement's results folder (`bash .gpu-bundle/run.sh all DIR`) as
 * markdown, for the README's "GPU (WebGPU)" section and the
 * docs/measurements/<date>-<gpu>/README.md of that session: the adapter; per
 * architecture the `paper` epoch (default kernels, unrolled loops, the sweep's
 * shapes), its updates / evaluation split and diagnostics pass; where the
 * epoch's GPU time goes (the profiled epoch); the sweep's best shapes; the
 * `quick` epochs against the CPU; the parity check's verdict; and whether
 * every `paper` epoch is within the issue's 1 s.
 *
 *   npx tsx scripts/gpu/summarize-measurement.ts DIR [--target 1]
 *
 * Missing files (a step that failed or was skipped) are reported as missing,
 * never guessed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHS, type Arch } from '../../src-workers/engine/models/types';

interface BenchRow {
  arch: Arch;
  epoch_median_s: number;
  epoch_extrapolated: boolean;
  train_median_s: number;
  eval_median_s: number;
  diagnostics_s: number | null;
  diagnostics_extrapolated: boolean;
  gpu_kernel_shape: { workgroupSize: number; seqsPerWorkgroup: number; unroll?: number | 'auto' } | null;
  gpu_profile?: { ms_per_epoch: Record<string, number>; gpu_ms_per_epoch: number; busy_fraction: number } | null;
}
interface BenchFile { adapter: string | null; preset: string; cpu: string; results: BenchRow[] }
interface TuneFile {
  adapter: string;
  best: Partial<Record<Arch, { workgroupSize: number; seqsPerWorkgroup: number; unroll?: number | 'auto'; train_step_s: number; default_train_step_s: number | null }>>;
  skipped_for_budget: number;
}

function readJson<T>(dir: string, name: string): T | null {
  const f = join(dir, name);
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as T;
  } catch {
    return null;
  }
}

function byArch(f: BenchFile | null): Partial<Record<Arch, BenchRow>> {
  const out: Partial<Record<Arch, BenchRow>> = {};
  for (const r of f?.results ?? []) out[r.arch] = r;
  return out;
}

const s3 = (v: number | null | undefined): string => (v == null || !Number.isFinite(v) ? '–' : v.toFixed(3));
// files from before the unroll knob have no `unroll`: shown as recorded, not guessed
const shape = (k: BenchRow['gpu_kernel_shape'] | TuneFile['best'][Arch]): string =>
  (k ? `S ${k.seqsPerWorkgroup}, WG ${k.workgroupSize}${k.unroll === undefined ? '' : `, unroll ${k.unroll}`}` : '–');

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: string[], rows: string[][]): string {
  return [row(header), row(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)].join('\n');
}

export function summarize(dir: string, target = 1): string {
  const out: string[] = [];
  const paper = readJson<BenchFile>(dir, 'bench-webgpu-paper.json');
  // the other unroll: unrolled loops since rolled ones are the default; rolled in folders from before (2026-11-28-h200-resident)
  const unrolled = readJson<BenchFile>(dir, 'bench-webgpu-paper-unrolled.json');
  const rolled = unrolled ? null : readJson<BenchFile>(dir, 'bench-webgpu-paper-rolled.json');
  const profiled = readJson<BenchFile>(dir, 'bench-webgpu-paper-profile.json');
  const tuned = readJson<BenchFile>(dir, 'bench-webgpu-paper-tuned.json');
  const tune = readJson<TuneFile>(dir, 'bench-gpu-tune.json');
  const quick = readJson<BenchFile>(dir, 'bench-webgpu.json');
  const cpu = readJson<BenchFile>(dir, 'bench-cpu.json');
  const adapter = paper?.adapter ?? tune?.adapter ?? quick?.adapter ?? null;
  out.push(`Adapter: ${adapter ?? 'unknown (no GPU result)'}${paper ? `; host CPU ${paper.cpu}` : ''}.`);

  const parityLog = existsSync(join(dir, 'parity.log')) ? readFileSync(join(dir, 'parity.log'), 'utf8') : null;
  if (parityLog === null) out.push('Parity: no parity.log (the step did not run).');
  else {
    const verdicts = parityLog.split('\n').filter((l) => l.startsWith('parity-check: ') && !l.startsWith('parity-check: adapter'));
    const worst = Math.max(...[...parityLog.matchAll(/worst ([0-9.e+-]+)/g)].map((m) => Number(m[1])));
    out.push(`Parity: ${verdicts.join('; ') || 'no verdict (the step stopped early)'}${Number.isFinite(worst) ? `; worst relative error ${worst.toExponential(1)}` : ''}.`);
  }

  const P = byArch(paper), U = byArch(unrolled ?? rolled), F = byArch(profiled), Tn = byArch(tuned);
  if (!paper) out.push('\nNo paper epoch (bench-webgpu-paper.json missing).');
  else {
    out.push('', `\`${paper.preset}\` epoch, seconds${paper.results.some((r) => r.epoch_extrapolated) ? ' (* extrapolated)' : ''}:`, '');
    out.push(table(
      ['', ...ARCHS],
      [
        ['default kernels', ...ARCHS.map((a) => `${s3(P[a]?.epoch_median_s)}${P[a]?.epoch_extrapolated ? '*' : ''}`)],
        ['  of which updates / evaluation', ...ARCHS.map((a) => (P[a] ? `${s3(P[a]!.train_median_s)} / ${s3(P[a]!.eval_median_s)}` : '–'))],
        [unrolled ? 'unrolled loops (`--gpu-unroll auto`)' : 'rolled loops (`--gpu-unroll 1`)', ...ARCHS.map((a) => s3(U[a]?.epoch_median_s))],
        ['the sweep\'s shapes', ...ARCHS.map((a) => s3(Tn[a]?.epoch_median_s))],
        ['diagnostics pass', ...ARCHS.map((a) => `${s3(P[a]?.diagnostics_s)}${P[a]?.diagnostics_extrapolated ? '*' : ''}`)],
        ['kernel shape (default)', ...ARCHS.map((a) => shape(P[a]?.gpu_kernel_shape ?? null))],
      ],
    ));
    const missing = ARCHS.filter((a) => !P[a]);
    if (missing.length > 0) out.push('', `Not every architecture was timed (missing: ${missing.join(', ')}): no verdict on the ${target} s target.`);
    else {
      const byDefault = ARCHS.map((a) => P[a]!.epoch_median_s);
      const best = ARCHS.map((a) => Math.min(P[a]!.epoch_median_s, Tn[a]?.epoch_median_s ?? Infinity));
      const all = (v: number[]) => v.every((x) => x <= target);
      out.push('', `Every architecture's epoch ≤ ${target} s: with the default kernels ${all(byDefault) ? 'YES' : 'no'}`
        + `, with the better of default and the sweep's shapes ${all(best) ? 'YES' : 'no'}`
        + ` (slowest ${s3(Math.max(...byDefault))} s / ${s3(Math.max(...best))} s).`);
    }
  }

  if (profiled) {
    out.push('', 'GPU time per epoch by kernel (ms, profiled epoch), and its share of the epoch\'s wall time:', '');
    const groups = [...new Set(ARCHS.flatMap((a) => Object.keys(F[a]?.gpu_profile?.ms_per_epoch ?? {})))];
    out.push(table(
      ['', ...ARCHS],
      [
        ...groups.map((g) => [g, ...ARCHS.map((a) => {
          const v = F[a]?.gpu_profile?.ms_per_epoch[g];
          return v === undefined ? '–' : v.toFixed(1);
        })]),
        ['GPU busy, ms', ...ARCHS.map((a) => (F[a]?.gpu_profile ? F[a]!.gpu_profile!.gpu_ms_per_epoch.toFixed(1) : '–'))],
        ['share of wall time', ...ARCHS.map((a) => (F[a]?.gpu_profile ? `${(100 * F[a]!.gpu_profile!.busy_fraction).toFixed(0)} %` : '–'))],
      ],
    ));
  }

  if (tune) {
    out.push('', `Kernel-shape sweep (one paper mini-batch; ${tune.skipped_for_budget} configuration(s) not tried for time):`, '');
    out.push(table(
      ['', 'best shape', 'step ms', 'default step ms'],
      ARCHS.map((a) => {
        const b = tune.best[a];
        return [a, shape(b), b ? (1000 * b.train_step_s).toFixed(1) : '–', b?.default_train_step_s != null ? (1000 * b.default_train_step_s).toFixed(1) : '–'];
      }),
    ));
  }

  if (quick || cpu) {
    const Q = byArch(quick), C = byArch(cpu);
    out.push('', '`quick` epoch, seconds:', '');
    out.push(table(
      ['', ...ARCHS],
      [
        ['GPU', ...ARCHS.map((a) => s3(Q[a]?.epoch_median_s))],
        [`CPU${cpu ? ` (${cpu.cpu})` : ''}`, ...ARCHS.map((a) => s3(C[a]?.epoch_median_s))],
        ['GPU speed-up', ...ARCHS.map((a) => (Q[a] && C[a] ? `${(C[a]!.epoch_median_s / Q[a]!.epoch_median_s).toFixed(1)}×` : '–'))],
      ],
    ));
  }
  return out.join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  const t = args.indexOf('--target');
  const target = t >= 0 ? Number(args[t + 1]) : 1;
  if (!dir || !existsSync(dir) || !(target > 0)) {
    process.stderr.write('usage: npx tsx scripts/gpu/summarize-measurement.ts DIR [--target SECONDS]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarize(dir, target)}\n`);
}

if (process.argv[1] && /summarize-measurement\.[mc]?[jt]s$/.test(process.argv[1])) main();
