import { describe, expect, it } from 'vitest';
import {
  add, createMemory, f64, fadd, fmul, fromI32, get, i32, i64, instantiate, loadF64, loadI64, lt, ModuleBuilder, mul,
  select, shl, storeF64, storeI64, wasmApi, type Local,
} from './emit';
import { statsModuleBytes } from './stats-module';
import { sweepModuleBytes } from './sweep-module';

const hasWasm = wasmApi() !== null;

describe('emit: a minimal WebAssembly encoder', () => {
  it('encodes constants (signed LEB128 at every width boundary), locals, loops and memory', () => {
    if (!hasWasm) return;
    const consts = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, -8193, 2 ** 31 - 1, -(2 ** 31)];
    const bigs = [0n, -1n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 123456789012345n];
    const mod = new ModuleBuilder();
    consts.forEach((c, k) => mod.fn(`c${k}`, [], ['i32'], (f) => f.return(i32(c))));
    // store the i64 constants at 8·k, read back through a Float64/BigInt64 view
    mod.fn('bigs', [], [], (f) => {
      bigs.forEach((b, k) => f.exec(storeI64(i32(8 * k), i64(b))));
    });
    mod.fn('copy64', ['i32', 'i32'], [], (f) => f.exec(storeI64(get(f.param(1)), loadI64(get(f.param(0))))));
    // Σ_{i<n} i·x (loop, f64 and i32 arithmetic, a local of each type)
    mod.fn('sum', ['i32', 'f64'], ['f64'], (f) => {
      const [n, x] = [f.param(0), f.param(1)] as [Local, Local];
      const i = f.local('i32'), s = f.local('f64'), w = f.local('f64');
      f.set(s, f64(0));
      f.for(i, i32(0), get(n), 1, () => {
        f.exec(storeF64(i32(512), fmul(f64(1), get(x))));
        f.set(w, loadF64(i32(512)));
        f.set(s, fadd(get(s), fmul(get(w), fromI32(get(i)))));
      });
      f.if(lt(get(n), i32(0)), () => f.set(s, f64(-1)));
      f.return(get(s));
    });
    mod.fn('pick', ['i32', 'i32', 'i32'], ['i32'], (f) => f.return(select(get(f.param(0)), get(f.param(1)), get(f.param(2)))));
    mod.fn('addr', ['i32', 'i32'], ['i32'], (f) => f.return(add(shl(get(f.param(0)), i32(3)), mul(get(f.param(1)), i32(3)))));
    const bytes = mod.encode();
    const api = wasmApi()!;
    const memory = createMemory(65536);
    const ex = instantiate<Record<string, (...a: number[]) => number>>(new api.Module(bytes), memory);
    consts.forEach((c, k) => expect(ex[`c${k}`]!()).toBe(c));
    ex['bigs']!();
    const view = new BigInt64Array(memory.buffer, 0, bigs.length);
    expect(Array.from(view)).toEqual(bigs);
    const f = new Float64Array(memory.buffer, 1024, 2);
    f[0] = -0.1;
    ex['copy64']!(1024, 1032);
    expect(Object.is(f[1], -0.1)).toBe(true);
    expect(ex['sum']!(10, 0.5)).toBe(0.5 * 45);
    expect(ex['sum']!(0, 0.5)).toBe(0);
    expect(ex['sum']!(-3, 0.5)).toBe(-1);
    expect(ex['pick']!(7, 9, 1)).toBe(7);
    expect(ex['pick']!(7, 9, 0)).toBe(9);
    expect(ex['addr']!(5, 2)).toBe(46);
  });

  it('the diagnostics and estimator modules validate and are deterministic', () => {
    if (!hasWasm) return;
    for (const build of [sweepModuleBytes, statsModuleBytes]) {
      const a = build();
      expect(() => new (wasmApi()!.Module)(a)).not.toThrow();
      expect(Array.from(build())).toEqual(Array.from(a));
    }
  });
});
