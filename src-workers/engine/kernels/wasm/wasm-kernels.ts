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
 *   [ARENA_START, + capacityFloats·4)    the bump-allocated arena (`alloc`)
 *
 * Compilation and instantiation are synchronous, so models can be built in a
 * constructor, on the Node main thread or in a worker. Every kernel call
 * checks that its arrays are views of this instance's memory and that the
 * addressed blocks lie inside them, then passes byte pointers to the module.
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

interface KernelExports {
  heapBase(): number;
  setScratch(ptr: number, floats: number): void;
  gemmNN: GemmFn;
  gemmNT: GemmFn;
  gemmTN: GemmFn;
  sigmoid: MapFn;
  tanh: MapFn;
}

const PAGE_BYTES = 65536;
/** wasm32 addresses at most 65536 pages (4 GiB). */
const MAX_PAGES = 65536;
/** Reserved for the module's static data (its __heap_base must lie below). */
const STATIC_BYTES = 4096;
/** gemmNT scratch: kc×nc ≤ 65536 floats (256 KiB) per transposed block. */
export const NT_SCRATCH_FLOATS = 65536;
const SCRATCH_BYTES = NT_SCRATCH_FLOATS * 4;
const ARENA_START = STATIC_BYTES + SCRATCH_BYTES;
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

  const buffer = memory.buffer;
  const arenaEnd = ARENA_START + capacity * 4;
  let next = ARENA_START;

  /** Byte pointer of element `off` of `arr`, after checking it is ours and in bounds. */
  function ptr(arr: Float32Array, off: number, extent: number, what: string): number {
    if (arr.buffer !== buffer) {
      throw new Error(`wasm kernels: ${what} is not an array of this kernel instance's memory `
        + '(arrays passed to wasm kernels must come from the same instance\'s alloc())');
    }
    if (!(Number.isInteger(off) && off >= 0 && off + extent <= arr.length)) {
      throw new Error(`wasm kernels: ${what} out of bounds: offset ${off} + extent ${extent} > length ${arr.length}`);
    }
    return arr.byteOffset + off * 4;
  }

  /** Extent (in floats) of a rows×cols row-major block with leading dimension ld. */
  function extent(rows: number, cols: number, ld: number, what: string, isOutput: boolean): number {
    if (rows === 0 || cols === 0) return 0;
    if (!isCount(ld) || (isOutput && rows > 1 && ld < cols)) {
      throw new Error(`wasm kernels: bad leading dimension ${ld} for ${what} (${rows}×${cols})`);
    }
    return (rows - 1) * ld + cols;
  }

  function checkDims(op: string, m: number, n: number, k: number, beta: number): void {
    if (!isCount(m) || !isCount(n) || !isCount(k)) {
      throw new Error(`wasm kernels: ${op}: m, n, k must be non-negative integers, got ${m}, ${n}, ${k}`);
    }
    if (beta !== 0 && beta !== 1) throw new Error(`wasm kernels: ${op}: beta must be 0 or 1, got ${beta}`);
  }

  function map(fn: MapFn, op: string, x: Float32Array, xOff: number, out: Float32Array, outOff: number, n: number): void {
    if (!isCount(n)) throw new Error(`wasm kernels: ${op}: n must be a non-negative integer, got ${n}`);
    const xp = ptr(x, xOff, n, `${op} x`);
    const op_ = ptr(out, outOff, n, `${op} out`);
    if (xp !== op_ && Math.abs(xp - op_) < n * 4) {
      throw new Error(`wasm kernels: ${op}: x and out overlap without coinciding (only exact in-place is allowed)`);
    }
    if (n > 0) fn(xp, op_, n);
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
      checkDims('gemmNN', m, n, k, beta);
      const pa = ptr(a, aOff, extent(m, k, lda, 'gemmNN A', false), 'gemmNN A');
      const pb = ptr(b, bOff, extent(k, n, ldb, 'gemmNN B', false), 'gemmNN B');
      const pc = ptr(c, cOff, extent(m, n, ldc, 'gemmNN C', true), 'gemmNN C');
      ex.gemmNN(m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
    },

    gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta) {
      checkDims('gemmNT', m, n, k, beta);
      const pa = ptr(a, aOff, extent(m, k, lda, 'gemmNT A', false), 'gemmNT A');
      const pb = ptr(b, bOff, extent(n, k, ldb, 'gemmNT B', false), 'gemmNT B');
      const pc = ptr(c, cOff, extent(m, n, ldc, 'gemmNT C', true), 'gemmNT C');
      ex.gemmNT(m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
    },

    gemmTN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta) {
      checkDims('gemmTN', m, n, k, beta);
      const pa = ptr(a, aOff, extent(k, m, lda, 'gemmTN A', false), 'gemmTN A');
      const pb = ptr(b, bOff, extent(k, n, ldb, 'gemmTN B', false), 'gemmTN B');
      const pc = ptr(c, cOff, extent(m, n, ldc, 'gemmTN C', true), 'gemmTN C');
      ex.gemmTN(m, n, k, pa, lda, pb, ldb, pc, ldc, beta);
    },

    sigmoid(x, xOff, out, outOff, n) {
      map(ex.sigmoid, 'sigmoid', x, xOff, out, outOff, n);
    },

    tanh(x, xOff, out, outOff, n) {
      map(ex.tanh, 'tanh', x, xOff, out, outOff, n);
    },
  };
}
