import { describe, expect, it } from 'vitest';
import { ARCHS, RECORDED_TERMS, type Arch } from '../models/types';
import { deriveSeed, Rng } from '../rng';
import { DiagnosticsAccumulator, RESERVOIR_STREAM } from './accumulator';
import type { EnvelopeResult } from './envelope';
import { MuPrefix } from './mu';
import { LagSampleStore } from './sample-store';
import { accumulateRowByRow, randomTerms } from './test-helpers';
import { sweepWasmAvailable } from './wasm/sweep-wasm';

/**
 * The fused sweeps (TypeScript, sweep.ts) and their WebAssembly SIMD twin
 * (wasm/sweep-module.ts) evaluate the same IEEE operations in the same order
 * as the row-by-row definition path (MuPrefix.row → addRow → psi → push), so
 * all three must agree BIT FOR BIT: every ψ sample kept, every mean, every
 * envelope value. Random §4.1 terms include exact 0, values below 1e-12,
 * exact 1 and values above 1 (every clamp) and, over T = 240 steps, products
 * below 2^-512 (the renormalised prefix path).
 */

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

function expectSameEnvelope(a: EnvelopeResult, b: EnvelopeResult): void {
  expect(same(a.muL1Mean, b.muL1Mean)).toBe(true);
  expect(same(a.logMuL1Mean, b.logMuL1Mean)).toBe(true);
  a.muUnits.forEach((u, i) => expect(same(u, b.muUnits[i]!)).toBe(true));
}

function expectSameStores(a: LagSampleStore[], b: LagSampleStore[]): void {
  a.forEach((s, i) => {
    const r = b[i]!;
    expect(s.count).toBe(r.count);
    expect(Object.is(s.mean, r.mean)).toBe(true);
    expect(s.orientation).toBe(r.orientation);
    expect(same(s.firstSamples(), r.firstSamples())).toBe(true);
    expect(same(s.reservoir(), r.reservoir())).toBe(true);
  });
}

interface Case {
  arch: Arch;
  H: number;
  T: number;
  lags: number[];
  first: boolean;
  nSeq: number;
  B: number;
}

/** Random batches [T][B][H] (terms, tangent) and [T][B] (ŷ, y), deterministic per case. */
function batchesFor(c: Case, seed: number) {
  const out: { B: number; record: Record<string, Float64Array>; v: Float64Array; yhat: Float64Array; y: Float64Array }[] = [];
  const rng = new Rng(seed);
  for (let start = 0; start < c.nSeq; start += c.B) {
    const B = Math.min(c.B, c.nSeq - start);
    const record = randomTerms(c.arch, c.T, B, c.H, seed + start);
    const v = Float64Array.from({ length: c.T * B * c.H }, () => rng.gaussian());
    const yhat = Float64Array.from({ length: c.T * B }, () => rng.gaussian());
    const y = Float64Array.from({ length: c.T * B }, () => rng.gaussian());
    out.push({ B, record, v, yhat, y });
  }
  return out;
}

const W_OUT = Float64Array.from([9, -0.7, 1.3, 0.45, -2.1, 0.8, 0.05]); // W_out at offset 1

function storesFor(c: Case, firstCap: number, reservoirSize: number): LagSampleStore[] {
  return c.lags.map((l) => new LagSampleStore({ seed: deriveSeed(7, RESERVOIR_STREAM, l), firstCap, reservoirSize }));
}

function accumulate(c: Case, engine: 'wasm' | 'js', batches: ReturnType<typeof batchesFor>, precision?: 'f32' | 'f64') {
  const acc = new DiagnosticsAccumulator({
    arch: c.arch, H: c.H, T: c.T, lags: c.lags, includeFirstOrder: c.first, wSeed: 7, firstCap: 400, reservoirSize: 97,
    engine, ...(precision ? { batchArrays: { B: c.B, precision } } : {}),
  });
  expect(acc.engine).toBe(engine);
  const views = acc.batchArrays();
  for (const bt of batches) {
    if (views) {
      // fill the arrays in the engine's memory (as the model and task do)
      for (const name of RECORDED_TERMS[c.arch]) views.record[name]!.set(bt.record[name]!);
      views.v.set(bt.v);
      views.yhat.set(bt.yhat);
      views.y.set(bt.y);
      acc.addBatch({ B: bt.B, record: views.record, v: views.v, yhat: views.yhat, y: views.y, wOut: W_OUT, wOff: 1 });
    } else {
      acc.addBatch({ ...bt, wOut: W_OUT, wOff: 1 });
    }
  }
  return { acc, env: acc.finish(true) };
}

/** The batches rounded to float32, as a float32 model would record them. */
function toF32(batches: ReturnType<typeof batchesFor>): ReturnType<typeof batchesFor> {
  return batches.map((b) => {
    const record: Record<string, Float64Array> = {};
    for (const [k, a] of Object.entries(b.record)) record[k] = Float64Array.from(a, Math.fround);
    return { B: b.B, record, v: Float64Array.from(b.v, Math.fround), yhat: Float64Array.from(b.yhat, Math.fround), y: Float64Array.from(b.y, Math.fround) };
  });
}

describe('fused sweeps = the row-by-row definition path, bit for bit', () => {
  const cases: Case[] = [];
  for (const arch of ARCHS) {
    for (const first of [true, false]) cases.push({ arch, H: arch === 'gru' ? 5 : 4, T: 240, lags: [1, 2, 7, 40, 150, 239], first, nSeq: 5, B: 2 });
  }
  for (const c of cases) {
    it(`${c.arch}, first order ${c.first ? 1 : 0}, H ${c.H}: TypeScript and WebAssembly engines`, () => {
      const batches = batchesFor(c, 100 + ARCHS.indexOf(c.arch) * 2 + (c.first ? 1 : 0));
      // the random terms reach the renormalised prefixes (products < 2^-512)
      const p = new MuPrefix(c.arch, c.H, c.T, c.first);
      p.build(batches[0]!.record, batches[0]!.B, c.T, 0);
      expect(p.flatUntil).toBeLessThan(200);

      const refStores = storesFor(c, 400, 97);
      const refEnv = accumulateRowByRow(c.arch, c.H, c.T, c.lags, c.first, batches, W_OUT, 1, refStores);
      const js = accumulate(c, 'js', batches);
      expectSameEnvelope(js.env, refEnv);
      expectSameStores(js.acc.stores, refStores);
      if (!sweepWasmAvailable()) return;
      const wasm = accumulate(c, 'wasm', batches);
      expectSameEnvelope(wasm.env, refEnv);
      expectSameStores(wasm.acc.stores, refStores);
    });
  }

  it('WebAssembly engine reading its own f32 / f64 batch arrays in place (odd and even H)', () => {
    if (!sweepWasmAvailable()) return;
    for (const arch of ['diag', 'gru', 'lstm'] as Arch[]) {
      for (const H of [3, 6]) {
        const c: Case = { arch, H, T: 90, lags: [1, 5, 33, 89], first: true, nSeq: 5, B: 3 };
        for (const precision of ['f32', 'f64'] as const) {
          const raw = batchesFor(c, 7 + H);
          const batches = precision === 'f32' ? toF32(raw) : raw;
          const refStores = storesFor(c, 400, 97);
          const refEnv = accumulateRowByRow(c.arch, c.H, c.T, c.lags, c.first, batches, W_OUT, 1, refStores);
          const wasm = accumulate(c, 'wasm', batches, precision);
          expectSameEnvelope(wasm.env, refEnv);
          expectSameStores(wasm.acc.stores, refStores);
        }
      }
    }
  });

  it('the batch arrays live in the engine memory, sized [T][B][H] per term', () => {
    if (!sweepWasmAvailable()) return;
    const acc = new DiagnosticsAccumulator({
      arch: 'lstm', H: 4, T: 10, lags: [1, 3], includeFirstOrder: true, wSeed: 1, firstCap: 5,
      engine: 'wasm', batchArrays: { B: 6, precision: 'f32' },
    });
    const views = acc.batchArrays()!;
    expect(Object.keys(views.record).sort()).toEqual([...RECORDED_TERMS.lstm].sort());
    for (const name of RECORDED_TERMS.lstm) {
      expect(views.record[name]).toBeInstanceOf(Float32Array);
      expect(views.record[name]!.length).toBe(10 * 6 * 4);
    }
    expect(views.v.length).toBe(10 * 6 * 4);
    expect(views.yhat.length).toBe(60);
    expect(views.y.length).toBe(60);
    expect(new DiagnosticsAccumulator({ arch: 'const', H: 2, T: 5, lags: [1], includeFirstOrder: false, wSeed: 0, firstCap: 1, engine: 'js' }).batchArrays()).toBeNull();
  });
});
