/**
 * The numbers of the PDF report, computed from the stored results (no
 * drawing here, so they can be tested on their own).
 *
 * Per architecture, over the finished runs with diagnostics (one per seed):
 *   - H_N per N: mean, sample std, min, max and count over seeds (§5.2, §6);
 *   - the envelope: per lag the seed mean of log_mu_l1_mean (the quantity the
 *     §6 regimes are fitted on) and of mu_l1_mean; the three regimes refitted
 *     on the seed-mean log envelope (fitEnvelope), and each seed's own fit
 *     (τ_env, best regime) summarised;
 *   - α̂(ℓ) of every seed with its reliability flag (§5.1);
 *   - the master law points (x = -κ(max(α̂, 1.01)) log f̂, y = log N_required,
 *     as fitMasterLaw builds them) and each seed's fit or why it was skipped;
 *   - the per-unit time scales τ of every seed (§6), ConstGate's closed form;
 *   - the learning curves, mean over seeds per epoch.
 *
 * Theory curve of H_N (§6 closed forms, src-workers/engine/theory.ts), per
 * architecture, from:
 *   - the best regime of the seed-mean envelope fit and its parameters:
 *     exponential f = f0 e^{-ℓ/τ} (f0 = e^a, τ = -1/b), polynomial
 *     f = f0 ℓ^{-β} (f0 = e^c, β = -d), logarithmic f = f0 (log ℓ)^{-γ}
 *     (f0 = e^e, γ = -g); a regime that does not decay has no curve;
 *   - α = the median of the reliable α̂(ℓ) over lags and seeds, floored at
 *     1.01 (as the master law), and σ = the median σ̂ of the same (lag, seed)
 *     pairs; no reliable α̂: no curve;
 *   - c from m̄ = c f: c = exp(median over lags and seeds of
 *     log m̄(ℓ) - log f_fit(ℓ)), with f_fit the fitted envelope, so c and f0
 *     refer to the same f (a robust log-scale ratio; lags with m̄ = 0 skipped);
 *   - ε = the configuration's eps.
 * These are summary choices (one α, σ, c per architecture where the data
 * have one per lag), stated in the report next to the figure.
 */
import { ARCH_NAMES, type ArchName, type ExperimentConfig } from '../../../../src-shared/config';
import { median } from '../../../../src-shared/fit-math';
import type { EnvelopeFitsRecord, EnvelopeRegimeName, RunRecord, RunResult } from '../../../../src-shared/results';
import { theoryNs, theoryParams, type AlphaPoint } from '../../../../src-shared/theory-rule';
import { aggregateSeeds, aggregateTable, meanStd, type AggregateStat } from '../../../../src-shared/seed-aggregate';
import { MASTER_ALPHA_FLOOR, constTau, fitEnvelope } from '../../../../src-workers/engine/fits';
import { kappa, theoryHN, type TheoryParams } from '../../../../src-workers/engine/theory';

export { fittedEnvelope, regimeParams, theoryNs, theoryParams, type AlphaPoint } from '../../../../src-shared/theory-rule';
import type { ExportBundle } from '../load';
import { isFinished } from '../reference-layout';

export interface HNStat {
  N: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** seeds with a value */
  n: number;
}

export interface EnvelopePoint {
  ell: number;
  /** seed mean of log_mu_l1_mean */
  logF: number;
  /** seed mean of mu_l1_mean (f̂) */
  f: number;
  /** seeds with a finite log_mu_l1_mean at this lag */
  n: number;
}


export interface MasterPoint {
  seed: number;
  ell: number;
  /** -κ(max(α̂, 1.01)) log f̂ */
  x: number;
  /** log N_required */
  y: number;
}

export type SeedMaster = { seed: number; slope: number; intercept: number; r2: number; n: number } | { seed: number; skipped: string };

export interface CurvePoint {
  epoch: number;
  train: number;
  val: number;
  n: number;
}

export type TheoryCurve =
  | { ok: true; params: TheoryParams; regime: EnvelopeRegimeName; points: { N: number; H_N: number }[] }
  | { ok: false; reason: string };

export interface ArchReport {
  arch: ArchName;
  /** seeds of the finished runs with diagnostics */
  seeds: number[];
  /** seeds of every finished run with a stored result (learning curves) */
  trainedSeeds: number[];
  hn: HNStat[];
  envelope: EnvelopePoint[];
  /** regimes refitted on the seed-mean log envelope; null without diagnostics */
  envelopeFit: EnvelopeFitsRecord | null;
  /** per seed: its own envelope fit */
  seedEnvelopes: { seed: number; fit: EnvelopeFitsRecord }[];
  /** τ_env over the seeds' own fits (finite values) */
  tauEnv: AggregateStat;
  /** how many seeds' own fits chose each regime */
  bestCounts: Record<EnvelopeRegimeName, number>;
  alpha: AlphaPoint[];
  /** median of the reliable α̂ (NaN if none) */
  alphaMedian: number;
  sigmaMedian: number;
  reliableCount: number;
  master: MasterPoint[];
  seedMasters: SeedMaster[];
  /** slope over the seeds whose master fit was not skipped */
  masterSlope: AggregateStat;
  masterIntercept: AggregateStat;
  /** finite positive per-unit τ of every seed */
  tau: number[];
  /** units with τ = +∞ (no decay) and not fitted (NaN) */
  tauInfinite: number;
  tauNaN: number;
  /** ConstGate's closed form -1/log(1 - const_s), const only */
  tauClosedForm: number | null;
  curve: CurvePoint[];
  theory: TheoryCurve;
}

export interface ReportRunRow {
  id: number;
  arch: ArchName;
  seed: number;
  status: string;
  kernels: string;
  epochs: number;
  wallS: number | null;
  diagnostics: string;
  error: string;
}

export interface ReportData {
  archs: ArchReport[];
  runs: ReportRunRow[];
  /** visible notes on missing data: unfinished runs, failures, skipped fits */
  notes: string[];
  /** every N of the configuration's grid */
  Ns: number[];
}

function archReport(arch: ArchName, runs: readonly { record: RunRecord; result: RunResult }[], cfg: ExperimentConfig): ArchReport {
  const withD = runs.filter((r) => r.result.diagnostics);
  const diags = withD.map((r) => ({ seed: r.record.seed, d: r.result.diagnostics! }));
  const seeds = diags.map((x) => x.seed);

  const hnAgg = aggregateSeeds(diags.map(({ d }) => ({ keys: d.H_N.map((r) => r.N), values: d.H_N.map((r) => r.H_N) })));
  const hn: HNStat[] = hnAgg.map((a) => {
    const vals = diags.map(({ d }) => d.H_N.find((r) => r.N === a.key)?.H_N).filter((v): v is number => v !== undefined && Number.isFinite(v));
    return { N: a.key, mean: a.mean, std: a.std, min: vals.length ? Math.min(...vals) : NaN, max: vals.length ? Math.max(...vals) : NaN, n: a.count };
  });

  const envAgg = aggregateTable(diags.map(({ d }) => d.summary as unknown as Readonly<Record<string, unknown>>[]), 'ell', ['log_mu_l1_mean', 'mu_l1_mean'] as const);
  const envelope: EnvelopePoint[] = envAgg.map(({ key, stats }) => ({ ell: key, logF: stats.log_mu_l1_mean.mean, f: stats.mu_l1_mean.mean, n: stats.log_mu_l1_mean.count }));
  const finiteEnv = envelope.filter((p) => Number.isFinite(p.logF));
  const envelopeFit = diags.length > 0 ? fitEnvelope(finiteEnv.map((p) => p.ell), finiteEnv.map((p) => p.logF)) : null;

  const seedEnvelopes = diags.map(({ seed, d }) => ({ seed, fit: d.envelope }));
  const tauEnv = meanStd(seedEnvelopes.map((s) => s.fit.exp.tau_env).filter(Number.isFinite));
  const bestCounts: Record<EnvelopeRegimeName, number> = { exp: 0, power: 0, log: 0 };
  for (const s of seedEnvelopes) bestCounts[s.fit.best]++;

  const alpha: AlphaPoint[] = diags.flatMap(({ seed, d }) => d.summary.map((r) => ({
    seed, ell: r.ell, alpha: r.alpha_hat, sigma: r.sigma_alpha_hat, reliable: r.alpha_reliable,
  })));
  const reliable = alpha.filter((a) => a.reliable && Number.isFinite(a.alpha));

  const master: MasterPoint[] = diags.flatMap(({ seed, d }) => d.summary.flatMap((r) => {
    const N = r.N_required_at_eps;
    const f = r.mu_l1_mean;
    const a = r.alpha_hat;
    if (!(Number.isFinite(N) && N > 0 && Number.isFinite(f) && f > 0 && Number.isFinite(a))) return [];
    return [{ seed, ell: r.ell, x: -kappa(Math.max(a, MASTER_ALPHA_FLOOR)) * Math.log(f), y: Math.log(N) }];
  }));
  const seedMasters: SeedMaster[] = diags.map(({ seed, d }) => ('skipped' in d.master ? { seed, skipped: d.master.skipped } : { seed, ...d.master }));
  const fitted = seedMasters.filter((m): m is Extract<SeedMaster, { slope: number }> => 'slope' in m && Number.isFinite(m.slope));

  const taus = diags.flatMap(({ d }) => d.tau.map((t) => t.tau));

  const curveAgg = (k: 'train_loss' | 'val_loss') => aggregateSeeds(runs.map((r) => ({ keys: r.result.curve.map((c) => c.epoch), values: r.result.curve.map((c) => c[k]) })));
  const tr = curveAgg('train_loss');
  const va = curveAgg('val_loss');
  const curve: CurvePoint[] = tr.map((t) => ({ epoch: t.key, train: t.mean, val: va.find((v) => v.key === t.key)?.mean ?? NaN, n: t.count }));

  let theory: TheoryCurve;
  if (!envelopeFit) theory = { ok: false, reason: 'no diagnostics' };
  else {
    const tp = theoryParams(envelopeFit, alpha, diags.map(({ d }) => d.summary), cfg.eps);
    theory = typeof tp === 'string'
      ? { ok: false, reason: tp }
      : { ok: true, params: tp.params, regime: tp.regime, points: theoryNs(cfg.N_grid).map((N) => ({ N, H_N: theoryHN(tp.params, N) })) };
  }

  return {
    arch,
    seeds,
    trainedSeeds: runs.map((r) => r.record.seed),
    hn,
    envelope,
    envelopeFit,
    seedEnvelopes,
    tauEnv,
    bestCounts,
    alpha,
    alphaMedian: median(reliable.map((a) => a.alpha)),
    sigmaMedian: median(reliable.map((a) => a.sigma)),
    reliableCount: reliable.length,
    master,
    seedMasters,
    masterSlope: meanStd(fitted.map((m) => m.slope)),
    masterIntercept: meanStd(fitted.map((m) => m.intercept)),
    tau: taus.filter((t) => Number.isFinite(t) && t > 0),
    tauInfinite: taus.filter((t) => t === Infinity).length,
    tauNaN: taus.filter((t) => Number.isNaN(t)).length,
    tauClosedForm: arch === 'const' ? constTau(cfg.const_s) : null,
    curve,
    theory,
  };
}

/** Everything the report shows, from an export bundle. */
export function buildReportData(b: ExportBundle): ReportData {
  const cfg = b.config;
  const notes: string[] = [];
  const finished = b.runs.filter((r): r is { record: RunRecord; result: RunResult } => isFinished(r.record.status) && r.result !== null);
  const order = cfg.models.length > 0 ? cfg.models : ARCH_NAMES;
  const archs = order
    .map((m) => finished.filter((r) => r.record.arch === m))
    .filter((rs) => rs.length > 0)
    .map((rs) => archReport(rs[0]!.record.arch, rs, cfg));

  const runs: ReportRunRow[] = b.runs.map(({ record: x, result: res }) => ({
    id: x.id, arch: x.arch, seed: x.seed, status: x.status,
    kernels: x.kernels ?? res?.kernelsName ?? '',
    epochs: res ? res.curve.length : x.epochsDone,
    wallS: x.wallMs !== null ? x.wallMs / 1000 : res ? res.wallMs / 1000 : null,
    diagnostics: res ? (res.diagnostics ? 'done' : (res.diagnosticsStatus ?? 'skipped')) : '',
    error: x.error ?? '',
  }));

  for (const { record: x, result: res } of b.runs) {
    const who = `Run ${x.id} (${x.arch}, seed ${x.seed})`;
    if (!isFinished(x.status)) notes.push(`${who} is ${x.status}: not included.`);
    else if (x.status === 'failed') notes.push(`${who} failed${x.error ? `: ${x.error}` : ''}.`);
    else if (x.status === 'diverged') notes.push(`${who} diverged at epoch ${res?.divergedEpoch ?? '?'}; its diagnostics use the last finite parameters.`);
    else if (x.status === 'cancelled') notes.push(`${who} was cancelled.`);
    if (isFinished(x.status) && res && !res.diagnostics && x.status !== 'failed') {
      notes.push(`${who} has no diagnostics (${res.diagnosticsStatus ?? 'not run'}).`);
    }
    if (isFinished(x.status) && !res && x.status !== 'failed' && x.status !== 'cancelled') notes.push(`${who} has no stored result.`);
  }
  for (const a of archs) {
    if (a.seeds.length === 0) continue;
    if (!a.theory.ok) notes.push(`${a.arch}: no theory curve: ${a.theory.reason}.`);
    const skipped = a.seedMasters.filter((m): m is { seed: number; skipped: string } => 'skipped' in m);
    if (skipped.length > 0) notes.push(`${a.arch}: master-law fit skipped for seed${skipped.length > 1 ? 's' : ''} ${skipped.map((m) => m.seed).join(', ')} (${skipped[0]!.skipped}).`);
    if (a.reliableCount === 0) notes.push(`${a.arch}: no reliable α̂ at any lag.`);
  }
  if (archs.every((a) => a.seeds.length === 0)) notes.push('No finished run has diagnostics: the figures and tables of the diagnostics are empty.');
  return { archs, runs, notes, Ns: [...cfg.N_grid] };
}
