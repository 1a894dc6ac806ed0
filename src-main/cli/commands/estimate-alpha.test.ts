import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../../src-workers/engine/rng';
import { sampleStable } from '../../../src-workers/engine/stats/stable';
import { parseNumberLines, register } from './estimate-alpha';

function program(): { p: Command; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const p = new Command('lw').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  register(p);
  return { p, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'lw-estimate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = new Float64Array(20_000);
sampleStable(new Rng(42), 1.6, 0.8, x);
const file = join(dir, 'samples.txt');
writeFileSync(file, `# header comment\n${Array.from(x).join('\n')}\n\n`);

describe('lw estimate-alpha', () => {
  it('prints {alpha, sigma, reliable, n, method} for a file', async () => {
    for (const method of ['ecf', 'mcculloch'] as const) {
      const { p, out } = program();
      await p.parseAsync(['estimate-alpha', '--method', method, '--seed', '3', file], { from: 'user' });
      const r = JSON.parse(out.join('')) as Record<string, unknown>;
      expect(Object.keys(r)).toEqual(['alpha', 'sigma', 'reliable', 'n', 'method']);
      expect(r.n).toBe(20_000);
      expect(r.method).toBe(method);
      expect(r.reliable).toBe(true);
      expect(Math.abs((r.alpha as number) - 1.6)).toBeLessThan(0.08);
      expect(Math.abs((r.sigma as number) / 0.8 - 1)).toBeLessThan(0.08);
    }
  });

  it("reads standard input for '-' and honours --min-samples", async () => {
    const { p, out } = program();
    vi.spyOn(process, 'stdin', 'get').mockReturnValue(Readable.from(['1.5\n-0.25\n', '3\n']) as unknown as typeof process.stdin);
    await p.parseAsync(['estimate-alpha', '--method', 'mcculloch', '-'], { from: 'user' });
    vi.restoreAllMocks();
    expect(JSON.parse(out.join(''))).toEqual({ alpha: 2, sigma: 0, reliable: false, n: 3, method: 'mcculloch' });
  });

  it('rejects bad options and input with a one-line error and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['estimate-alpha', file], /--method <method>' is required/],
      [['estimate-alpha', '--method', 'hill', file], /must be one of: ecf, mcculloch/],
      [['estimate-alpha', '--method', 'ecf', '--min-samples', '-3', file], /--min-samples <N>' must be an integer in \[0/],
      [['estimate-alpha', '--method', 'ecf', '--seed', '1.5', file], /--seed <K>' must be an integer/],
      [['estimate-alpha', '--method', 'ecf', join(dir, 'missing.txt')], /cannot read input/],
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

  it('parseNumberLines names the first bad line', () => {
    expect(parseNumberLines('1\n2e3\n\n-.5\n')).toEqual({ values: new Float64Array([1, 2000, -0.5]) });
    expect(parseNumberLines('1\nabc\n')).toEqual({ badLine: 2, content: 'abc' });
    expect(parseNumberLines('1\nNaN\n')).toEqual({ badLine: 2, content: 'NaN' });
  });
});
