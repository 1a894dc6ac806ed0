/**
 * End to end: `node bin/lw.mjs run --preset smoke` in a temporary folder, the
 * way a user runs it (TypeScript loaded through tsx, piscina workers), then
 * the reference layout is checked file by file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src-shared/presets';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'lw.mjs');
const MODELS = ['const', 'shared', 'diag', 'gru', 'lstm'];
const GATE_METRICS: Record<string, string[]> = {
  const: ['gate_s_mean', 'leak_mean', 'rdiag_mean'],
  shared: ['gate_s_mean', 'leak_mean', 'rdiag_mean'],
  diag: ['gate_s_mean', 'leak_mean', 'rdiag_mean'],
  gru: ['z_mean', 'r_mean', 'leak_mean', 'rdiag_mean'],
  lstm: ['forget_mean', 'expr_mean', 'cdiag_mean'],
};

function lw(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 110_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => l.length > 0) };
}

describe('lw run --preset smoke (end to end)', () => {
  let cwd: string;
  let run: ReturnType<typeof lw>;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'lw-smoke-'));
    run = lw(['run', '--preset', 'smoke', '--out', 'out', '--workers', '2'], cwd);
  }, 120_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('exits 0 with one progress line per epoch per run and a summary', () => {
    expect(run.code, run.stderr.join('\n')).toBe(0);
    const epochs = PRESETS.smoke.epochs;
    for (const m of MODELS) {
      const lines = run.stderr.filter((l) => l.startsWith(`[${m} seed 212] epoch `));
      expect(lines).toHaveLength(epochs);
      lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^\\[${m} seed 212\\] epoch ${i + 1}/${epochs} train \\S+ val \\S+ R2 \\S+$`)));
    }
    expect(run.stderr.at(-1)).toMatch(/^lw run: 5 done of 5 in .* → .*out$/);
    expect(run.stdout).toBe('');
  });

  it('writes the reference layout (SCIENCE.md §8)', () => {
    const out = join(cwd, 'out');
    expect(readdirSync(out).sort()).toEqual(['config.json', 'seed_212']);
    expect(readdirSync(join(out, 'seed_212')).sort()).toEqual(['cli_args.csv', ...MODELS].sort());
    const args = parse(readFileSync(join(out, 'seed_212', 'cli_args.csv'), 'utf8')) as string[][];
    expect(args[0]).toEqual(['argument', 'value']);
    expect(Object.fromEntries(args.slice(1))).toMatchObject({ T: '48', H: '8', epochs: '3', seeds: '212', models: MODELS.join(',') });
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(PRESETS.smoke);

    for (const m of MODELS) {
      const dir = join(out, 'seed_212', m);
      expect(readdirSync(dir).sort()).toEqual([`${m}_learning_curve.csv`, `gate_stats_${m}.csv`].sort());
      const curve = parse(readFileSync(join(dir, `${m}_learning_curve.csv`), 'utf8')) as string[][];
      expect(curve[0]).toEqual(['epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc']);
      expect(curve.slice(1).map((r) => Number(r[0]))).toEqual([0, 1, 2]);
      for (const r of curve.slice(1)) {
        const [, tl, ta, vl, va] = r.map(Number) as [number, number, number, number, number];
        // losses are mean squared errors, R² = 1 - SSE/SST <= 1
        expect(tl).toBeGreaterThan(0);
        expect(vl).toBeGreaterThan(0);
        expect(ta).toBeLessThanOrEqual(1);
        expect(va).toBeLessThanOrEqual(1);
      }
      const gates = parse(readFileSync(join(dir, `gate_stats_${m}.csv`), 'utf8')) as string[][];
      expect(gates[0]).toEqual(['epoch', 'metric', 'value']);
      // gate_log_every 1: every epoch, every metric of the architecture (§3)
      const want = [0, 1, 2].flatMap((e) => GATE_METRICS[m]!.map((g) => `${e},${g}`)).sort();
      expect(gates.slice(1).map((r) => `${r[0]},${r[1]}`).sort()).toEqual(want);
      for (const r of gates.slice(1)) expect(Number.isFinite(Number(r[2]))).toBe(true);
      // gate_s = 1 - leak (const/shared/diag) and z = 1 - leak (gru), §3
      const v = (e: string, g: string) => Number(gates.find((r) => r[0] === e && r[1] === g)![2]);
      if (m === 'gru') expect(v('0', 'z_mean') + v('0', 'leak_mean')).toBeCloseTo(1, 6);
      else if (m !== 'lstm') expect(v('0', 'gate_s_mean') + v('0', 'leak_mean')).toBeCloseTo(1, 6);
      // const: s is fixed at const_s
      if (m === 'const') expect(v('2', 'gate_s_mean')).toBeCloseTo(PRESETS.smoke.const_s, 6);
    }
  });

  it('invalid input exits 2 with one line per problem and writes nothing', () => {
    const r = lw(['run', '--preset', 'smoke', '--const_s', '1.5', '--H', '0', '--out', 'bad'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual(['lw run: H must be an integer >= 1 (got 0)', 'lw run: const_s must be > 0 and < 1 (got 1.5)']);
    expect(readdirSync(cwd)).toEqual(['out']);
  });
});
