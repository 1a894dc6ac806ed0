/**
 * The standard symmetric α-stable law SαS(α, scale 1), characteristic
 * function exp(-|t|^α), 1 ≤ α ≤ 2 (SCIENCE.md §5.1). α = 2 is the normal law
 * with variance 2, α = 1 the Cauchy law.
 *
 * Distribution function (x > 0, 1 < α ≤ 2): Zolotarev's integral in Nolan's
 * form (β = 0, so θ0 = ζ = 0), written in u = π/2 - θ ∈ (0, π/2):
 *
 *   1 - F(x) = (1/π) ∫_0^{π/2} exp(-g(u)) du,
 *   f(x)     = α / (π (α-1) x) ∫_0^{π/2} g(u) exp(-g(u)) du,
 *   log g(u) = a log x + (a-1) log cos θ - a log sin(αθ) + log cos((α-1)θ),
 *
 * with a = α/(α-1), θ = π/2 - u. g increases monotonically from 0 (or x²/4
 * at α = 2) to +∞, so the integrand is a smooth monotone step. We locate the
 * points where log g crosses a few fixed levels (safeguarded Newton in the
 * logit variable v = log(u/θ), in which log g is asymptotically linear at
 * both ends) and integrate each piece with adaptive Gauss–Kronrod (7/15)
 * under a relative tolerance; the integrand is positive, so the result is
 * relatively accurate, far tails included. The u-parametrisation keeps full
 * relative precision of cos θ = sin u near θ = π/2 (where tail mass lives).
 *
 * Near x = 0 (|x| < 0.3) the power series of the Fourier inversion
 * F(x) = 1/2 + (1/π) Σ_k (-1)^k x^{2k+1} Γ((2k+1)/α) / (α (2k+1)!)
 * is used instead (entire for α > 1). α within 1e-12 of 1 uses the Cauchy
 * closed forms (the representation degenerates there; the error is O(α-1)).
 */
import type { Rng } from '../rng';

const PI = Math.PI;
const HALF_PI = Math.PI / 2;
const SERIES_X = 0.3;
const CAUCHY_EPS = 1e-12;

// ---------------------------------------------------------------------------
// Gamma function (Lanczos, g = 7, n = 9; relative error ~1e-15 for z ≥ 0.5)
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** Γ(z) for real z > 0 (reflection below 0.5). */
export function gammaFn(z: number): number {
  if (z < 0.5) return PI / (Math.sin(PI * z) * gammaFn(1 - z));
  const zz = z - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (zz + i);
  const t = zz + 7.5;
  return Math.sqrt(2 * PI) * Math.pow(t, zz + 0.5) * Math.exp(-t) * s;
}

// ---------------------------------------------------------------------------
// Gauss–Kronrod 7/15 nodes and weights on [-1, 1] (QUADPACK qk15).
const XGK = [
  0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
  0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
  0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
  0.207784955007898467600689403773245, 0.0,
];
const WGK = [
  0.02293532201052922496373200805897, 0.063092092629978553290700663189204,
  0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
  0.16900472663926790282658342659855, 0.190350578064785409913256402421014,
  0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
];
// Gauss weights for the nodes XGK[1], XGK[3], XGK[5], XGK[7].
const WG = [
  0.129484966168869693270611432679082, 0.27970539148927666790146777142378,
  0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
];

/** Exposed for tests: the Kronrod and Gauss sums of f on [lo, hi]. */
export function gk15(f: (x: number) => number, lo: number, hi: number): { kronrod: number; gauss: number } {
  const c = 0.5 * (lo + hi);
  const h = 0.5 * (hi - lo);
  const fc = f(c);
  let k = WGK[7]! * fc;
  let g = WG[3]! * fc;
  for (let j = 0; j < 7; j++) {
    const d = h * XGK[j]!;
    const s = f(c - d) + f(c + d);
    k += WGK[j]! * s;
    if (j % 2 === 1) g += WG[(j - 1) >> 1]! * s;
  }
  return { kronrod: k * h, gauss: g * h };
}

// ---------------------------------------------------------------------------
// Zolotarev integrand state (module scratch: no allocation per evaluation).
let zAlpha = 1.5;
let zA = 3; // a = α/(α-1)
let zAm1 = 2; // a - 1 = 1/(α-1)
let zLogX = 0; // a·log x
let zC0 = 0.25 * PI; // (2-α)π/2

/** log g at u ∈ (0, π/2), θ = π/2 - u. */
function logG(u: number): number {
  if (zAlpha === 2) return zLogX - 2 * Math.log(2 * Math.cos(u)); // x²/(4 sin²θ)
  const theta = HALF_PI - u;
  const at = zAlpha * theta;
  // sin(αθ): use sin(π - αθ) = sin((2-α)π/2 + αu) when αθ > π/2 (relative precision).
  const s1 = at <= HALF_PI ? Math.sin(at) : Math.sin(zC0 + zAlpha * u);
  // cos θ = sin u; cos((α-1)θ) = sin((2-α)π/2 + (α-1)u).
  return zLogX + zAm1 * Math.log(Math.sin(u)) - zA * Math.log(s1) + Math.log(Math.sin(zC0 + (zAlpha - 1) * u));
}

/** d log g / du. */
function dLogG(u: number): number {
  if (zAlpha === 2) return 2 * Math.tan(u);
  const theta = HALF_PI - u;
  const at = zAlpha * theta;
  // d/du[-a log sin(αθ)] = aα cot(αθ); cot(αθ) = -cot(π - αθ).
  const cotAt = at <= HALF_PI ? Math.cos(at) / Math.sin(at) : -1 / Math.tan(zC0 + zAlpha * u);
  const w = zC0 + (zAlpha - 1) * u;
  return zAm1 / Math.tan(u) + zA * zAlpha * cotAt + (zAlpha - 1) * (Math.cos(w) / Math.sin(w));
}

/** u(v) = (π/2)·σ(v). */
function uOfV(v: number): number {
  return HALF_PI / (1 + Math.exp(-v));
}

/** Solve log g(u(v)) = level by safeguarded Newton in v; returns u. */
function solveLevel(level: number, vStart: number, vLo: number, vHi: number): number {
  let lo = vLo;
  let hi = vHi;
  let v = vStart;
  for (let it = 0; it < 200; it++) {
    const u = uOfV(v);
    const r = logG(u) - level;
    if (r === 0 || !Number.isFinite(r)) {
      if (r === 0) return u;
      // Non-finite only at the extreme ends; move inwards.
      if (r > 0) hi = v;
      else lo = v;
      v = Number.isFinite(lo) && Number.isFinite(hi) ? 0.5 * (lo + hi) : v > 0 ? v - 2 : v + 2;
      continue;
    }
    if (r > 0) hi = v;
    else lo = v;
    const theta = HALF_PI - u;
    const dv = dLogG(u) * (u * theta) / HALF_PI;
    let step = dv > 0 ? -r / dv : NaN;
    if (!Number.isFinite(step)) step = r > 0 ? -2 : 2;
    if (step > 4) step = 4;
    if (step < -4) step = -4;
    let vn = v + step;
    if (!(vn > lo && vn < hi)) {
      if (Number.isFinite(lo) && Number.isFinite(hi)) vn = 0.5 * (lo + hi);
      else vn = v + (r > 0 ? -4 : 4);
    }
    if (Math.abs(vn - v) < 1e-10) return uOfV(vn);
    v = vn;
  }
  return uOfV(v);
}

// Adaptive Gauss–Kronrod on the two integrands exp(-g) and g·exp(-g).
const STACK_LO = new Float64Array(256);
const STACK_HI = new Float64Array(256);
const STACK_D = new Int32Array(256);
let accTail = 0;
let accDens = 0;

function panel(lo: number, hi: number, out: Float64Array): void {
  const c = 0.5 * (lo + hi);
  const h = 0.5 * (hi - lo);
  let kt = 0, gt = 0, kd = 0, gd = 0;
  for (let j = 0; j < 8; j++) {
    const d = h * XGK[j]!;
    const n = j === 7 ? 1 : 2;
    for (let side = 0; side < n; side++) {
      const u = side === 0 ? c - d : c + d;
      const gv = Math.exp(logG(u));
      const e = Math.exp(-gv);
      const ge = gv === Infinity ? 0 : gv * e;
      kt += WGK[j]! * e;
      kd += WGK[j]! * ge;
      if (j % 2 === 1) {
        gt += WG[(j - 1) >> 1]! * e;
        gd += WG[(j - 1) >> 1]! * ge;
      }
    }
  }
  out[0] = kt * h;
  out[1] = gt * h;
  out[2] = kd * h;
  out[3] = gd * h;
}

const PANEL = new Float64Array(4);
const REL_TOL = 1e-11;
/** Absolute floor, relative to the whole integral (rounding noise of log g near a sharp step). */
const FLOOR_TOL = 1e-15;
const MAX_PANELS = 4000;
let floorTail = 0;
let floorDens = 0;
let panelsLeft = 0;

function integratePiece(lo: number, hi: number): void {
  if (!(hi > lo)) return;
  STACK_LO[0] = lo;
  STACK_HI[0] = hi;
  STACK_D[0] = 0;
  let sp = 1;
  while (sp > 0) {
    sp--;
    const a = STACK_LO[sp]!;
    const b = STACK_HI[sp]!;
    const depth = STACK_D[sp]!;
    panel(a, b, PANEL);
    panelsLeft--;
    const kt = PANEL[0]!, gt = PANEL[1]!, kd = PANEL[2]!, gd = PANEL[3]!;
    const ok =
      Math.abs(kt - gt) <= REL_TOL * Math.abs(kt) + floorTail &&
      Math.abs(kd - gd) <= REL_TOL * Math.abs(kd) + floorDens;
    if (ok || depth >= 50 || sp >= 250 || panelsLeft <= 0 || !(b - a > 1e-300)) {
      accTail += kt;
      accDens += kd;
    } else {
      const m = 0.5 * (a + b);
      STACK_LO[sp] = a;
      STACK_HI[sp] = m;
      STACK_D[sp] = depth + 1;
      sp++;
      STACK_LO[sp] = m;
      STACK_HI[sp] = b;
      STACK_D[sp] = depth + 1;
      sp++;
    }
  }
}

// Levels of log g delimiting the pieces: g = e^-10 … e^6.5 (exp(-e^6.5) ≈ 1e-289).
const LEVELS = [0, -1.5, -4, -10, 1, 3, 6.5];
const ROOTS = new Float64Array(LEVELS.length);
const EDGES = new Float64Array(LEVELS.length + 2);

let outTail = 0;
let outPdf = 0;

/** Sets outTail = P(X > x) and outPdf = f(x) for x ≥ 0 (module scratch). */
function tailAndPdf(x: number, alpha: number): void {
  if (alpha - 1 < CAUCHY_EPS) {
    outTail = Math.atan2(1, x) / PI; // = 1/2 - atan(x)/π, accurate in the tail
    outPdf = 1 / (PI * (1 + x * x));
    return;
  }
  if (x === Infinity) {
    outTail = 0;
    outPdf = 0;
    return;
  }
  if (x < SERIES_X) {
    seriesTailPdf(x, alpha);
    return;
  }
  zAlpha = alpha;
  zAm1 = 1 / (alpha - 1);
  zA = alpha * zAm1;
  zLogX = zA * Math.log(x);
  zC0 = (2 - alpha) * HALF_PI;
  // Lowest value of log g (u → 0): -∞ for α < 2, log(x²/4) at α = 2.
  const lmin = alpha === 2 ? 2 * Math.log(0.5 * x) : -Infinity;
  if (lmin >= LEVELS[LEVELS.length - 1]!) {
    outTail = 0;
    outPdf = 0;
    return;
  }
  // Roots: level 0 first from v = 0, then outwards using bracketing by order.
  let nEdges = 0;
  const u0 = lmin < 0 ? solveLevel(0, 0, -Infinity, Infinity) : NaN;
  const v0 = Number.isFinite(u0) ? Math.log(u0 / (HALF_PI - u0)) : NaN;
  for (let i = 0; i < LEVELS.length; i++) {
    const lev = LEVELS[i]!;
    if (lev <= lmin) {
      ROOTS[i] = NaN;
      continue;
    }
    if (i === 0) {
      ROOTS[i] = u0;
      continue;
    }
    if (Number.isFinite(v0)) {
      ROOTS[i] = lev < 0 ? solveLevel(lev, v0 - 1, -Infinity, v0) : solveLevel(lev, v0 + 1, v0, Infinity);
    } else {
      ROOTS[i] = solveLevel(lev, 0, -Infinity, Infinity);
    }
  }
  EDGES[nEdges++] = 0;
  for (let i = 0; i < LEVELS.length; i++) {
    const r = ROOTS[i]!;
    if (Number.isFinite(r)) EDGES[nEdges++] = r;
  }
  // Sort edges (ascending); at most 8 entries.
  for (let i = 1; i < nEdges; i++) {
    const t = EDGES[i]!;
    let j = i - 1;
    while (j >= 0 && EDGES[j]! > t) {
      EDGES[j + 1] = EDGES[j]!;
      j--;
    }
    EDGES[j + 1] = t;
  }
  // Beyond the top level (g > e^6.5) both integrands are below 1e-280: dropped.
  // Pass 1: one panel per piece, for the size of the whole integral (absolute floor).
  let roughT = 0;
  let roughD = 0;
  for (let i = 0; i + 1 < nEdges; i++) {
    panel(EDGES[i]!, EDGES[i + 1]!, PANEL);
    roughT += Math.abs(PANEL[0]!);
    roughD += Math.abs(PANEL[2]!);
  }
  floorTail = FLOOR_TOL * roughT + 1e-300;
  floorDens = FLOOR_TOL * roughD + 1e-300;
  panelsLeft = MAX_PANELS;
  // Pass 2: adaptive on each piece.
  accTail = 0;
  accDens = 0;
  for (let i = 0; i + 1 < nEdges; i++) integratePiece(EDGES[i]!, EDGES[i + 1]!);
  outTail = accTail / PI;
  outPdf = (alpha * zAm1 * accDens) / (PI * x);
}

/** Fourier power series near 0 (§ header): tail = 1/2 - S(x), pdf = S'(x). */
function seriesTailPdf(x: number, alpha: number): void {
  let sumF = 0;
  let sumP = 0;
  let pw = x; // x^{2k+1}/(2k+1)!
  let pwd = 1; // x^{2k}/(2k)!
  for (let k = 0; k < 60; k++) {
    const m = 2 * k + 1;
    const gm = gammaFn(m / alpha) / alpha;
    const sgn = k % 2 === 0 ? 1 : -1;
    const tF = sgn * pw * gm;
    const tP = sgn * pwd * gm;
    sumF += tF;
    sumP += tP;
    if (Math.abs(tF) < 1e-18 * Math.abs(sumF) + 1e-300 && Math.abs(tP) < 1e-18 * Math.abs(sumP)) break;
    pw *= (x * x) / ((m + 1) * (m + 2));
    pwd *= (x * x) / ((m) * (m + 1));
  }
  outTail = 0.5 - sumF / PI;
  outPdf = sumP / PI;
}

function checkAlpha(alpha: number, fn: string): void {
  if (!(alpha >= 1 && alpha <= 2)) throw new RangeError(`${fn}: alpha must be in [1, 2], got ${alpha}`);
}

/** Distribution function of the standard SαS law (scale 1). */
export function stableCdf(x: number, alpha: number): number {
  checkAlpha(alpha, 'stableCdf');
  if (Number.isNaN(x)) return NaN;
  tailAndPdf(Math.abs(x), alpha);
  return x >= 0 ? 1 - outTail : outTail;
}

/** Survival function P(X > x), relatively accurate in the upper tail. */
export function stableSf(x: number, alpha: number): number {
  checkAlpha(alpha, 'stableSf');
  if (Number.isNaN(x)) return NaN;
  tailAndPdf(Math.abs(x), alpha);
  return x >= 0 ? outTail : 1 - outTail;
}

/** Density of the standard SαS law. */
export function stablePdf(x: number, alpha: number): number {
  checkAlpha(alpha, 'stablePdf');
  if (Number.isNaN(x)) return NaN;
  tailAndPdf(Math.abs(x), alpha);
  return outPdf;
}

/**
 * Quantile of the standard SαS law by safeguarded Newton on
 * φ(y) = log P(X > e^y) - log(1-p), y = log x (φ' = -x f(x)/P(X > x)),
 * with a bisection fallback inside the sign-change bracket. `guess` (> 0)
 * optionally seeds the search for p > 1/2.
 */
export function stableQuantile(p: number, alpha: number, guess?: number): number {
  checkAlpha(alpha, 'stableQuantile');
  if (Number.isNaN(p)) return NaN;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p === 0.5) return 0;
  if (p < 0.5) return -stableQuantile(1 - p, alpha, guess);
  const s = 1 - p; // target tail probability in (0, 1/2)
  if (alpha - 1 < CAUCHY_EPS) return 1 / Math.tan(PI * s);
  const logS = Math.log(s);
  // Start: Cauchy quantile (an upper bound for the heavier law) unless guessed.
  let y = guess !== undefined && guess > 0 ? Math.log(guess) : Math.log(1 / Math.tan(PI * s));
  let lo = -Infinity;
  let hi = Infinity;
  for (let it = 0; it < 200; it++) {
    const x = Math.exp(y);
    tailAndPdf(x, alpha);
    const T = outTail;
    const phi = Math.log(T) - logS;
    if (phi === 0) return x;
    if (phi > 0) lo = y;
    else hi = y;
    const dphi = T > 0 ? (-x * outPdf) / T : NaN;
    let yn = dphi < 0 ? y - phi / dphi : NaN;
    if (!Number.isFinite(yn) || Math.abs(yn - y) > 3) yn = y + (phi > 0 ? 3 : -3);
    if (!(yn > lo && yn < hi) && Number.isFinite(lo) && Number.isFinite(hi)) yn = 0.5 * (lo + hi);
    if (Math.abs(yn - y) < 1e-14) return Math.exp(yn);
    y = yn;
  }
  return Math.exp(y);
}

// ---------------------------------------------------------------------------
/**
 * Chambers–Mallows–Stuck sampler of SαS(α, scale) (§5.1):
 * X = scale · sin(αV)/cos(V)^{1/α} · (cos((1-α)V)/W)^{(1-α)/α},
 * V ~ U(-π/2, π/2), W ~ Exp(1). Two uniforms per sample (V then W).
 */
export function sampleStable(rng: Rng, alpha: number, scale: number, out: Float64Array): void {
  checkAlpha(alpha, 'sampleStable');
  if (!(scale >= 0 && Number.isFinite(scale))) throw new RangeError(`sampleStable: scale must be finite and >= 0, got ${scale}`);
  const invA = 1 / alpha;
  const e = (1 - alpha) / alpha;
  for (let i = 0; i < out.length; i++) {
    const V = PI * (rng.uniformOpen() - 0.5);
    const W = rng.exponential();
    if (alpha === 1) {
      out[i] = scale * Math.tan(V);
    } else {
      const cv = Math.cos(V);
      out[i] = scale * (Math.sin(alpha * V) / Math.pow(cv, invA)) * Math.pow(Math.cos((1 - alpha) * V) / W, e);
    }
  }
}

// ---------------------------------------------------------------------------
/** Number of points of the α grid on [1, 2] (step 0.005). */
export const ALPHA_GRID_POINTS = 201;

export interface StableRatioTable {
  /** α_i = 1 + i/200, i = 0..200 */
  readonly alpha: Float64Array;
  /** R(α) = (q95 - q05)/(q75 - q25) of the standard law (decreasing in α) */
  readonly R: Float64Array;
  /** IQR(α) = q75 - q25 of the standard law */
  readonly IQR: Float64Array;
  readonly q75: Float64Array;
  readonly q95: Float64Array;
}

let tableCache: StableRatioTable | null = null;

/** McCulloch's quantile-ratio table on the 201-point α grid, computed once and cached. */
export function stableRatioTable(): StableRatioTable {
  if (tableCache) return tableCache;
  const n = ALPHA_GRID_POINTS;
  const alpha = new Float64Array(n);
  const R = new Float64Array(n);
  const IQR = new Float64Array(n);
  const q75 = new Float64Array(n);
  const q95 = new Float64Array(n);
  let g75 = 1;
  let g95 = 1 / Math.tan(PI * 0.05);
  for (let i = 0; i < n; i++) {
    const a = i === n - 1 ? 2 : 1 + i / (n - 1);
    alpha[i] = a;
    // Continuation in α: the previous quantile seeds Newton (2-3 steps).
    g75 = stableQuantile(0.75, a, g75);
    g95 = stableQuantile(0.95, a, g95);
    q75[i] = g75;
    q95[i] = g95;
    // Symmetry: q05 = -q95, q25 = -q75.
    R[i] = g95 / g75;
    IQR[i] = 2 * g75;
  }
  tableCache = { alpha, R, IQR, q75, q95 };
  return tableCache;
}
