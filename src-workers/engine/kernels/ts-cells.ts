/**
 * Reference loops of the fused per-step kernels of the five cells
 * (contracts in ./types.ts; the math in SCIENCE.md §2 and §5). Plain
 * TypeScript over any FloatArray: every intermediate is a float64 JS number,
 * rounded only when stored. The WASM SIMD kernels are tested against these.
 */
import type { FloatArray } from './types';

function sigma(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

// ---------------------------------------------------------------------------
// rows
// ---------------------------------------------------------------------------

export function addRowBias(rows: number, n: number, out: FloatArray, outOff: number, ld: number, bias: FloatArray, biasOff: number): void {
  for (let r = 0; r < rows; r++) {
    const o = outOff + r * ld;
    for (let j = 0; j < n; j++) out[o + j] += bias[biasOff + j]!;
  }
}

/** Column sums in float64, one column at a time (rows in order). */
export function sumRows(rows: number, n: number, src: FloatArray, srcOff: number, ld: number, dst: FloatArray, dstOff: number): void {
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += src[srcOff + r * ld + j]!;
    dst[dstOff + j] = s;
  }
}

// ---------------------------------------------------------------------------
// const / shared / diag
// ---------------------------------------------------------------------------

export function gatedForward(
  B: number, H: number, G: number, constS: number, a: FloatArray, aOff: number, s: FloatArray, sOff: number,
  hp: FloatArray, hpOff: number, h: FloatArray, hOff: number, wOut: FloatArray, wOff: number, bOut: number,
  y: FloatArray, yOff: number,
): void {
  for (let b = 0; b < B; b++) {
    const ar = aOff + b * H, hpr = hpOff + b * H, hr = hOff + b * H, sr = sOff + b * G;
    // stored values are read back (rounded as backward will see them)
    let sb = constS;
    if (G === 1) {
      s[sr] = sigma(s[sr]!);
      sb = s[sr]!;
    }
    let yv = 0;
    for (let q = 0; q < H; q++) {
      let sv = sb;
      if (G > 1) {
        s[sr + q] = sigma(s[sr + q]!);
        sv = s[sr + q]!;
      }
      a[ar + q] = Math.tanh(a[ar + q]!);
      const ht = a[ar + q]!;
      const hpv = hp[hpr + q]!;
      h[hr + q] = hpv + sv * (ht - hpv);
      yv += h[hr + q]! * wOut[wOff + q]!;
    }
    y[yOff + b] = yv + bOut;
  }
}

export function gatedBackward(
  B: number, H: number, G: number, constS: number, a: FloatArray, aOff: number, s: FloatArray, sOff: number,
  hp: FloatArray, hpOff: number, dy: FloatArray, dyOff: number, wOut: FloatArray, wOff: number,
  carry: FloatArray, carryOff: number,
): void {
  for (let b = 0; b < B; b++) {
    const ar = aOff + b * H, hpr = hpOff + b * H, cr = carryOff + b * H, sr = sOff + b * G;
    const dyb = dy[dyOff + b]!;
    const sb = G === 1 ? s[sr]! : constS;
    let dsAcc = 0;
    for (let q = 0; q < H; q++) {
      const dh = carry[cr + q]! + dyb * wOut[wOff + q]!;
      const sv = G > 1 ? s[sr + q]! : sb;
      const ht = a[ar + q]!;
      const diff = ht - hp[hpr + q]!;
      a[ar + q] = dh * sv * (1 - ht * ht);
      if (G > 1) s[sr + q] = dh * diff * sv * (1 - sv);
      else if (G === 1) dsAcc += dh * diff;
      carry[cr + q] = dh * (1 - sv);
    }
    if (G === 1) s[sr] = dsAcc * sb * (1 - sb);
  }
}

export function gatedTangent(
  B: number, H: number, G: number, constS: number, a: FloatArray, aOff: number, s: FloatArray, sOff: number,
  hp: FloatArray, hpOff: number, vp: FloatArray, vpOff: number, da: FloatArray, daOff: number,
  dp: FloatArray, dpOff: number, v: FloatArray, vOff: number,
): void {
  for (let b = 0; b < B; b++) {
    const r = b * H, sr = b * G;
    const sb = G === 1 ? s[sOff + sr]! : constS;
    const dsb = G === 1 ? sb * (1 - sb) * dp[dpOff + sr]! : 0;
    for (let q = 0; q < H; q++) {
      const sv = G > 1 ? s[sOff + sr + q]! : sb;
      const ds = G > 1 ? sv * (1 - sv) * dp[dpOff + sr + q]! : dsb;
      const ht = a[aOff + r + q]!;
      v[vOff + r + q] = (1 - sv) * vp[vpOff + r + q]! + sv * (1 - ht * ht) * da[daOff + r + q]!
        + ds * (ht - hp[hpOff + r + q]!);
    }
  }
}

// ---------------------------------------------------------------------------
// GRU: gate rows [B][3H], blocks z, r, g
// ---------------------------------------------------------------------------

export function gruGates(B: number, H: number, gates: FloatArray, gOff: number, hp: FloatArray, hpOff: number, rh: FloatArray, rhOff: number): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const gb = gOff + b * G, hb = b * H;
    for (let q = 0; q < H; q++) {
      gates[gb + q] = sigma(gates[gb + q]!);
      gates[gb + H + q] = sigma(gates[gb + H + q]!);
      rh[rhOff + hb + q] = gates[gb + H + q]! * hp[hpOff + hb + q]!;
    }
  }
}

export function gruCell(B: number, H: number, gates: FloatArray, gOff: number, hp: FloatArray, hpOff: number, h: FloatArray, hOff: number): void {
  const G = 3 * H, H2 = 2 * H;
  for (let b = 0; b < B; b++) {
    const gb = gOff + b * G, hb = b * H;
    for (let q = 0; q < H; q++) {
      gates[gb + H2 + q] = Math.tanh(gates[gb + H2 + q]!);
      const z = gates[gb + q]!;
      const hpv = hp[hpOff + hb + q]!;
      h[hOff + hb + q] = hpv + z * (gates[gb + H2 + q]! - hpv);
    }
  }
}

export function gruCellBackward(
  B: number, H: number, gates: FloatArray, gOff: number, hp: FloatArray, hpOff: number,
  dy: FloatArray, dyOff: number, wOut: FloatArray, wOff: number, carry: FloatArray, carryOff: number,
): void {
  const G = 3 * H, H2 = 2 * H;
  for (let b = 0; b < B; b++) {
    const gb = gOff + b * G, hb = b * H;
    const dyb = dy[dyOff + b]!;
    for (let q = 0; q < H; q++) {
      const dh = carry[carryOff + hb + q]! + dyb * wOut[wOff + q]!;
      const z = gates[gb + q]!;
      const g = gates[gb + H2 + q]!;
      gates[gb + q] = dh * (g - hp[hpOff + hb + q]!) * z * (1 - z);
      gates[gb + H2 + q] = dh * z * (1 - g * g);
      carry[carryOff + hb + q] = dh * (1 - z);
    }
  }
}

export function gruResetBackward(
  B: number, H: number, gates: FloatArray, gOff: number, hp: FloatArray, hpOff: number,
  w: FloatArray, wOff: number, carry: FloatArray, carryOff: number,
): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const gr = gOff + b * G + H, hb = b * H;
    for (let q = 0; q < H; q++) {
      const r = gates[gr + q]!;
      const d = w[wOff + hb + q]!;
      gates[gr + q] = d * hp[hpOff + hb + q]! * r * (1 - r);
      carry[carryOff + hb + q] += d * r;
    }
  }
}

export function gruTangentGates(
  B: number, H: number, gates: FloatArray, gOff: number, hp: FloatArray, hpOff: number, vp: FloatArray, vpOff: number,
  tp: FloatArray, tpOff: number, w: FloatArray, wOff: number,
): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const gb = gOff + b * G, tb = tpOff + b * G, hb = b * H;
    for (let q = 0; q < H; q++) {
      const z = gates[gb + q]!;
      const r = gates[gb + H + q]!;
      tp[tb + q] = z * (1 - z) * tp[tb + q]!;
      const dr = r * (1 - r) * tp[tb + H + q]!;
      w[wOff + hb + q] = dr * hp[hpOff + hb + q]! + r * vp[vpOff + hb + q]!;
    }
  }
}

export function gruTangentCell(
  B: number, H: number, gates: FloatArray, gOff: number, hp: FloatArray, hpOff: number, vp: FloatArray, vpOff: number,
  tp: FloatArray, tpOff: number, v: FloatArray, vOff: number,
): void {
  const G = 3 * H, H2 = 2 * H;
  for (let b = 0; b < B; b++) {
    const gb = gOff + b * G, tb = tpOff + b * G, hb = b * H;
    for (let q = 0; q < H; q++) {
      const z = gates[gb + q]!;
      const g = gates[gb + H2 + q]!;
      v[vOff + hb + q] = (1 - z) * vp[vpOff + hb + q]! + tp[tb + q]! * (g - hp[hpOff + hb + q]!)
        + z * (1 - g * g) * tp[tb + H2 + q]!;
    }
  }
}

// ---------------------------------------------------------------------------
// LSTM: gate rows [B][4H], blocks i, f, o, g
// ---------------------------------------------------------------------------

export function lstmForward(
  B: number, H: number, gates: FloatArray, gOff: number, cp: FloatArray, cpOff: number,
  c: FloatArray, tc: FloatArray, h: FloatArray, hOff: number,
): void {
  const G = 4 * H, H2 = 2 * H, H3 = 3 * H;
  for (let b = 0; b < B; b++) {
    const gb = gOff + b * G, hb = b * H;
    for (let q = 0; q < H; q++) {
      gates[gb + q] = sigma(gates[gb + q]!);
      gates[gb + H + q] = sigma(gates[gb + H + q]!);
      gates[gb + H2 + q] = sigma(gates[gb + H2 + q]!);
      gates[gb + H3 + q] = Math.tanh(gates[gb + H3 + q]!);
      // read back the stored (rounded) gate values, as backward will see them
      const i = gates[gb + q]!, f = gates[gb + H + q]!, o = gates[gb + H2 + q]!, g = gates[gb + H3 + q]!;
      const k = hOff + hb + q;
      c[k] = f * cp[cpOff + hb + q]! + i * g;
      tc[k] = Math.tanh(c[k]!);
      h[k] = o * tc[k]!;
    }
  }
}

export function lstmBackward(
  B: number, H: number, gates: FloatArray, gOff: number, cp: FloatArray, cpOff: number, tc: FloatArray, tcOff: number,
  dy: FloatArray, dyOff: number, wOut: FloatArray, wOff: number, dhc: FloatArray, dhcOff: number,
  dcc: FloatArray, dccOff: number,
): void {
  const G = 4 * H, H2 = 2 * H, H3 = 3 * H;
  for (let b = 0; b < B; b++) {
    const gb = gOff + b * G, hb = b * H;
    const dyb = dy[dyOff + b]!;
    for (let q = 0; q < H; q++) {
      const dh = dhc[dhcOff + hb + q]! + dyb * wOut[wOff + q]!;
      const i = gates[gb + q]!, f = gates[gb + H + q]!, o = gates[gb + H2 + q]!, g = gates[gb + H3 + q]!;
      const t = tc[tcOff + hb + q]!;
      const cpv = cp[cpOff + hb + q]!;
      const dc = dcc[dccOff + hb + q]! + dh * o * (1 - t * t);
      gates[gb + q] = dc * g * i * (1 - i);
      gates[gb + H + q] = dc * cpv * f * (1 - f);
      gates[gb + H2 + q] = dh * t * o * (1 - o);
      gates[gb + H3 + q] = dc * i * (1 - g * g);
      dcc[dccOff + hb + q] = dc * f;
    }
  }
}

export function lstmTangent(
  B: number, H: number, gates: FloatArray, gOff: number, cp: FloatArray, cpOff: number, tc: FloatArray, tcOff: number,
  tp: FloatArray, tpOff: number, dc: FloatArray, dcOff: number, v: FloatArray, vOff: number,
): void {
  const G = 4 * H, H2 = 2 * H, H3 = 3 * H;
  for (let b = 0; b < B; b++) {
    const gb = gOff + b * G, tb = tpOff + b * G, hb = b * H;
    for (let q = 0; q < H; q++) {
      const i = gates[gb + q]!, f = gates[gb + H + q]!, o = gates[gb + H2 + q]!, g = gates[gb + H3 + q]!;
      const t = tc[tcOff + hb + q]!;
      const di = i * (1 - i) * tp[tb + q]!;
      const df = f * (1 - f) * tp[tb + H + q]!;
      const dO = o * (1 - o) * tp[tb + H2 + q]!;
      const dg = (1 - g * g) * tp[tb + H3 + q]!;
      const dct = df * cp[cpOff + hb + q]! + f * dc[dcOff + hb + q]! + di * g + i * dg;
      dc[dcOff + hb + q] = dct;
      v[vOff + hb + q] = dO * t + o * (1 - t * t) * dc[dcOff + hb + q]!;
    }
  }
}
