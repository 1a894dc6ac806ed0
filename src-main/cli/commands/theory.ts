/**
 * `lw theory --decay exponential|polynomial|logarithmic --f0 F (--tau T |
 *  --beta B | --gamma G) --alpha A [--eps E] --sigma S [--c C] [--N 100,1000,…]`
 *
 * Prints the closed-form learnability window of SCIENCE.md §6 as JSON
 * {"kappa", "rows": [{"N", "H_N"}]} (H_N the continuous crossing lag).
 * Invalid options: one-line error naming the option and range, exit code 2.
 */
import type { Command } from 'commander';
import { kappa, theoryHN, type DecayKind, type TheoryParams } from '../../../src-workers/engine/theory';

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DECAYS: readonly DecayKind[] = ['exponential', 'polynomial', 'logarithmic'];
const DECAY_PARAM: Record<DecayKind, 'tau' | 'beta' | 'gamma'> = { exponential: 'tau', polynomial: 'beta', logarithmic: 'gamma' };
/** The reference pipeline's default N_grid (SCIENCE.md §7). */
const DEFAULT_N = '25,50,100,150,200,400,800,1600,3200,6400,12800';

function fail(cmd: Command, msg: string): never {
  return cmd.error(`error: ${msg}`, { exitCode: 2, code: 'lw.invalidOption' });
}

function num(cmd: Command, raw: string | undefined, flag: string, range: string, ok: (v: number) => boolean): number {
  if (raw === undefined) fail(cmd, `option '${flag}' is required (${range})`);
  const v = NUMBER_RE.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || !ok(v)) fail(cmd, `option '${flag}' must be ${range}, got '${raw}'`);
  return v;
}

interface TheoryOpts {
  decay?: string;
  f0?: string;
  tau?: string;
  beta?: string;
  gamma?: string;
  alpha?: string;
  eps?: string;
  sigma?: string;
  c?: string;
  N?: string;
}

export function register(program: Command): void {
  program
    .command('theory')
    .description('closed-form learnability window H_N for an envelope decay law')
    .option('--decay <kind>', 'envelope decay: exponential | polynomial | logarithmic (required)')
    .option('--f0 <F>', 'envelope amplitude f0 > 0 (required)')
    .option('--tau <T>', 'exponential decay time scale > 0')
    .option('--beta <B>', 'polynomial decay exponent > 0')
    .option('--gamma <G>', 'logarithmic decay exponent > 0')
    .option('--alpha <A>', 'tail index in (1, 2] (required)')
    .option('--eps <E>', 'detection threshold > 0', '0.1')
    .option('--sigma <S>', 'noise scale > 0 (required)')
    .option('--c <C>', 'signal constant c > 0 (mbar = c f)', '1')
    .option('--N <list>', 'comma-separated sample sizes, each > 0', DEFAULT_N)
    .action(function (this: Command, opts: TheoryOpts) {
      const decay = opts.decay;
      if (decay === undefined) fail(this, `option '--decay <kind>' is required (one of: ${DECAYS.join(', ')})`);
      if (!DECAYS.includes(decay as DecayKind)) fail(this, `option '--decay <kind>' must be one of: ${DECAYS.join(', ')}; got '${decay}'`);
      const kind = decay as DecayKind;
      const pos = 'a number > 0';
      const f0 = num(this, opts.f0, '--f0 <F>', pos, (v) => v > 0);
      const pname = DECAY_PARAM[kind];
      const pflag = `--${pname} <${pname === 'tau' ? 'T' : pname === 'beta' ? 'B' : 'G'}>`;
      const pval = num(this, opts[pname], pflag, `${pos} for --decay ${kind}`, (v) => v > 0);
      for (const other of ['tau', 'beta', 'gamma'] as const) {
        if (other !== pname && opts[other] !== undefined) fail(this, `option '--${other}' does not apply to --decay ${kind} (use --${pname})`);
      }
      const alpha = num(this, opts.alpha, '--alpha <A>', 'a number in (1, 2]', (v) => v > 1 && v <= 2);
      const eps = num(this, opts.eps ?? '0.1', '--eps <E>', pos, (v) => v > 0);
      const sigma = num(this, opts.sigma, '--sigma <S>', pos, (v) => v > 0);
      const c = num(this, opts.c ?? '1', '--c <C>', pos, (v) => v > 0);
      const rawN = opts.N ?? DEFAULT_N;
      const Ns = rawN.split(',').map((s) => s.trim());
      if (Ns.length === 0 || Ns.some((s) => !NUMBER_RE.test(s) || !(Number(s) > 0) || !Number.isFinite(Number(s)))) {
        fail(this, `option '--N <list>' must be a comma-separated list of numbers > 0, got '${rawN}'`);
      }
      const params: TheoryParams = { decay: kind, f0, alpha, eps, sigma, c, [pname]: pval };
      const rows = Ns.map(Number).map((N) => ({ N, H_N: theoryHN(params, N) }));
      this.configureOutput().writeOut!(`${JSON.stringify({ kappa: kappa(alpha), rows })}\n`);
    });
}
