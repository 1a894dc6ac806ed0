/** The shared GPU tuning helpers: the speed-up text (default ÷ tuned step time) and the unroll settings' checks. */
import { describe, expect, it } from 'vitest';
import { isKernelShape, isUnrollSetting, parseUnrollSetting, speedUpText } from './gpu-tuning';

describe('GPU tuning texts', () => {
  it('speed-up is default ÷ tuned; unknown or zero times give nothing', () => {
    expect(speedUpText(2, 3)).toBe('1.50×');
    expect(speedUpText(4, 4)).toBe('1.00×');
    expect(speedUpText(2, null)).toBe('');
    expect(speedUpText(0, 3)).toBe('');
    expect(speedUpText(2, NaN)).toBe('');
  });
});

describe('unroll settings', () => {
  it("'auto' or an integer 1…32", () => {
    expect(['auto', 1, 4, 32].map(isUnrollSetting)).toEqual([true, true, true, true]);
    expect(['Auto', 0, 33, 2.5, '4', null, undefined].map(isUnrollSetting)).toEqual(Array(7).fill(false));
    expect(isKernelShape({ workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 'auto' })).toBe(true);
    expect(isKernelShape({ workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 33 })).toBe(false);
  });

  it('parseUnrollSetting reads command-line text; anything else is null', () => {
    expect(['auto', ' 4', '1', '32'].map(parseUnrollSetting)).toEqual(['auto', 4, 1, 32]);
    expect(['0', '33', '2.5', '', 'Auto', '1e1', '-1', '0x4'].map(parseUnrollSetting)).toEqual(Array(8).fill(null));
  });
});
