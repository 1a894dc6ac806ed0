/**
 * A minimal WebAssembly binary emitter: just enough to write the
 * diagnostics' numeric kernels (sweep.wasm.ts, ecf.wasm.ts) as TypeScript
 * that generates their bytecode at start-up, with no build step and no
 * generated file to keep in sync. Compiling such a module takes well under a
 * millisecond.
 *
 * Model: expressions are closures that push their value on the operand stack
 * (`Expr`), statements are methods of `Fn` that append code. Types are
 * checked by the WebAssembly validator when the module is compiled (tests
 * compile every module).
 *
 * Reference: WebAssembly Core Specification 2.0, §5 (binary format), and the
 * fixed-width SIMD proposal (opcodes prefixed by 0xfd).
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
const VAL: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Code that pushes one value on the operand stack. */
export type Expr = (f: Fn) => void;

export interface Local {
  readonly index: number;
  readonly type: ValType;
}

function uleb(out: number[], v: number): void {
  if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`uleb: ${v}`);
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
}

function sleb32(out: number[], v: number): void {
  if (!(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) throw new RangeError(`sleb32: ${v}`);
  let x = v | 0;
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}

function sleb64(out: number[], v: bigint): void {
  let x = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    const done = (x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}

const F64_SCRATCH = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64_SCRATCH.buffer);

/** One function body under construction. */
export class Fn {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(name: string, params: readonly ValType[], results: readonly ValType[]) {
    this.name = name;
    this.params = params;
    this.results = results;
  }

  /** The i-th parameter. */
  param(i: number): Local {
    const type = this.params[i];
    if (type === undefined) throw new RangeError(`${this.name}: no parameter ${i}`);
    return { index: i, type };
  }

  /** A fresh local of the given type (zero-initialised on entry). */
  local(type: ValType): Local {
    this.locals.push(type);
    return { index: this.params.length + this.locals.length - 1, type };
  }

  bytes(...b: number[]): void {
    for (const x of b) this.code.push(x);
  }

  u32(v: number): void {
    uleb(this.code, v);
  }

  i32const(v: number): void {
    this.code.push(0x41);
    sleb32(this.code, v);
  }

  i64const(v: bigint): void {
    this.code.push(0x42);
    sleb64(this.code, v);
  }

  f64const(v: number): void {
    this.code.push(0x44);
    F64_SCRATCH[0] = v;
    for (let i = 0; i < 8; i++) this.code.push(F64_BYTES[i]!); // little-endian on every supported host
  }

  /** Evaluate an expression (pushes its value). */
  push(e: Expr): void {
    e(this);
  }

  set(l: Local, e: Expr): void {
    e(this);
    this.code.push(0x21);
    uleb(this.code, l.index);
  }

  /** Evaluate and drop nothing: for expressions of type void (stores). */
  exec(e: Expr): void {
    e(this);
  }

  /** if (cond) { then } [else { otherwise }] */
  if(cond: Expr, then: () => void, otherwise?: () => void): void {
    cond(this);
    this.code.push(0x04, 0x40);
    then();
    if (otherwise) {
      this.code.push(0x05);
      otherwise();
    }
    this.code.push(0x0b);
  }

  /** while (cond) { body }, as `if (cond) do { body } while (cond)`. */
  while(cond: Expr, body: () => void): void {
    this.if(cond, () => {
      this.code.push(0x03, 0x40); // loop
      body();
      cond(this);
      this.code.push(0x0d, 0x00); // br_if 0 (the loop)
      this.code.push(0x0b);
    });
  }

  /** for (l = from; l < to; l += step) { body } over i32 (signed compare). */
  for(l: Local, from: Expr, to: Expr, step: number, body: () => void): void {
    this.set(l, from);
    this.while(lt(get(l), to), () => {
      body();
      this.set(l, add(get(l), i32(step)));
    });
  }

  /** return the value of e (or nothing). */
  return(e?: Expr): void {
    if (e) e(this);
    this.code.push(0x0f);
  }

  /** The encoded body: local declarations, code, end. */
  encode(): number[] {
    const out: number[] = [];
    // run-length groups of equal local types
    const groups: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(out, groups.length);
    for (const [n, t] of groups) {
      uleb(out, n);
      out.push(VAL[t]);
    }
    for (const b of this.code) out.push(b);
    out.push(0x0b);
    const sized: number[] = [];
    uleb(sized, out.length);
    return sized.concat(out);
  }
}

// ---------------------------------------------------------------------------
// Expressions

export const get = (l: Local): Expr => (f) => {
  f.bytes(0x20);
  f.u32(l.index);
};
export const i32 = (v: number): Expr => (f) => f.i32const(v);
export const f64 = (v: number): Expr => (f) => f.f64const(v);
export const i64 = (v: bigint): Expr => (f) => f.i64const(v);

function op(code: number, ...args: Expr[]): Expr {
  return (f) => {
    for (const a of args) a(f);
    f.bytes(code);
  };
}

function simd(code: number, ...args: Expr[]): Expr {
  return (f) => {
    for (const a of args) a(f);
    f.bytes(0xfd);
    f.u32(code);
  };
}

// i32
export const add = (a: Expr, b: Expr): Expr => op(0x6a, a, b);
export const sub = (a: Expr, b: Expr): Expr => op(0x6b, a, b);
export const mul = (a: Expr, b: Expr): Expr => op(0x6c, a, b);
export const and = (a: Expr, b: Expr): Expr => op(0x71, a, b);
export const or = (a: Expr, b: Expr): Expr => op(0x72, a, b);
export const shl = (a: Expr, b: Expr): Expr => op(0x74, a, b);
export const shrU = (a: Expr, b: Expr): Expr => op(0x76, a, b);
export const eqz = (a: Expr): Expr => op(0x45, a);
export const eq = (a: Expr, b: Expr): Expr => op(0x46, a, b);
export const ne = (a: Expr, b: Expr): Expr => op(0x47, a, b);
export const lt = (a: Expr, b: Expr): Expr => op(0x48, a, b);
export const gt = (a: Expr, b: Expr): Expr => op(0x4a, a, b);
export const le = (a: Expr, b: Expr): Expr => op(0x4c, a, b);
export const ge = (a: Expr, b: Expr): Expr => op(0x4e, a, b);
/** cond ? a : b (both evaluated; any value type) */
export const select = (a: Expr, b: Expr, cond: Expr): Expr => op(0x1b, a, b, cond);

// i64
export const xor64 = (a: Expr, b: Expr): Expr => op(0x85, a, b);
export const or64 = (a: Expr, b: Expr): Expr => op(0x84, a, b);
export const shrS64 = (a: Expr, b: Expr): Expr => op(0x87, a, b);
export const shrU64 = (a: Expr, b: Expr): Expr => op(0x88, a, b);
/** i32.wrap_i64: the low 32 bits */
export const wrap = (a: Expr): Expr => op(0xa7, a);
/** i64.extend_i32_u */
export const extendU = (a: Expr): Expr => op(0xad, a);

// f64
export const fadd = (a: Expr, b: Expr): Expr => op(0xa0, a, b);
export const fsub = (a: Expr, b: Expr): Expr => op(0xa1, a, b);
export const fmul = (a: Expr, b: Expr): Expr => op(0xa2, a, b);
export const fdiv = (a: Expr, b: Expr): Expr => op(0xa3, a, b);
export const fabs = (a: Expr): Expr => op(0x99, a);
export const fneg = (a: Expr): Expr => op(0x9a, a);
export const flt = (a: Expr, b: Expr): Expr => op(0x63, a, b);
export const fgt = (a: Expr, b: Expr): Expr => op(0x64, a, b);
export const fge = (a: Expr, b: Expr): Expr => op(0x66, a, b);
export const promote = (a: Expr): Expr => op(0xbb, a);
/** f64.convert_i32_s */
export const fromI32 = (a: Expr): Expr => op(0xb7, a);

// memory: address expressions are byte addresses; `offset` is the static offset
function mem(code: number, align: number, addr: Expr, offset: number, value?: Expr): Expr {
  return (f) => {
    addr(f);
    if (value) value(f);
    f.bytes(code, align);
    f.u32(offset);
  };
}
function memSimd(code: number, align: number, addr: Expr, offset: number, value?: Expr): Expr {
  return (f) => {
    addr(f);
    if (value) value(f);
    f.bytes(0xfd);
    f.u32(code);
    f.bytes(align);
    f.u32(offset);
  };
}
export const loadI32 = (addr: Expr, offset = 0): Expr => mem(0x28, 2, addr, offset);
export const loadF32 = (addr: Expr, offset = 0): Expr => mem(0x2a, 2, addr, offset);
export const loadF64 = (addr: Expr, offset = 0): Expr => mem(0x2b, 3, addr, offset);
export const loadI64 = (addr: Expr, offset = 0): Expr => mem(0x29, 3, addr, offset);
export const storeI64 = (addr: Expr, v: Expr, offset = 0): Expr => mem(0x37, 3, addr, offset, v);
export const storeI32 = (addr: Expr, v: Expr, offset = 0): Expr => mem(0x36, 2, addr, offset, v);
export const storeF64 = (addr: Expr, v: Expr, offset = 0): Expr => mem(0x39, 3, addr, offset, v);

// v128 / f64x2
export const loadV = (addr: Expr, offset = 0): Expr => memSimd(0x00, 4, addr, offset);
export const storeV = (addr: Expr, v: Expr, offset = 0): Expr => memSimd(0x0b, 4, addr, offset, v);
/** one f64 at addr in both lanes (v128.load64_splat) */
export const loadF64Splat = (addr: Expr, offset = 0): Expr => memSimd(0x0a, 3, addr, offset);
/** 8 bytes at addr into the low half, zeros above (v128.load64_zero) */
export const load64Zero = (addr: Expr, offset = 0): Expr => memSimd(0x5d, 3, addr, offset);
/** store the low 8 bytes (lane 0 of i64x2) */
export const store64Lane0 = (addr: Expr, v: Expr, offset = 0): Expr => (f) => {
  addr(f);
  v(f);
  f.bytes(0xfd);
  f.u32(0x5b);
  f.bytes(3);
  f.u32(offset);
  f.bytes(0);
};
/** two f32 at addr, widened to f64x2 (v128.load64_zero + f64x2.promote_low_f32x4) */
export const loadF32x2 = (addr: Expr, offset = 0): Expr => simd(0x5f, memSimd(0x5d, 3, addr, offset));
export const splat = (a: Expr): Expr => simd(0x14, a);
export const lane = (v: Expr, i: 0 | 1): Expr => (f) => {
  v(f);
  f.bytes(0xfd);
  f.u32(0x21);
  f.bytes(i);
};
export const replaceLane = (v: Expr, i: 0 | 1, x: Expr): Expr => (f) => {
  v(f);
  x(f);
  f.bytes(0xfd);
  f.u32(0x22);
  f.bytes(i);
};
export const vadd = (a: Expr, b: Expr): Expr => simd(0xf0, a, b);
export const vsub = (a: Expr, b: Expr): Expr => simd(0xf1, a, b);
export const vmul = (a: Expr, b: Expr): Expr => simd(0xf2, a, b);
export const vdiv = (a: Expr, b: Expr): Expr => simd(0xf3, a, b);
export const vabs = (a: Expr): Expr => simd(0xec, a);
/** f64x2 comparisons: all-ones lanes where true */
export const vlt = (a: Expr, b: Expr): Expr => simd(0x49, a, b);
export const vgt = (a: Expr, b: Expr): Expr => simd(0x4a, a, b);
export const vge = (a: Expr, b: Expr): Expr => simd(0x4c, a, b);
/** (a & mask) | (b & ~mask) */
export const bitselect = (a: Expr, b: Expr, mask: Expr): Expr => simd(0x52, a, b, mask);
/** cond ? a : b for v128 operands (typed select) */
export const selectV = (a: Expr, b: Expr, cond: Expr): Expr => (f) => {
  a(f);
  b(f);
  cond(f);
  f.bytes(0x1c, 0x01, VAL.v128);
};
/** i8x16.shuffle of the bytes of a (indices 0-15) and b (16-31) */
export const shuffle = (a: Expr, b: Expr, lanes: readonly number[]): Expr => (f) => {
  if (lanes.length !== 16) throw new RangeError('shuffle: 16 lane indices');
  a(f);
  b(f);
  f.bytes(0xfd);
  f.u32(0x0d);
  f.bytes(...lanes);
};
export const i32x4add = (a: Expr, b: Expr): Expr => simd(0xae, a, b);
export const i32x4sub = (a: Expr, b: Expr): Expr => simd(0xb1, a, b);
export const i32x4lane = (v: Expr, i: number): Expr => (f) => {
  v(f);
  f.bytes(0xfd);
  f.u32(0x1b);
  f.bytes(i);
};

// ---------------------------------------------------------------------------
// Module

/** A module importing one memory (env.memory) and exporting its functions. */
export class ModuleBuilder {
  private readonly fns: Fn[] = [];

  fn(name: string, params: readonly ValType[], results: readonly ValType[], body: (f: Fn) => void): void {
    const f = new Fn(name, params, results);
    body(f);
    this.fns.push(f);
  }

  encode(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]): void => {
      out.push(id);
      uleb(out, content.length);
      for (const b of content) out.push(b);
    };
    const name = (s: string, into: number[]): void => {
      uleb(into, s.length);
      for (let i = 0; i < s.length; i++) into.push(s.charCodeAt(i) & 0x7f);
    };
    // 1: types, one per function
    const types: number[] = [];
    uleb(types, this.fns.length);
    for (const f of this.fns) {
      types.push(0x60);
      uleb(types, f.params.length);
      for (const p of f.params) types.push(VAL[p]);
      uleb(types, f.results.length);
      for (const r of f.results) types.push(VAL[r]);
    }
    section(1, types);
    // 2: import env.memory (min 1 page, no maximum declared)
    const imports: number[] = [];
    uleb(imports, 1);
    name('env', imports);
    name('memory', imports);
    imports.push(0x02, 0x00);
    uleb(imports, 1);
    section(2, imports);
    // 3: functions
    const funcs: number[] = [];
    uleb(funcs, this.fns.length);
    this.fns.forEach((_, i) => uleb(funcs, i));
    section(3, funcs);
    // 7: exports
    const exports: number[] = [];
    uleb(exports, this.fns.length);
    this.fns.forEach((f, i) => {
      name(f.name, exports);
      exports.push(0x00);
      uleb(exports, i);
    });
    section(7, exports);
    // 10: code
    const code: number[] = [];
    uleb(code, this.fns.length);
    for (const f of this.fns) for (const b of f.encode()) code.push(b);
    section(10, code);
    return Uint8Array.from(out);
  }
}

// ---------------------------------------------------------------------------
// Runtime

/** The subset of the WebAssembly JS API used here (lib.dom is not loaded). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum?: number }) => WasmMemory;
}

export const PAGE_BYTES = 65536;

export function wasmApi(): WasmApi | null {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  return api && typeof api.Module === 'function' ? api : null;
}

/**
 * Compile a module once (per thread) and return a factory of instances over
 * a fresh memory; null when WebAssembly or its SIMD extension is missing.
 */
export function compileOnce(build: () => Uint8Array): () => object | null {
  let compiled: object | null | undefined;
  return () => {
    if (compiled === undefined) {
      const api = wasmApi();
      try {
        compiled = api ? new api.Module(build()) : null;
      } catch {
        compiled = null;
      }
    }
    return compiled;
  };
}

export function instantiate<E>(module: object, memory: WasmMemory): E {
  const api = wasmApi();
  if (!api) throw new Error('WebAssembly is not available');
  return new api.Instance(module, { env: { memory } }).exports as unknown as E;
}

export function createMemory(bytes: number): WasmMemory {
  const api = wasmApi();
  if (!api) throw new Error('WebAssembly is not available');
  return new api.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE_BYTES)) });
}
