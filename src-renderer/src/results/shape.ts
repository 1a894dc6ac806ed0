/**
 * Shapes an experiment's stored results ONCE into per-architecture series
 * (seed aggregates with mean ± std, per-seed points, fits, theory curve) that
 * the chart option builders (results/options.ts) only read. Plain data, no
 * Vue: callers keep it in a shallowRef / markRaw (no deep reactivity over
 * paper-sized arrays).
 */
// types only: the configuration module (its zod schema) is not part of a results page's code
import type { ArchName, ExperimentConfig } from '../../../src-shared/config';
import type {
  EnvelopeFitsRecord, EnvelopeRegimeName, RunDiagnostics, RunRecord, RunResult,
} from '../../../src-shared/results';
import { kappa, theoryHN, type TheoryParams } from '../../../src-shared/theory-closed-form';
import {
  MASTER_ALPHA_FLOOR, aggregateByKey, boxStats, constTau, fitEnvelope, meanStd, olsLine,
  type BoxStats, type KeyedStat, type LineFit, type Stat,
} from './stats';
import type { AlphaPoint } from '../../../src-shared/theory-rule';
import { theoryNs, theoryParams } from './theory-rule';

/** A finished run with its stored result. */
export interface LoadedRun {
  record: RunRecord;
  result: RunResult;
}

export interface SeedDiag {
  seed: number;
  runId: number;
  d: RunDiagnostics;
}

/** One tail estimate of one lag and seed (the theory rule's, src-shared/theory-rule.ts). */
export type { AlphaPoint };

export interface MasterPoint {
  seed: number;
  ell: number;
  /** -κ(max(α̂, 1.01)) log f̂ */
  x: number;
  /** log N_required */
  y: number;
}

export interface EnvelopeStat {
  ell: number;
  /** seed statistics of log_mu_l1_mean (the quantity the §6 regimes are fitted on) */
  logF: Stat;
  /** seed statistics of mu_l1_mean (f̂) */
  f: Stat;
}

export type TheoryCurve =
  | { ok: true; params: TheoryParams; regime: EnvelopeRegimeName; points: { N: number; H_N: number }[] }
  | { ok: false; reason: string };

export type SeedMaster = { seed: number; slope: number; intercept: number; r2: number; n: number } | { seed: number; skipped: string };

export const CURVE_KEYS = ['train_loss', 'val_loss', 'train_acc', 'val_acc'] as const;
export type CurveKey = (typeof CURVE_KEYS)[number];

export interface ArchResults {
  arch: ArchName;
  /** runs with a stored result (learning curves), in seed order */
  runs: { seed: number; runId: number; result: RunResult }[];
  /** runs with diagnostics */
  diags: SeedDiag[];
  seeds: number[];
  /** H_N per N across seeds */
  hn: KeyedStat[];
  envelope: EnvelopeStat[];
  /** regimes refitted on the seed-mean log envelope (null without diagnostics) */
  envelopeFit: EnvelopeFitsRecord | null;
  alphaPoints: AlphaPoint[];
  /** per lag: α̂ over seeds whose estimate is reliable */
  alpha: KeyedStat[];
  /** per lag: σ̂ over seeds whose estimate is reliable (and > 0) */
  sigma: KeyedStat[];
  /** per lag: N_required over seeds where it was detected (-1 skipped) */
  nreq: KeyedStat[];
  master: MasterPoint[];
  /** OLS over every seed's master points (pooled) */
  masterPooled: LineFit;
  seedMasters: SeedMaster[];
  /** slope over seeds whose own fit was not skipped */
  masterSlope: Stat;
  /** finite positive per-unit τ of every seed */
  tau: number[];
  tauBox: BoxStats;
  tauInfinite: number;
  tauNaN: number;
  /** ConstGate only: -1/log(1 - const_s) */
  tauClosedForm: number | null;
  curves: Record<CurveKey, KeyedStat[]>;
  /** gate statistic → per-epoch seed aggregate */
  gates: Map<string, KeyedStat[]>;
  theory: TheoryCurve;
}

export interface ExperimentResults {
  archs: ArchResults[];
  /** the configuration's N grid */
  Ns: number[];
  eps: number;
}

/** The runs per architecture, in the configuration's order (without one: as the runs come), each in seed order. */
function byArch(runs: readonly LoadedRun[], cfg: ExperimentConfig): [ArchName, LoadedRun[]][] {
  const order = cfg.models.length > 0 ? cfg.models : [...new Set(runs.map((r) => r.record.arch))];
  return order
    .map((m) => [m, runs.filter((r) => r.record.arch === m).sort((a, b) => a.record.seed - b.record.seed)] as [ArchName, LoadedRun[]])
    .filter(([, rs]) => rs.length > 0);
}

function perLag(diags: readonly SeedDiag[], pick: (d: RunDiagnostics, i: number) => number, notDetected?: number): KeyedStat[] {
  return aggregateByKey(diags.map(({ d }) => ({ keys: d.lags.length === d.summary.length ? d.lags : d.summary.map((r) => r.ell), values: d.summary.map((_, i) => pick(d, i)) })), notDetected);
}

/** One architecture's series (runs: its runs with a result). */
export function shapeArch(arch: ArchName, runs: readonly LoadedRun[], cfg: ExperimentConfig): ArchResults {
  const diags: SeedDiag[] = runs.filter((r) => r.result.diagnostics).map((r) => ({ seed: r.record.seed, runId: r.record.id, d: r.result.diagnostics! }));

  const hn = aggregateByKey(diags.map(({ d }) => ({ keys: d.H_N.map((r) => r.N), values: d.H_N.map((r) => r.H_N) })));

  const logAgg = perLag(diags, (d, i) => d.summary[i]!.log_mu_l1_mean);
  const fAgg = perLag(diags, (d, i) => d.summary[i]!.mu_l1_mean);
  const envelope: EnvelopeStat[] = logAgg.map((l, i) => ({ ell: l.key, logF: l, f: fAgg[i]! }));
  const finite = envelope.filter((p) => Number.isFinite(p.logF.mean));
  const envelopeFit = diags.length > 0 ? fitEnvelope(finite.map((p) => p.ell), finite.map((p) => p.logF.mean)) : null;

  const alphaPoints: AlphaPoint[] = diags.flatMap(({ seed, d }) => d.summary.map((r) => ({
    seed, ell: r.ell, alpha: r.alpha_hat, sigma: r.sigma_alpha_hat, reliable: r.alpha_reliable,
  })));
  const alpha = perLag(diags, (d, i) => (d.summary[i]!.alpha_reliable ? d.summary[i]!.alpha_hat : NaN));
  const sigma = perLag(diags, (d, i) => {
    const r = d.summary[i]!;
    return r.alpha_reliable && r.sigma_alpha_hat > 0 ? r.sigma_alpha_hat : NaN;
  });
  const nreq = perLag(diags, (d, i) => d.summary[i]!.N_required_at_eps, -1);

  // Master law points exactly as fitMasterLaw builds them (§6).
  const master: MasterPoint[] = diags.flatMap(({ seed, d }) => d.summary.flatMap((r) => {
    const N = r.N_required_at_eps;
    const f = r.mu_l1_mean;
    const a = r.alpha_hat;
    if (!(Number.isFinite(N) && N > 0 && Number.isFinite(f) && f > 0 && Number.isFinite(a))) return [];
    return [{ seed, ell: r.ell, x: -kappa(Math.max(a, MASTER_ALPHA_FLOOR)) * Math.log(f), y: Math.log(N) }];
  }));
  const masterPooled = olsLine(master.map((p) => p.x), master.map((p) => p.y));
  const seedMasters: SeedMaster[] = diags.map(({ seed, d }) => ('skipped' in d.master ? { seed, skipped: d.master.skipped } : { seed, ...d.master }));
  const masterSlope = meanStd(seedMasters.flatMap((m) => ('slope' in m && Number.isFinite(m.slope) ? [m.slope] : [])));

  const allTau = diags.flatMap(({ d }) => d.tau.map((t) => t.tau));
  const tau = allTau.filter((t) => Number.isFinite(t) && t > 0);

  let theory: TheoryCurve;
  if (!envelopeFit) theory = { ok: false, reason: 'no diagnostics' };
  else {
    const tp = theoryParams(envelopeFit, alphaPoints, diags.map(({ d }) => d.summary), cfg.eps);
    theory = typeof tp === 'string'
      ? { ok: false, reason: tp }
      : { ok: true, params: tp.params, regime: tp.regime, points: theoryNs(cfg.N_grid).map((N) => ({ N, H_N: theoryHN(tp.params, N) })) };
  }

  return withRuns({
    arch,
    diags,
    seeds: diags.map((x) => x.seed),
    hn,
    envelope,
    envelopeFit,
    alphaPoints,
    alpha,
    sigma,
    nreq,
    master,
    masterPooled,
    seedMasters,
    masterSlope,
    tau,
    tauBox: boxStats(tau),
    tauInfinite: allTau.filter((t) => t === Infinity).length,
    tauNaN: allTau.filter((t) => Number.isNaN(t)).length,
    tauClosedForm: arch === 'const' ? constTau(cfg.const_s) : null,
    theory,
  }, runs.map((r) => ({ seed: r.record.seed, runId: r.record.id, result: r.result })));
}

type ArchBase = Omit<ArchResults, 'runs' | 'curves' | 'gates'>;

/**
 * `base` with its runs, and the learning curves and gate statistics (most of
 * the points) aggregated from those runs when a chart first reads them.
 */
function withRuns(base: ArchBase, runs: ArchResults['runs']): ArchResults {
  const curve = (k: CurveKey) => aggregateByKey(runs.map((r) => ({ keys: r.result.curve.map((c) => c.epoch), values: r.result.curve.map((c) => c[k]) })));
  const curves = () => ({ train_loss: curve('train_loss'), val_loss: curve('val_loss'), train_acc: curve('train_acc'), val_acc: curve('val_acc') });
  const gates = (): Map<string, KeyedStat[]> => {
    const gateRows = new Map<string, Map<number, { keys: number[]; values: number[] }>>();
    for (const r of runs) {
      for (const g of r.result.gateStats) {
        let perRun = gateRows.get(g.metric);
        if (!perRun) gateRows.set(g.metric, (perRun = new Map()));
        let s = perRun.get(r.runId);
        if (!s) perRun.set(r.runId, (s = { keys: [], values: [] }));
        s.keys.push(g.epoch);
        s.values.push(g.value);
      }
    }
    const out = new Map<string, KeyedStat[]>();
    for (const [metric, perRun] of gateRows) out.set(metric, aggregateByKey([...perRun.values()]));
    return out;
  };
  return lazyFields({ ...base, runs }, { curves, gates });
}

/** The learning curve and gate statistics of one run (what a lean result leaves out). */
export interface RunCurvesPart {
  curve: RunResult['curve'];
  gateStats: RunResult['gateStats'];
}

/**
 * `res` (shaped from results loaded without their learning curves and gate
 * statistics) with those of `curves` (runId → curves) put in: new
 * architecture objects whose runs carry them and whose `curves` / `gates`
 * aggregate them (lazily); every other field is shared with `res`, unread.
 * A run missing from `curves` keeps what it had.
 */
export function withCurves(res: ExperimentResults, curves: ReadonlyMap<number, RunCurvesPart>): ExperimentResults {
  return {
    ...res,
    archs: res.archs.map((a) => {
      // the fields' descriptors, so the lazy getters of `a` are neither copied as values nor run
      const d = Object.getOwnPropertyDescriptors(a) as Partial<Record<keyof ArchResults, PropertyDescriptor>>;
      delete d.runs;
      delete d.curves;
      delete d.gates;
      const base = Object.defineProperties({}, d as PropertyDescriptorMap) as ArchBase;
      return withRuns(base, a.runs.map((r) => {
        const c = curves.get(r.runId);
        return c ? { ...r, result: { ...r.result, curve: c.curve, gateStats: c.gateStats } } : r;
      }));
    }),
  };
}

/** `base` with the fields of `lazy` added as getters that compute their value once, on first read. */
function lazyFields<B extends object, L extends Record<string, unknown>>(base: B, lazy: { [K in keyof L]: () => L[K] }): B & L {
  for (const key of Object.keys(lazy) as (keyof L & string)[]) {
    let value: L[typeof key] | undefined;
    let done = false;
    Object.defineProperty(base, key, {
      enumerable: true,
      configurable: true,
      get: () => {
        if (!done) {
          value = lazy[key]();
          done = true;
        }
        return value;
      },
    });
  }
  return base as B & L;
}

/** Every architecture of an experiment, from its loaded runs (any status with a result). */
export function shapeExperiment(cfg: ExperimentConfig, runs: readonly LoadedRun[]): ExperimentResults {
  return { archs: byArch(runs, cfg).map(([arch, rs]) => shapeArch(arch, rs, cfg)), Ns: [...cfg.N_grid], eps: cfg.eps };
}

