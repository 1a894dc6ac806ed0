/**
 * The WebAssembly SIMD (f32x4) fast path of the engine's kernels
 * (DESIGN.md §3; design notes in ./README.md).
 *
 * One fixed-size WebAssembly.Memory per instance, created at construction
 * and never grown (growing would detach every Float32Array view that models
 * hold). Layout, in bytes:
 *
 *   [0, STATIC_BYTES)                    the module's own static data
 *   [STATIC_BYTES, + SCRATCH_BYTES)      gemmNT's transposed-B scratch
 *   [PACK_START, + 256 KiB)              the GEMM's packed Â panels
 *   [ARENA_START, + capacityFloats·4)    the bump-allocated arena (`alloc`)
 *
 * Compilation and instantiation are synchronous, so models can be built in a
 * constructor, on the Node main thread or in a worker. Every kernel call
 * checks (O(1), allocation-free) that its arrays are views of this instance's
 * memory and that the addressed blocks lie inside them, then passes byte
 * pointers to the module.
 */
import type { Kernels } from '../types';
import { kernelsWasmBytes } from './kernels-wasm-bytes';

/** The subset of the WebAssembly JS API used here (lib.dom is not loaded). */
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number }) => WasmMemory;
}

type GemmFn = (m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number,
  c: number, ldc: number, beta: number) => void;
type MapFn = (x: number, out: number, n: number) => void;
/** (rows, H, d, ld, xhat, invStd, gain, dGain, dBias): LayerNorm backward and tangent */
type LnFn = (rows: number, H: number, d: number, ld: number, xhat: number, invStd: number,
  gain: number, dGain: number, dBias: number) => void;

interface KernelExports {
  heapBase(): number;
  setScratch(ptr: number, floats: number): void;
  setPackScratch(ptr: number, floats: number): void;
  gemmNN: GemmFn;
  gemmNT: GemmFn;
  gemmTN: GemmFn;
  sigmoid: MapFn;
  tanh: MapFn;
  addRowBias(rows: number, n: number, out: number, ld: number, bias: number): void;
  sumRows(rows: number, n: number, src: number, ld: number, dst: number): void;
  layerNormForward(rows: number, H: number, x: number, ld: number, xhat: number, invStd: number,
    gain: number, bias: number): void;
  layerNormBackward: LnFn;
  layerNormTangent: LnFn;
  gatedForward(B: number, H: number, G: number, constS: number, a: number, s: number, hp: number, h: number,
    w: number, bOut: number, y: number): void;
  gatedBackward(B: number, H: number, G: number, constS: number, a: number, s: number, hp: number, dy: number,
    w: number, c: number): void;
  gatedTangent(B: number, H: number, G: number, constS: number, a: number, s: number, hp: number, vp: number,
    da: number, dp: number, v: number): void;
  gruGates(B: number, H: number, g: number, hp: number, rh: number): void;
  gruCell(B: number, H: number, g: number, hp: number, h: number): void;
  gruCellBackward(B: number, H: number, g: number, hp: number, dy: number, w: number, c: number): void;
  gruResetBackward(B: number, H: number, g: number, hp: number, wk: number, c: number): void;
  gruTangentGates(B: number, H: number, g: number, hp: number, vp: number, tp: number, wk: number): void;
  gruTangentCell(B: number, H: number, g: number, hp: number, vp: number, tp: number, v: number): void;
  lstmForward(B: number, H: number, g: number, cp: number, c: number, tc: number, h: number): void;
  lstmBackward(B: number, H: number, g: number, cp: number, tc: number, dy: number, w: number,
    dhc: number, dcc: number): void;
  lstmTangent(B: number, H: number, g: number, cp: number, tc: number, tp: number, dc: number, v: number): void;
}

const PAGE_BYTES = 65536;
/** wasm32 addresses at most 65536 pages (4 GiB). */
const MAX_PAGES = 65536;
/** Reserved for the module's static data (its __heap_base must lie below). */
const STATIC_BYTES = 4096;
/** gemmNT scratch: kc×nc ≤ 65536 floats (256 KiB) per transposed block. */
export const NT_SCRATCH_FLOATS = 65536;
const SCRATCH_BYTES = NT_SCRATCH_FLOATS * 4;
/** packed Â panels of the GEMM micro-kernels: rows × kc ≤ 65536 floats (256 KiB) */
export const PACK_SCRATCH_FLOATS = 65536;
const PACK_START = STATIC_BYTES + SCRATCH_BYTES;
const ARENA_START = PACK_START + PACK_SCRATCH_FLOATS * 4;
/** alloc() returns views starting on 16-byte (4-float) boundaries. */
const ALIGN_FLOATS = 4;

export interface WasmKernels extends Kernels<Float32Array> {
  /** the arena size given at creation, in floats */
  readonly capacityFloats: number;
  /** floats of the arena handed out so far, alignment padding included */
  usedFloats(): number;
}

let compiled: object | undefined;

function wasmApi(): WasmApi {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('wasm kernels: WebAssembly is not available in this environment');
  return api;
}

/** Compiled once per thread (module compilation is the slow part). */
function kernelModule(api: WasmApi): object {
  if (compiled === undefined) {
    try {
      compiled = new api.Module(kernelsWasmBytes());
    } catch (e) {
      throw new Error(`wasm kernels: cannot compile the SIMD module (does this runtime support WebAssembly SIMD?): ${String(e)}`);
    }
  }
  return compiled;
}

function isCount(x: number): boolean {
  return Number.isInteger(x) && x >= 0;
}

export function createWasmKernels(opts: { capacityFloats: number }): WasmKernels {
  const capacity = opts.capacityFloats;
  if (!isCount(capacity)) {
    throw new Error(`wasm kernels: capacityFloats must be a non-negative integer, got ${capacity}`);
  }
  const totalBytes = ARENA_START + capacity * 4;
  const pages = Math.max(1, Math.ceil(totalBytes / PAGE_BYTES));
  if (pages > MAX_PAGES) {
    throw new Error(`wasm kernels: capacityFloats ${capacity} needs ${pages} pages of 64 KiB, `
      + `more than the ${MAX_PAGES} (4 GiB) a 32-bit WebAssembly memory can hold`);
  }

  const api = wasmApi();
  let memory: WasmMemory;
  try {
    memory = new api.Memory({ initial: pages, maximum: pages });
  } catch (e) {
    throw new Error(`wasm kernels: cannot create a ${pages}-page memory for capacityFloats ${capacity}: ${String(e)}`);
  }
  const ex = new api.Instance(kernelModule(api), { env: { memory } }).exports as unknown as KernelExports;
  if (ex.heapBase() > STATIC_BYTES) {
    throw new Error(`wasm kernels: module static data (${ex.heapBase()} bytes) exceeds the reserved ${STATIC_BYTES}`);
  }
  ex.setScratch(STATIC_BYTES, NT_SCRATCH_FLOATS);
  ex.setPackScratch(PACK_START, PACK_SCRATCH_FLOATS);

  const buffer = memory.buffer;
  const arenaEnd = ARENA_START + capacity * 4;
  let next = ARENA_START;

  function fail(op: string, msg: string): never {
    throw new Error(`wasm kernels: ${op}: ${msg}`);
  }

  /**
   * Byte pointer of element `off` of `arr`, after checking that it is a view
   * of this instance's memory and that [off, off + extent) lies inside it.
   * O(1) and allocation-free unless it throws.
   */
  function ptr(arr: Float32Array, off: number, extent: number, op: string, role: string): number {
    if (arr.buffer !== buffer) {
      throw new Error(`wasm kernels: ${op} ${role} is not an array of this kernel instance's memory `
        + '(arrays passed to wasm kernels must come from the same instance\'s alloc())');
    }
    if (!(Number.isInteger(off) && off >= 0 && off + extent <= arr.length)) {
      throw new Error(`wasm kernels: ${op} ${role} out of bounds: offset ${off} + extent ${extent} > length ${arr.length}`);
    }
    return arr.byteOffset + off * 4;
  }

  /** Extent (in floats) of a rows×cols row-major block with leading dimension ld. */
  function extent(rows: number, cols: number, ld: number, op: string, role: string, isOutput: boolean): number {
    if (rows === 0 || cols === 0) return 0;
    if (!isCount(ld) || (isOutput && rows > 1 && ld < cols)) {
      throw new Error(`wasm kernels: bad leading dimension ${ld} for ${op} ${role} (${rows}×${cols})`);
    }
    return (rows - 1) * ld + cols;
  }

  function checkDims(op: string, m: number, n: number, k: number, beta: number): void {
    if (!isCount(m) || !isCount(n) || !isCount(k)) {
      fail(op, `m, n, k must be non-negative integers, got ${m}, ${n}, ${k}`);
    }
    if (beta !== 0 && beta !== 1) fail(op, `beta must be 0 or 1, got ${beta}`);
  }

  /** Rows and width of a row kernel must be non-negative integers. */
  function checkRows(op: string, rows: number, n: number): void {
    if (!isCount(rows) || !isCount(n)) fail(op, `sizes must be non-negative integers, got ${rows}, ${n}`);
  }

  function checkGate(op: string, H: number, G: number): void {
    if (G !== 0 && G !== 1 && G !== H) fail(op, `gate width G must be 0, 1 or H (${H}), got ${G}`);
  }

  function map(fn: MapFn, op: string, x: Float32Array, xOff: number, out: Float32Array, outOff: number, n: number): void {
    if (!isCount(n)) fail(op, `n must be a non-negative integer, got ${n}`);
    const xp = ptr(x, xOff, n, op, 'x');
    const op_ = ptr(out, outOff, n, op, 'out');
    if (xp !== op_ && Math.abs(xp - op_) < n * 4) {
      fail(op, 'x and out overlap without coinciding (only exact in-place is allowed)');
    }
    if (n > 0) fn(xp, op_, n);
  }

  /** Pointers of the LayerNorm kernels' arguments, checked: [x, xhat, invStd, gain, q0, q1]. */
  const lnPtrs = [0, 0, 0, 0, 0, 0];
  function lnArgs(op: string, rows: number, H: number, x: Float32Array, xOff: number, ldx: number,
    xhat: Float32Array, xhatOff: number, invStd: Float32Array, invStdOff: number,
    p: Float32Array, gainOff: number, q: Float32Array, qOff0: number, qOff1: number): boolean {
    checkRows(op, rows, H);
    lnPtrs[0] = ptr(x, xOff, extent(rows, H, ldx, op, 'x', true), op, 'x');
    lnPtrs[1] = ptr(xhat, xhatOff, rows * H, op, 'xhat');
    lnPtrs[2] = ptr(invStd, invStdOff, rows, op, 'invStd');
    lnPtrs[3] = ptr(p, gainOff, H, op, 'gain');
    lnPtrs[4] = ptr(q, qOff0, H, op, q === p ? 'bias' : 'dGain');
    lnPtrs[5] = ptr(q, qOff1, H, op, 'dBias');
    return rows > 0 && H > 0;
  }

  return {
    name: 'wasm-simd-f32',
    precision: 'f32',
    capacityFloats: capacity,
    usedFloats: () => (next - ARENA_START) / 4,

    alloc(n: number): Float32Array {
      if (!isCount(n)) throw new Error(`wasm kernels: alloc(n) needs a non-negative integer, got ${n}`);
      const start = next;
      if (start + n * 4 > arenaEnd) {
        const free = (arenaEnd - start) / 4;
        throw new Error(`wasm kernels: arena exhausted: alloc(${n}) needs ${n} floats but only ${free} of `
          + `capacityFloats ${capacity} are free (${capacity - free} used); create the kernels with a larger capacityFloats`);
      }
      // bump, keeping the next start 16-byte aligned; fresh memory is zero and never reused
      next = Math.min(arenaEnd, start + Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS * 4);
      return new Float32Array(buffer, start, n);
    },

    gemmNN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta) {
      const op = 'gemmNN';
      checkDims(op, m, n, k, beta);
      const pa = ptr(a, aOff, extent(m, k, lda, op, 'A', false), op, 'A');
      const pb = ptr(b, bOff, extent(k, n, ldb, op, 'B', false), op, 'B');
      const pc = ptr(c, cOff, extent(m, n, ldc, op, 'C', true), op, 'C');
      ex.gemmNN(m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
    },

    gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta) {
      const op = 'gemmNT';
      checkDims(op, m, n, k, beta);
      const pa = ptr(a, aOff, extent(m, k, lda, op, 'A', false), op, 'A');
      const pb = ptr(b, bOff, extent(n, k, ldb, op, 'B', false), op, 'B');
      const pc = ptr(c, cOff, extent(m, n, ldc, op, 'C', true), op, 'C');
      ex.gemmNT(m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
    },

    gemmTN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta) {
      const op = 'gemmTN';
      checkDims(op, m, n, k, beta);
      const pa = ptr(a, aOff, extent(k, m, lda, op, 'A', false), op, 'A');
      const pb = ptr(b, bOff, extent(k, n, ldb, op, 'B', false), op, 'B');
      const pc = ptr(c, cOff, extent(m, n, ldc, op, 'C', true), op, 'C');
      ex.gemmTN(m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
    },

    sigmoid(x, xOff, out, outOff, n) {
      map(ex.sigmoid, 'sigmoid', x, xOff, out, outOff, n);
    },

    tanh(x, xOff, out, outOff, n) {
      map(ex.tanh, 'tanh', x, xOff, out, outOff, n);
    },

    addRowBias(rows, n, out, outOff, ld, bias, biasOff) {
      const op = 'addRowBias';
      checkRows(op, rows, n);
      const po = ptr(out, outOff, extent(rows, n, ld, op, 'out', true), op, 'out');
      const pb = ptr(bias, biasOff, n, op, 'bias');
      ex.addRowBias(rows, n, po, ld, pb);
    },

    sumRows(rows, n, src, srcOff, ld, dst, dstOff) {
      const op = 'sumRows';
      checkRows(op, rows, n);
      const ps = ptr(src, srcOff, extent(rows, n, ld, op, 'src', false), op, 'src');
      const pd = ptr(dst, dstOff, n, op, 'dst');
      ex.sumRows(rows, n, ps, ld, pd);
    },

    layerNormForward(rows, H, x, xOff, ldx, xhat, xhatOff, invStd, invStdOff, p, gainOff, biasOff) {
      if (lnArgs('layerNormForward', rows, H, x, xOff, ldx, xhat, xhatOff, invStd, invStdOff, p, gainOff, p, biasOff, biasOff)) {
        const q = lnPtrs;
        ex.layerNormForward(rows, H, q[0]!, ldx, q[1]!, q[2]!, q[3]!, q[4]!);
      }
    },

    layerNormBackward(rows, H, d, dOff, ldd, xhat, xhatOff, invStd, invStdOff, p, gainOff, dp, dGainOff, dBiasOff) {
      if (lnArgs('layerNormBackward', rows, H, d, dOff, ldd, xhat, xhatOff, invStd, invStdOff, p, gainOff, dp, dGainOff, dBiasOff)) {
        const q = lnPtrs;
        ex.layerNormBackward(rows, H, q[0]!, ldd, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!);
      }
    },

    layerNormTangent(rows, H, d, dOff, ldd, xhat, xhatOff, invStd, invStdOff, p, gainOff, dir, dGainOff, dBiasOff) {
      if (lnArgs('layerNormTangent', rows, H, d, dOff, ldd, xhat, xhatOff, invStd, invStdOff, p, gainOff, dir, dGainOff, dBiasOff)) {
        const q = lnPtrs;
        ex.layerNormTangent(rows, H, q[0]!, ldd, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!);
      }
    },

    gatedForward(B, H, G, constS, a, aOff, s, sOff, hp, hpOff, h, hOff, wOut, wOff, bOut, y, yOff) {
      const op = 'gatedForward';
      checkRows(op, B, H);
      checkGate(op, H, G);
      const n = B * H;
      ex.gatedForward(B, H, G, constS, ptr(a, aOff, n, op, 'a'), ptr(s, sOff, B * G, op, 's'),
        ptr(hp, hpOff, n, op, 'hp'), ptr(h, hOff, n, op, 'h'), ptr(wOut, wOff, H, op, 'wOut'), bOut,
        ptr(y, yOff, B, op, 'y'));
    },

    gatedBackward(B, H, G, constS, a, aOff, s, sOff, hp, hpOff, dy, dyOff, wOut, wOff, carry, carryOff) {
      const op = 'gatedBackward';
      checkRows(op, B, H);
      checkGate(op, H, G);
      const n = B * H;
      ex.gatedBackward(B, H, G, constS, ptr(a, aOff, n, op, 'a'), ptr(s, sOff, B * G, op, 's'),
        ptr(hp, hpOff, n, op, 'hp'), ptr(dy, dyOff, B, op, 'dy'), ptr(wOut, wOff, H, op, 'wOut'),
        ptr(carry, carryOff, n, op, 'carry'));
    },

    gatedTangent(B, H, G, constS, a, aOff, s, sOff, hp, hpOff, vp, vpOff, da, daOff, dp, dpOff, v, vOff) {
      const op = 'gatedTangent';
      checkRows(op, B, H);
      checkGate(op, H, G);
      const n = B * H;
      ex.gatedTangent(B, H, G, constS, ptr(a, aOff, n, op, 'a'), ptr(s, sOff, B * G, op, 's'),
        ptr(hp, hpOff, n, op, 'hp'), ptr(vp, vpOff, n, op, 'vp'), ptr(da, daOff, n, op, 'da'),
        ptr(dp, dpOff, B * G, op, 'dp'), ptr(v, vOff, n, op, 'v'));
    },

    gruGates(B, H, gates, gOff, hp, hpOff, rh, rhOff) {
      const op = 'gruGates';
      checkRows(op, B, H);
      const n = B * H;
      ex.gruGates(B, H, ptr(gates, gOff, 3 * n, op, 'gates'), ptr(hp, hpOff, n, op, 'hp'), ptr(rh, rhOff, n, op, 'rh'));
    },

    gruCell(B, H, gates, gOff, hp, hpOff, h, hOff) {
      const op = 'gruCell';
      checkRows(op, B, H);
      const n = B * H;
      ex.gruCell(B, H, ptr(gates, gOff, 3 * n, op, 'gates'), ptr(hp, hpOff, n, op, 'hp'), ptr(h, hOff, n, op, 'h'));
    },

    gruCellBackward(B, H, gates, gOff, hp, hpOff, dy, dyOff, wOut, wOff, carry, carryOff) {
      const op = 'gruCellBackward';
      checkRows(op, B, H);
      const n = B * H;
      ex.gruCellBackward(B, H, ptr(gates, gOff, 3 * n, op, 'gates'), ptr(hp, hpOff, n, op, 'hp'),
        ptr(dy, dyOff, B, op, 'dy'), ptr(wOut, wOff, H, op, 'wOut'), ptr(carry, carryOff, n, op, 'carry'));
    },

    gruResetBackward(B, H, gates, gOff, hp, hpOff, w, wOff, carry, carryOff) {
      const op = 'gruResetBackward';
      checkRows(op, B, H);
      const n = B * H;
      ex.gruResetBackward(B, H, ptr(gates, gOff, 3 * n, op, 'gates'), ptr(hp, hpOff, n, op, 'hp'),
        ptr(w, wOff, n, op, 'w'), ptr(carry, carryOff, n, op, 'carry'));
    },

    gruTangentGates(B, H, gates, gOff, hp, hpOff, vp, vpOff, tp, tpOff, w, wOff) {
      const op = 'gruTangentGates';
      checkRows(op, B, H);
      const n = B * H;
      ex.gruTangentGates(B, H, ptr(gates, gOff, 3 * n, op, 'gates'), ptr(hp, hpOff, n, op, 'hp'),
        ptr(vp, vpOff, n, op, 'vp'), ptr(tp, tpOff, 3 * n, op, 'tp'), ptr(w, wOff, n, op, 'w'));
    },

    gruTangentCell(B, H, gates, gOff, hp, hpOff, vp, vpOff, tp, tpOff, v, vOff) {
      const op = 'gruTangentCell';
      checkRows(op, B, H);
      const n = B * H;
      ex.gruTangentCell(B, H, ptr(gates, gOff, 3 * n, op, 'gates'), ptr(hp, hpOff, n, op, 'hp'),
        ptr(vp, vpOff, n, op, 'vp'), ptr(tp, tpOff, 3 * n, op, 'tp'), ptr(v, vOff, n, op, 'v'));
    },

    lstmForward(B, H, gates, gOff, cp, cpOff, c, tc, h, hOff) {
      const op = 'lstmForward';
      checkRows(op, B, H);
      const n = B * H;
      ex.lstmForward(B, H, ptr(gates, gOff, 4 * n, op, 'gates'), ptr(cp, cpOff, n, op, 'cp'),
        ptr(c, hOff, n, op, 'c'), ptr(tc, hOff, n, op, 'tc'), ptr(h, hOff, n, op, 'h'));
    },

    lstmBackward(B, H, gates, gOff, cp, cpOff, tc, tcOff, dy, dyOff, wOut, wOff, dhc, dhcOff, dcc, dccOff) {
      const op = 'lstmBackward';
      checkRows(op, B, H);
      const n = B * H;
      ex.lstmBackward(B, H, ptr(gates, gOff, 4 * n, op, 'gates'), ptr(cp, cpOff, n, op, 'cp'),
        ptr(tc, tcOff, n, op, 'tc'), ptr(dy, dyOff, B, op, 'dy'), ptr(wOut, wOff, H, op, 'wOut'),
        ptr(dhc, dhcOff, n, op, 'dhc'), ptr(dcc, dccOff, n, op, 'dcc'));
    },

    lstmTangent(B, H, gates, gOff, cp, cpOff, tc, tcOff, tp, tpOff, dc, dcOff, v, vOff) {
      const op = 'lstmTangent';
      checkRows(op, B, H);
      const n = B * H;
      ex.lstmTangent(B, H, ptr(gates, gOff, 4 * n, op, 'gates'), ptr(cp, cpOff, n, op, 'cp'),
        ptr(tc, tcOff, n, op, 'tc'), ptr(tp, tpOff, 4 * n, op, 'tp'), ptr(dc, dcOff, n, op, 'dc'),
        ptr(v, vOff, n, op, 'v'));
    },
  };
}
