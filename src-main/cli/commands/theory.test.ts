import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { register } from './theory';

function program(): { p: Command; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const p = new Command('lw').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  register(p);
  return { p, out, err };
}

async function run(args: string[]): Promise<{ kappa: number; rows: { N: number; H_N: number }[] }> {
  const { p, out } = program();
  await p.parseAsync(['theory', ...args], { from: 'user' });
  return JSON.parse(out.join('')) as { kappa: number; rows: { N: number; H_N: number }[] };
}

describe('lw theory', () => {
  it('exponential: H_N = τ (log(c f0/(εσ)) + (1/κ) log N)', async () => {
    const r = await run(['--decay', 'exponential', '--f0', '2', '--tau', '30', '--alpha', '1.5', '--eps', '0.1', '--sigma', '4', '--c', '1', '--N', '100,1000']);
    expect(r.kappa).toBeCloseTo(3, 14);
    expect(r.rows.map((x) => x.N)).toEqual([100, 1000]);
    for (const row of r.rows) expect(row.H_N).toBeCloseTo(30 * (Math.log(5) + Math.log(row.N) / 3), 10);
  });

  it('polynomial and logarithmic, with defaults eps 0.1, c 1 and the reference N grid', async () => {
    const p = await run(['--decay', 'polynomial', '--f0', '1', '--beta', '0.5', '--alpha', '2', '--sigma', '1']);
    expect(p.rows.map((x) => x.N)).toEqual([25, 50, 100, 150, 200, 400, 800, 1600, 3200, 6400, 12800]);
    for (const row of p.rows) expect(row.H_N / (100 * row.N)).toBeCloseTo(1, 12); // (10)^2 N^{1/(0.5·2)}
    const l = await run(['--decay', 'logarithmic', '--f0', '1', '--gamma', '2', '--alpha', '2', '--sigma', '1', '--N', '16']);
    expect(l.rows[0]!.H_N).toBeCloseTo(Math.exp(Math.sqrt(10) * 16 ** 0.25), 8);
  });

  it('rejects bad options with a one-line error and exit code 2', async () => {
    const ok = ['--f0', '1', '--alpha', '1.5', '--sigma', '1'];
    const cases: [string[], RegExp][] = [
      [['--tau', '3', ...ok], /--decay <kind>' is required/],
      [['--decay', 'linear', '--tau', '3', ...ok], /must be one of: exponential, polynomial, logarithmic/],
      [['--decay', 'exponential', ...ok], /--tau <T>' is required/],
      [['--decay', 'exponential', '--tau', '3', '--beta', '1', ...ok], /'--beta' does not apply to --decay exponential/],
      [['--decay', 'exponential', '--tau', '3', '--f0', '1', '--alpha', '1', '--sigma', '1'], /--alpha <A>' must be a number in \(1, 2\]/],
      [['--decay', 'exponential', '--tau', '3', ...ok, '--eps', '-1'], /--eps <E>' must be a number > 0/],
      [['--decay', 'exponential', '--tau', '3', ...ok, '--N', '10,x'], /--N <list>' must be a comma-separated list/],
    ];
    for (const [args, re] of cases) {
      const { p, err } = program();
      const e = await p.parseAsync(['theory', ...args], { from: 'user' }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(CommanderError);
      expect((e as CommanderError).exitCode).toBe(2);
      expect(err.join('')).toMatch(re);
      expect(err.join('').trim().split('\n')).toHaveLength(1);
    }
  });
});
