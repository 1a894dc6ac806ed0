/** Display formatting of numbers and durations (NaN and ±∞ shown as such). */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : v.toPrecision(6).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  }
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

/** 75 → "1 m 15 s"; 4000 → "1 h 6 m"; non-finite → "—". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Bytes as KiB / MiB / GiB. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${u[i]}`;
}

/** The two date formats, created on first use and kept (a formatter is costly to create; toLocaleString makes one per call). */
let dateFormats: { short: Intl.DateTimeFormat; long: Intl.DateTimeFormat } | null = null;
function formats(): { short: Intl.DateTimeFormat; long: Intl.DateTimeFormat } {
  dateFormats ??= {
    short: new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
    long: new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' }),
  };
  return dateFormats;
}

/** A time (ms since the epoch) in the user's locale; `short` leaves out the year of dates in the current year. */
export function formatDate(ms: number | null | undefined, short = false): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const f = formats();
  return short && d.getFullYear() === new Date().getFullYear() ? f.short.format(d) : f.long.format(d);
}

/** A number to `digits` significant digits (NaN / ±∞ as such). */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}
