/**
 * The report's numbers on synthetic results with known answers (stored and
 * read back through a real store): seed statistics of H_N, the envelope
 * regime and its parameters recovered from exact curves, the theory curve
 * against the closed forms of SCIENCE.md §6 written out here, the master-law
 * coordinates, ConstGate's closed-form τ; then the small helpers (text for
 * the standard fonts, tick labels, ZIP entries) and a report drawn with the
 * standard fonts.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../../../src-shared/config';
import type { LagSummaryRow, RunResult } from '../../../../src-shared/results';
import type { Store } from '../../store';
import { loadExportBundle } from '../load';
import { logTick } from '../report/charts';
import { resolveFonts, toWinAnsi } from '../report/fonts';
import { REPORT_SECTIONS, fmt, renderReportPdf } from '../report/pdf';
import { buildReportData } from '../report/report-data';
import { zipEntries } from '../zip';
import { saveResult, smokeConfig, tempFolder, tempStore } from './fixtures';

let folder: { dir: string; cleanup(): void };
let store: Store;
beforeEach(() => {
  folder = tempFolder('lw-report-');
  store = tempStore(folder.dir);
});
afterEach(() => {
  store.close();
  folder.cleanup();
});

const LAGS = Array.from({ length: 20 }, (_, i) => 2 + 2 * i);
const EPS = 0.1;
const N_GRID = [25, 50, 100, 200, 400, 800];

interface Synthetic {
  /** log f(ℓ) of the envelope (log_mu_l1_mean) */
  logF: (ell: number) => number;
  /** m̄(ℓ) */
  mbar: (ell: number) => number;
  alpha: (i: number) => { alpha: number; sigma: number; reliable: boolean };
  H_N: number[];
  Nreq?: (i: number) => number;
  tau?: number[];
}

/** A valid stored result whose diagnostics follow the given curves exactly. */
function result(s: Synthetic, H = 3): RunResult {
  const summary: LagSummaryRow[] = LAGS.map((ell, i) => {
    const a = s.alpha(i);
    return {
      ell, mu_l1_mean: 1.2 * Math.exp(s.logF(ell)), log_mu_l1_mean: s.logF(ell), alpha_hat: a.alpha, sigma_alpha_hat: a.sigma,
      N_required_at_eps: s.Nreq ? s.Nreq(i) : -1, best_snr: 0.5, err_at_best_snr: 0.1, best_N_for_ell: 800, mbar_scalar: s.mbar(ell),
      alpha_reliable: a.reliable, alpha_method: 'ecf', n_samples: 1000,
    };
  });
  const taus = s.tau ?? [10, 20, Infinity];
  return {
    curve: [0, 1, 2].map((epoch) => ({ epoch, train_loss: 1 / (epoch + 1), train_acc: 0.1 * epoch, val_loss: 1.5 / (epoch + 1), val_acc: 0.05 * epoch })),
    gateStats: [{ epoch: 0, metric: 'z_mean', value: 0.5 }],
    diverged: false, divergedEpoch: null, cancelled: false, kernelsName: 'ts-f32', wallMs: 1000, trainMs: 800, diagnosticsMs: 200,
    diagnosticsStatus: 'done',
    diagnostics: {
      lags: LAGS, summary, muUnits: LAGS.map(() => new Float64Array(H).fill(0.5)),
      H_N: N_GRID.map((N, i) => ({ N, H_N: s.H_N[i]! })),
      tau: taus.map((tau, q) => ({ unit_id: q, tau, C: 1, a: 0, b: -1 / tau, r2: 1, num_points: 20 })),
      envelope: {
        exp: { a: s.logF(0), b: s.logF(1) - s.logF(0), r2: 1, tau_env: -1 / (s.logF(1) - s.logF(0)) },
        power: { c: 0, d: -1, r2: 0.5 }, log: { e: 0, g: -1, r2: 0.4 }, best: 'exp',
      },
      master: { skipped: 'needs at least 10 lags' },
      constTau: null,
      batchSize: 32,
    },
  };
}

function experiment(cfg: ExperimentConfig, perSeed: Synthetic[]): ReturnType<typeof buildReportData> {
  const exp = store.createExperiment('synthetic', cfg);
  exp.runs.forEach((r, i) => saveResult(store, r.id, result(perSeed[i]!)));
  return buildReportData(loadExportBundle(store, { experimentId: exp.id }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

describe('report data on exact synthetic curves', () => {
  // exponential envelope f = f0 e^{-ℓ/τ}, signal m̄ = c·f
  const f0 = 0.8;
  const tau = 12;
  const c = 0.03;
  const seedA: Synthetic = {
    logF: (l) => Math.log(f0) - l / tau, mbar: (l) => c * f0 * Math.exp(-l / tau),
    alpha: (i) => ({ alpha: 1.4 + 0.01 * i, sigma: 0.5 + 0.02 * i, reliable: true }),
    H_N: [4, 8, 12, 16, 20, 24], Nreq: (i) => (i < 8 ? 25 * 2 ** (i % 4) : -1),
  };
  const seedB: Synthetic = {
    ...seedA,
    alpha: (i) => (i % 2 ? { alpha: 1.7, sigma: 0.9, reliable: true } : { alpha: 1.99, sigma: 5, reliable: false }),
    H_N: [6, 8, 10, 16, 30, 24], Nreq: undefined,
  };

  it('H_N per N: mean, sample std, min, max and count over seeds', () => {
    const d = experiment(smokeConfig({ models: ['gru'], seeds: [1, 2], N_grid: N_GRID, eps: EPS }), [seedA, seedB]);
    const a = d.archs[0]!;
    expect(a.seeds).toEqual([1, 2]);
    expect(a.hn.map((h) => h.N)).toEqual(N_GRID);
    const first = a.hn[0]!;
    expect(first.mean).toBe(5);
    expect(first.std).toBeCloseTo(Math.SQRT2, 14); // |4 - 6|/√2
    expect([first.min, first.max, first.n]).toEqual([4, 6, 2]);
    expect(a.hn[4]!.mean).toBe(25);
    expect(a.hn[1]!.std).toBe(0);
  });

  it('exponential regime: f0, τ recovered; α, σ the medians of the reliable lags; c from m̄ = c·f; H_N = τ (log(c f0/(εσ)) + (1/κ) log N)', () => {
    const d = experiment(smokeConfig({ models: ['gru'], seeds: [1, 2], N_grid: N_GRID, eps: EPS }), [seedA, seedB]);
    const a = d.archs[0]!;
    expect(a.envelopeFit!.best).toBe('exp');
    expect(a.theory.ok).toBe(true);
    if (!a.theory.ok) return;
    const p = a.theory.params;
    expect(p.decay).toBe('exponential');
    expect(rel(p.f0, f0)).toBeLessThan(1e-10);
    expect(rel(p.tau!, tau)).toBeLessThan(1e-10);
    const reliable = LAGS.flatMap((_, i) => [seedA.alpha(i), seedB.alpha(i)]).filter((x) => x.reliable);
    const alpha = median(reliable.map((x) => x.alpha));
    const sigma = median(reliable.map((x) => x.sigma));
    expect(p.alpha).toBeCloseTo(alpha, 14);
    expect(p.sigma).toBeCloseTo(sigma, 14);
    expect(rel(p.c, c)).toBeLessThan(1e-10);
    expect(p.eps).toBe(EPS);
    for (const { N, H_N } of a.theory.points) {
      const expected = tau * (Math.log((c * f0) / (EPS * sigma)) + (1 - 1 / alpha) * Math.log(N));
      expect(rel(H_N, Math.max(0, expected))).toBeLessThan(1e-9);
    }
    // every N of the grid is on the curve
    for (const N of N_GRID) expect(a.theory.points.some((q) => q.N === N)).toBe(true);
    // seed fits: τ_env of both seeds is exactly τ
    expect(a.tauEnv.mean).toBeCloseTo(tau, 10);
    expect(a.tauEnv.count).toBe(2);
    expect(a.bestCounts).toEqual({ exp: 2, power: 0, log: 0 });
  });

  it('envelope points: seed means; master points x = -κ(max(α̂, 1.01)) log f̂, y = log N_required', () => {
    const d = experiment(smokeConfig({ models: ['gru'], seeds: [1, 2], N_grid: N_GRID, eps: EPS }), [seedA, seedB]);
    const a = d.archs[0]!;
    expect(a.envelope.map((p) => p.ell)).toEqual(LAGS);
    a.envelope.forEach((p) => {
      expect(p.logF).toBeCloseTo(Math.log(f0) - p.ell / tau, 12);
      expect(rel(p.f, 1.2 * f0 * Math.exp(-p.ell / tau))).toBeLessThan(1e-12);
    });
    expect(a.master).toHaveLength(8); // seed A detects lags 0..7, seed B none
    a.master.forEach((m, i) => {
      const al = 1.4 + 0.01 * i;
      const fhat = 1.2 * f0 * Math.exp(-LAGS[i]! / tau);
      expect(m.x).toBeCloseTo(-(al / (al - 1)) * Math.log(fhat), 10);
      expect(m.y).toBeCloseTo(Math.log(25 * 2 ** (i % 4)), 12);
    });
    expect(a.seedMasters.every((m) => 'skipped' in m)).toBe(true);
    expect(a.masterSlope.count).toBe(0);
    expect(d.notes.some((n) => n.includes('master-law fit skipped'))).toBe(true);
    expect(a.tau).toEqual([10, 20, 10, 20]);
    expect(a.tauInfinite).toBe(2);
    expect(a.tauClosedForm).toBeNull();
  });

  it('polynomial regime: β recovered; H_N = (c f0/(εσ))^{1/β} N^{(1 - 1/α)/β}', () => {
    const beta = 1.5;
    const s: Synthetic = {
      logF: (l) => Math.log(f0) - beta * Math.log(l), mbar: (l) => c * f0 * l ** -beta,
      alpha: () => ({ alpha: 1.6, sigma: 0.2, reliable: true }), H_N: [1, 2, 3, 4, 5, 6],
    };
    const d = experiment(smokeConfig({ models: ['diag'], seeds: [3], N_grid: N_GRID, eps: EPS }), [s]);
    const a = d.archs[0]!;
    expect(a.envelopeFit!.best).toBe('power');
    expect(a.theory.ok).toBe(true);
    if (!a.theory.ok) return;
    expect(a.theory.params.decay).toBe('polynomial');
    expect(rel(a.theory.params.beta!, beta)).toBeLessThan(1e-10);
    expect(rel(a.theory.params.c, c)).toBeLessThan(1e-10);
    for (const { N, H_N } of a.theory.points) {
      const expected = ((c * f0) / (EPS * 0.2)) ** (1 / beta) * N ** ((1 - 1 / 1.6) / beta);
      expect(rel(H_N, expected)).toBeLessThan(1e-9);
    }
  });

  it('no theory curve (with the reason) for a growing envelope or without reliable α̂; ConstGate closed form', () => {
    const growing: Synthetic = {
      logF: (l) => -2 + 0.01 * l, mbar: () => 0.01, alpha: () => ({ alpha: 1.5, sigma: 1, reliable: true }), H_N: [0, 0, 0, 0, 0, 0],
    };
    const unreliable: Synthetic = { ...growing, logF: (l) => -l / 5, alpha: () => ({ alpha: 2, sigma: 0, reliable: false }) };
    const cfg = smokeConfig({ models: ['const', 'gru'], seeds: [5], N_grid: N_GRID, eps: EPS, const_s: 0.05 });
    const d = experiment(cfg, [growing, unreliable]);
    const [cst, gru] = d.archs;
    expect(cst!.theory).toEqual({ ok: false, reason: expect.stringContaining('does not decay') });
    expect(gru!.theory).toEqual({ ok: false, reason: expect.stringContaining('no reliable') });
    expect(cst!.tauClosedForm).toBeCloseTo(-1 / Math.log(1 - 0.05), 12);
    expect(d.notes.some((n) => n.startsWith('const: no theory curve'))).toBe(true);
    expect(d.notes.some((n) => n.startsWith('gru: no reliable'))).toBe(true);
  });

  it('the report in the standard fonts: every heading, Greek letters spelled out', async () => {
    const cfg = smokeConfig({ models: ['gru'], seeds: [1, 2], N_grid: N_GRID, eps: EPS });
    const exp = store.createExperiment('Standard fonts α', cfg);
    exp.runs.forEach((r, i) => saveResult(store, r.id, result([seedA, seedB][i]!)));
    const bytes = await renderReportPdf(loadExportBundle(store, { experimentId: exp.id }), { standardFonts: true });
    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const standardFontDataUrl = `${dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'))}/standard_fonts/`;
    const doc = await getDocument({ data: bytes.slice(), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, standardFontDataUrl }).promise;
    let text = '';
    for (let i = 1; i <= doc.numPages; i++) text += (await (await doc.getPage(i)).getTextContent()).items.map((x) => ('str' in x ? x.str : '')).join(' ');
    await doc.destroy();
    text = text.replace(/\s+/g, ' ');
    for (const h of REPORT_SECTIONS) expect(text, h).toContain(h);
    expect(text).toContain('Standard fonts alpha');
    expect(text).toContain('median reliable alpha');
  });
});

describe('helpers', () => {
  it('text for the standard fonts', () => {
    expect(toWinAnsi('α̂(ℓ) ≥ 1 − ε, τ ± σ, κ_α')).toBe('alpha(l) >= 1 - eps, tau ± sigma, kappa_alpha');
    expect(toWinAnsi('plain ASCII, Latin-1 é and ×')).toBe('plain ASCII, Latin-1 é and ×');
    expect(toWinAnsi('漢')).toBe('?');
    const f = resolveFonts({ env: {}, candidates: [] });
    expect([f.regular, f.bold, f.unicode, f.files.length]).toEqual(['Helvetica', 'Helvetica-Bold', false, 0]);
    expect(resolveFonts({ fontPath: '/nonexistent.ttf', env: {}, candidates: [] }).unicode).toBe(false);
  });

  it('log-axis ticks and table numbers', () => {
    expect([1e-7, 1e-5, 0.001, 0.01, 0.1, 1, 10, 1000, 1e5, 2e-6].map(logTick)).toEqual(['1e-7', '1e-5', '1e-3', '0.01', '0.1', '1', '10', '1000', '1e5', '2e-6']);
    expect([NaN, Infinity, -Infinity, 12, 0.000123456, 3.14159265, 1234567.8].map((v) => fmt(v))).toEqual(['—', '∞', '−∞', '12', '1.235e-4', '3.142', '1.235e+6']);
  });

  it('zip entries: deterministic, in order, paths checked', async () => {
    const entries = [{ path: 'b/x.csv', data: 'a,b\n1,2\n' }, { path: 'a.json', data: new Uint8Array([1, 2, 3]) }, { path: 'empty', data: '' },
      { path: 'big.txt', data: 'θ,'.repeat(100_000) }];
    const z1 = await zipEntries(entries, Date.UTC(2024, 5, 1));
    const z2 = await zipEntries(entries, Date.UTC(2024, 5, 1));
    expect(Buffer.from(z1).equals(Buffer.from(z2))).toBe(true);
    const back = unzipSync(z1);
    expect(Object.keys(back)).toEqual(['b/x.csv', 'a.json', 'empty', 'big.txt']);
    expect(new TextDecoder().decode(back['b/x.csv'])).toBe('a,b\n1,2\n');
    expect([...back['a.json']!]).toEqual([1, 2, 3]);
    expect(back.empty!.byteLength).toBe(0);
    expect(new TextDecoder().decode(back['big.txt'])).toBe('θ,'.repeat(100_000));
    expect(z1.byteLength).toBeLessThan(10_000); // compressed (300 kB of text)
    for (const bad of ['../x', '/abs', 'a//b', 'a\\b', '', 'a/./b']) await expect(zipEntries([{ path: bad, data: '' }], 0), bad).rejects.toThrow(/invalid entry path/);
    await expect(zipEntries([{ path: 'a', data: '' }, { path: 'a', data: '' }], 0)).rejects.toThrow(/duplicate/);
  });
});
