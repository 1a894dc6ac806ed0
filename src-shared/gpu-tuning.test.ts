/** The shared GPU tuning helpers' texts: the speed-up (default ÷ tuned step time). */
import { describe, expect, it } from 'vitest';
import { speedUpText } from './gpu-tuning';

describe('GPU tuning texts', () => {
  it('speed-up is default ÷ tuned; unknown or zero times give nothing', () => {
    expect(speedUpText(2, 3)).toBe('1.50×');
    expect(speedUpText(4, 4)).toBe('1.00×');
    expect(speedUpText(2, null)).toBe('');
    expect(speedUpText(0, 3)).toBe('');
    expect(speedUpText(2, NaN)).toBe('');
  });
});
