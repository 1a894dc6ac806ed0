/**
 * `lw sample-stable --alpha A [--scale S] --n N [--seed K]`
 *
 * Writes N samples of the symmetric α-stable law SαS(α, S) (Chambers–Mallows–
 * Stuck, SCIENCE.md §5.1), one number per line, to standard output (shortest
 * round-trip decimal form). Invalid options: one-line error, exit code 2.
 */
import type { Command } from 'commander';
import { Rng } from '../../../src-workers/engine/rng';
import { sampleStable } from '../../../src-workers/engine/stats/stable';

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_N = 100_000_000;
const CHUNK = 65_536;

function fail(cmd: Command, msg: string): never {
  return cmd.error(`error: ${msg}`, { exitCode: 2, code: 'lw.invalidOption' });
}

function num(cmd: Command, raw: string | undefined, flag: string, range: string, ok: (v: number) => boolean): number {
  if (raw === undefined) fail(cmd, `option '${flag}' is required (${range})`);
  const v = NUMBER_RE.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || !ok(v)) fail(cmd, `option '${flag}' must be ${range}, got '${raw}'`);
  return v;
}

export function register(program: Command): void {
  program
    .command('sample-stable')
    .description('draw samples of the symmetric alpha-stable law, one per line')
    .option('--alpha <A>', 'tail index in [1, 2] (required)')
    .option('--scale <S>', 'scale > 0', '1')
    .option('--n <N>', `number of samples, integer in [1, ${MAX_N}] (required)`)
    .option('--seed <K>', 'random seed, integer in [0, 4294967295]', '0')
    .action(function (this: Command, opts: { alpha?: string; scale?: string; n?: string; seed?: string }) {
      const alpha = num(this, opts.alpha, '--alpha <A>', 'a number in [1, 2]', (v) => v >= 1 && v <= 2);
      const scale = num(this, opts.scale ?? '1', '--scale <S>', 'a number > 0', (v) => v > 0);
      const n = num(this, opts.n, '--n <N>', `an integer in [1, ${MAX_N}]`, (v) => Number.isInteger(v) && v >= 1 && v <= MAX_N);
      const seed = num(this, opts.seed ?? '0', '--seed <K>', 'an integer in [0, 4294967295]', (v) => Number.isInteger(v) && v >= 0 && v <= 4294967295);
      const rng = new Rng(seed);
      const write = this.configureOutput().writeOut!;
      const buf = new Float64Array(Math.min(n, CHUNK));
      for (let done = 0; done < n; done += buf.length) {
        const m = Math.min(buf.length, n - done);
        const view = m === buf.length ? buf : buf.subarray(0, m);
        sampleStable(rng, alpha, scale, view);
        let s = '';
        for (let i = 0; i < m; i++) s += `${view[i]!}\n`;
        write(s);
      }
    });
}
