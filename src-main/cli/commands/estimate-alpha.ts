/**
 * `lw estimate-alpha --method ecf|mcculloch [--min-samples N] [--seed K] [FILE|-]`
 *
 * Reads one number per line (blank lines and lines starting with '#' are
 * skipped) from FILE or standard input ('-' or no argument), estimates the
 * SαS tail index and scale (SCIENCE.md §5.1) and prints
 * {"alpha","sigma","reliable","n","method"} as one JSON line. Invalid options
 * or input: a one-line error naming the option (or line) and exit code 2.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { estimateAlpha, type AlphaMethod } from '../../../src-workers/engine/stats/estimators';

const METHODS: readonly AlphaMethod[] = ['ecf', 'mcculloch'];
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parse "one number per line"; returns the values or the first bad line. */
export function parseNumberLines(text: string): { values: Float64Array } | { badLine: number; content: string } {
  const lines = text.split(/\r?\n/);
  const out = new Float64Array(lines.length);
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i]!.trim();
    if (s === '' || s.startsWith('#')) continue;
    if (!NUMBER_RE.test(s)) return { badLine: i + 1, content: s.length > 40 ? `${s.slice(0, 40)}…` : s };
    const v = Number(s);
    if (!Number.isFinite(v)) return { badLine: i + 1, content: s };
    out[n++] = v;
  }
  return { values: out.slice(0, n) };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function parseIntOpt(cmd: Command, raw: string | undefined, flag: string, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const v = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    cmd.error(`error: option '${flag}' must be an integer in [${min}, ${max}], got '${raw}'`, { exitCode: 2, code: 'lw.invalidOption' });
  }
  return v;
}

export function register(program: Command): void {
  program
    .command('estimate-alpha')
    .description('estimate the stable tail index alpha and scale sigma of a sample (one number per line)')
    .argument('[file]', "input file, or '-' for standard input", '-')
    .option('--method <method>', 'estimator: ecf | mcculloch (required)')
    .option('--min-samples <N>', 'fewer samples than this are unreliable (alpha 2, sigma 0)', '500')
    .option('--seed <K>', 'seed of the ecf subsample (more than 100000 samples)', '0')
    .action(async function (this: Command, file: string, opts: { method?: string; minSamples?: string; seed?: string }) {
      const method = opts.method;
      if (method === undefined) {
        this.error(`error: option '--method <method>' is required (one of: ${METHODS.join(', ')})`, { exitCode: 2, code: 'lw.invalidOption' });
      }
      if (!METHODS.includes(method as AlphaMethod)) {
        this.error(`error: option '--method <method>' must be one of: ${METHODS.join(', ')}; got '${method}'`, { exitCode: 2, code: 'lw.invalidOption' });
      }
      const minSamples = parseIntOpt(this, opts.minSamples, '--min-samples <N>', 500, 0, Number.MAX_SAFE_INTEGER);
      const seed = parseIntOpt(this, opts.seed, '--seed <K>', 0, 0, 4294967295);
      let text: string;
      try {
        text = file === '-' ? await readStdin() : readFileSync(file, 'utf8');
      } catch (e) {
        this.error(`error: cannot read input '${file}': ${(e as Error).message}`, { exitCode: 2, code: 'lw.input' });
      }
      const parsed = parseNumberLines(text);
      if ('badLine' in parsed) {
        this.error(`error: input '${file}' line ${parsed.badLine} is not a finite number: '${parsed.content}'`, { exitCode: 2, code: 'lw.input' });
      }
      const est = estimateAlpha(parsed.values, method as AlphaMethod, { minSamples, seed });
      const out = { alpha: est.alpha, sigma: est.sigma, reliable: est.reliable, n: est.n, method: est.method };
      this.configureOutput().writeOut!(`${JSON.stringify(out)}\n`);
    });
}
