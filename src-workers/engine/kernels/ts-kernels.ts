/**
 * Reference kernels in plain TypeScript, generic over the float type.
 * Loops are ordered so the innermost one walks memory contiguously. The
 * fused element-wise kernels live in ./ts-cells.ts and ./ts-layernorm.ts.
 */
import * as cells from './ts-cells';
import { lnBackward, lnForward, lnTangent } from './ts-layernorm';
import type { FloatArray, Kernels, Precision } from './types';

export function createTsKernels<A extends FloatArray>(precision: Precision): Kernels<A> {
  const Ctor = (precision === 'f64' ? Float64Array : Float32Array) as unknown as new (n: number) => A;
  return {
    name: `ts-${precision}`,
    precision,
    alloc: (n) => new Ctor(n),

    gemmNN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta) {
      for (let i = 0; i < m; i++) {
        const ci = cOff + i * ldc;
        if (beta === 0) c.fill(0, ci, ci + n);
        const ai = aOff + i * lda;
        for (let p = 0; p < k; p++) {
          const aip = a[ai + p]!;
          if (aip === 0) continue;
          const bp = bOff + p * ldb;
          for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j]!;
        }
      }
    },

    gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta) {
      for (let i = 0; i < m; i++) {
        const ai = aOff + i * lda;
        const ci = cOff + i * ldc;
        for (let j = 0; j < n; j++) {
          const bj = bOff + j * ldb;
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
          c[ci + j] = beta === 0 ? s : c[ci + j]! + s;
        }
      }
    },

    gemmTN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta) {
      if (beta === 0) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
      for (let p = 0; p < k; p++) {
        const ap = aOff + p * lda;
        const bp = bOff + p * ldb;
        for (let i = 0; i < m; i++) {
          const api = a[ap + i]!;
          if (api === 0) continue;
          const ci = cOff + i * ldc;
          for (let j = 0; j < n; j++) c[ci + j] += api * b[bp + j]!;
        }
      }
    },

    sigmoid(x, xOff, out, outOff, n) {
      for (let i = 0; i < n; i++) out[outOff + i] = 1 / (1 + Math.exp(-x[xOff + i]!));
    },

    tanh(x, xOff, out, outOff, n) {
      for (let i = 0; i < n; i++) out[outOff + i] = Math.tanh(x[xOff + i]!);
    },

    addRowBias: cells.addRowBias,
    sumRows: cells.sumRows,
    layerNormForward: lnForward,
    layerNormBackward: lnBackward,
    layerNormTangent: lnTangent,
    gatedForward: cells.gatedForward,
    gatedBackward: cells.gatedBackward,
    gatedTangent: cells.gatedTangent,
    gruGates: cells.gruGates,
    gruCell: cells.gruCell,
    gruCellBackward: cells.gruCellBackward,
    gruResetBackward: cells.gruResetBackward,
    gruTangentGates: cells.gruTangentGates,
    gruTangentCell: cells.gruTangentCell,
    lstmForward: cells.lstmForward,
    lstmBackward: cells.lstmBackward,
    lstmTangent: cells.lstmTangent,
  };
}
