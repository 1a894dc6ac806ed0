/**
 * formatDate with its kept Intl formatters: the same text as
 * Date.prototype.toLocaleString with the same options (ECMA-402 defines
 * toLocaleString through a DateTimeFormat of the same locale and options).
 */
import { describe, expect, it } from 'vitest';
import { formatDate } from './format';

const LONG = { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' } as const;
const SHORT = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } as const;

describe('formatDate', () => {
  it('long form: as toLocaleString with the year, month, day, hour and minute', () => {
    for (const ms of [Date.UTC(2025, 0, 2, 3, 4, 5), Date.UTC(1999, 11, 31, 23, 59), 0]) {
      expect(formatDate(ms)).toBe(new Date(ms).toLocaleString(undefined, LONG));
    }
  });

  it('short form leaves out the year of this year\'s dates only', () => {
    const now = new Date();
    const thisYear = new Date(now.getFullYear(), 2, 15, 10, 30).getTime();
    expect(formatDate(thisYear, true)).toBe(new Date(thisYear).toLocaleString(undefined, SHORT));
    const lastYear = new Date(now.getFullYear() - 1, 2, 15, 10, 30).getTime();
    expect(formatDate(lastYear, true)).toBe(new Date(lastYear).toLocaleString(undefined, LONG));
  });

  it('no time: a dash', () => {
    expect(formatDate(null)).toBe('—');
    expect(formatDate(undefined)).toBe('—');
    expect(formatDate(NaN)).toBe('—');
    expect(formatDate(Infinity, true)).toBe('—');
  });
});
