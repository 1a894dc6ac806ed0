import { describe, expect, it } from 'vitest';
import { diagnosticsLine, isProgressStep } from '../progress';

describe('diagnostics progress lines', () => {
  it('format', () => {
    expect(diagnosticsLine('gru', 212, 'lag', 12, 24)).toBe('[gru seed 212] diagnostics lag 12/24');
    expect(diagnosticsLine('const', 1, 'batch', 3, 32)).toBe('[const seed 1] diagnostics batch 3/32');
  });
  it('every step up to 10 steps', () => {
    for (let n = 1; n <= 10; n++) for (let i = 1; i <= n; i++) expect(isProgressStep(i, n)).toBe(true);
  });
  it('about ten lines for a long stage: the first step past each tenth, and the last', () => {
    // 125 steps: step k crosses the j-th tenth when 10k/125 >= j, i.e. k = ceil(12.5 j)
    const shown = Array.from({ length: 125 }, (_, i) => i + 1).filter((k) => isProgressStep(k, 125));
    expect(shown).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((j) => Math.ceil(12.5 * j)));
    const shown11 = Array.from({ length: 11 }, (_, i) => i + 1).filter((k) => isProgressStep(k, 11));
    expect(shown11).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
