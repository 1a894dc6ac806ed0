import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { register } from './sample-stable';

function program(): { p: Command; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const p = new Command('lw').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  register(p);
  return { p, out, err };
}

function lines(out: string[]): number[] {
  return out.join('').trimEnd().split('\n').map(Number);
}

describe('lw sample-stable', () => {
  it('writes n numbers, one per line, reproducibly from the seed', async () => {
    const a = program();
    await a.p.parseAsync(['sample-stable', '--alpha', '1.5', '--n', '70000', '--seed', '9'], { from: 'user' });
    const b = program();
    await b.p.parseAsync(['sample-stable', '--alpha', '1.5', '--n', '70000', '--seed', '9'], { from: 'user' });
    const xa = lines(a.out);
    expect(xa).toHaveLength(70_000);
    expect(xa.every(Number.isFinite)).toBe(true);
    expect(xa).toEqual(lines(b.out));
  });

  it('α = 2 with --scale S has variance 2 S²; α = 1 has the Cauchy median |x| = scale', async () => {
    const g = program();
    await g.p.parseAsync(['sample-stable', '--alpha', '2', '--scale', '3', '--n', '40000'], { from: 'user' });
    const x = lines(g.out);
    const m = x.reduce((s, v) => s + v, 0) / x.length;
    const v = x.reduce((s, u) => s + (u - m) ** 2, 0) / (x.length - 1);
    expect(Math.abs(v / 18 - 1)).toBeLessThan(0.03); // sd of v/18 ≈ sqrt(2/n) = 0.007
    const c = program();
    await c.p.parseAsync(['sample-stable', '--alpha', '1', '--scale', '2', '--n', '40000', '--seed', '1'], { from: 'user' });
    const abs = lines(c.out).map(Math.abs).sort((p, q) => p - q);
    // median of |X| for Cauchy(scale 2) is 2·tan(π/4) = 2
    expect(Math.abs(abs[20_000]! / 2 - 1)).toBeLessThan(0.03);
  });

  it('rejects bad options with a one-line error and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['sample-stable', '--n', '5'], /--alpha <A>' is required/],
      [['sample-stable', '--alpha', '0.9', '--n', '5'], /--alpha <A>' must be a number in \[1, 2\], got '0.9'/],
      [['sample-stable', '--alpha', '1.5'], /--n <N>' is required/],
      [['sample-stable', '--alpha', '1.5', '--n', '2.5'], /--n <N>' must be an integer/],
      [['sample-stable', '--alpha', '1.5', '--n', '5', '--scale', '0'], /--scale <S>' must be a number > 0/],
      [['sample-stable', '--alpha', '1.5', '--n', '5', '--seed', '-1'], /--seed <K>' must be an integer in \[0, 4294967295\]/],
    ];
    for (const [args, re] of cases) {
      const { p, err } = program();
      const e = await p.parseAsync(args, { from: 'user' }).then(
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
