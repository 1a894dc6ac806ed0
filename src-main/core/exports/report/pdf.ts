/**
 * The PDF report of an experiment, produced in plain Node without a browser:
 * pdfkit for the document, ECharts server-side SVG for the figures
 * (charts.ts), svg-to-pdfkit to draw them as vectors.
 *
 * Sections (REPORT_SECTIONS, each a heading and a PDF bookmark): the title
 * page (name, id, created, app version, status, notes, and notes on missing
 * data), configuration, environment (and the kernels of every run), summary
 * tables, then the figures: H_N against N with seed bands and the theory
 * curve, envelopes, tail index, master law, time scales, learning curves.
 * Missing data (unfinished or failed runs, skipped fits, no diagnostics) is
 * stated where it applies; it never stops the report.
 */
import { cpus, arch as osArch, platform, release, totalmem, type } from 'node:os';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { CONFIG_FIELDS, type ExperimentConfig } from '../../../../src-shared/config';
import type { EnvelopeRegimeName } from '../../../../src-shared/results';
import type { AggregateStat } from '../../../../src-shared/seed-aggregate';
import { APP_VERSION } from '../../store';
import type { ExportBundle } from '../load';
import {
  ARCH_LABELS, FIGURE_HEIGHT, FIGURE_WIDTH, alphaOption, curveOption, envelopeOption, hnOption, masterOption, renderSvg, tauOption,
} from './charts';
import { resolveFonts, type ReportFonts } from './fonts';
import { buildReportData, type ArchReport, type ReportData } from './report-data';

/** Section headings, in order (tests look for each in the PDF text). */
export const REPORT_SECTIONS = [
  'Learnability Workstation report',
  'Notes on missing data',
  '1. Configuration',
  '2. Environment',
  '3. Summary tables',
  '4. Learnability window H_N against N',
  '5. Envelopes',
  '6. Tail index',
  '7. Master law',
  '8. Time scales',
  '9. Learning curves',
] as const;

export interface ReportOptions {
  /** a TrueType font with Greek letters (default: $LW_PDF_FONT or a system font, else Helvetica) */
  fontPath?: string;
  boldFontPath?: string;
  /** use PDF's standard Helvetica (no embedded font; Greek letters spelled out) */
  standardFonts?: boolean;
  /** the report's date (default now) */
  now?: Date;
}

const PAGE = { size: 'A4' as const, margin: 50 };
const A4_W = 595.28;
const A4_H = 841.89;
const CONTENT_W = A4_W - 2 * PAGE.margin;
const BOTTOM = A4_H - PAGE.margin;

// --- number formatting -----------------------------------------------------

export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}

export function fmtStat(s: AggregateStat, digits = 3): string {
  if (s.count === 0) return '—';
  return s.count > 1 ? `${fmt(s.mean, digits)} ± ${fmt(s.std, digits)}` : fmt(s.mean, digits);
}

function isoMinute(ms: number | null): string {
  return ms === null ? '—' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// --- document helpers --------------------------------------------------------

class Writer {
  /** a document used only to measure text for the charts' layout (never written) */
  private readonly ruler: PDFKit.PDFDocument;

  constructor(readonly doc: PDFKit.PDFDocument, readonly f: ReportFonts) {
    this.ruler = new PDFDocument({ autoFirstPage: false });
    for (const file of f.files) this.ruler.registerFont(file.name, file.path);
  }

  /** text width at a font size, in the units of that size (the chart's pixels) */
  readonly measure = (text: string, size: number, bold: boolean): number =>
    this.ruler.font(bold ? this.f.bold : this.f.regular).fontSize(size).widthOfString(text);

  svg(option: Parameters<typeof renderSvg>[0]): string {
    return renderSvg(option, FIGURE_WIDTH, FIGURE_HEIGHT, this.measure);
  }

  /** room for a heading and a figure with its caption */
  static readonly FIGURE_BLOCK = (CONTENT_W * FIGURE_HEIGHT) / FIGURE_WIDTH + 90;

  t(s: string): string {
    return this.f.t(s);
  }

  ensure(height: number): void {
    if (this.doc.y + height > BOTTOM) this.doc.addPage();
  }

  heading(text: string, level: 1 | 2 = 1): void {
    const size = level === 1 ? 15 : 11.5;
    this.ensure(level === 1 ? 90 : 60);
    if (level === 1) this.doc.moveDown(0.6);
    else this.doc.moveDown(0.4);
    this.doc.font(this.f.bold).fontSize(size).fillColor('#000000').text(this.t(text), PAGE.margin, this.doc.y, { width: CONTENT_W });
    if (level === 1) this.doc.outline.addItem(this.t(text));
    this.doc.moveDown(0.3);
  }

  para(text: string, opts: { size?: number; color?: string; bold?: boolean } = {}): void {
    this.doc.font(opts.bold ? this.f.bold : this.f.regular).fontSize(opts.size ?? 9.5).fillColor(opts.color ?? '#000000')
      .text(this.t(text), PAGE.margin, this.doc.y, { width: CONTENT_W });
    this.doc.moveDown(0.35);
  }

  note(text: string): void {
    this.para(text, { color: '#8a4b00', size: 9.5 });
  }

  /** A table with a header row (repeated on each page; null: none), columns as fractions of the width. */
  table(headers: readonly string[] | null, rows: readonly string[][], fractions?: readonly number[], size = 8): void {
    const ncol = headers?.length ?? rows[0]?.length ?? 1;
    const fr = fractions ?? Array.from({ length: ncol }, () => 1 / ncol);
    const total = fr.reduce((s, x) => s + x, 0);
    const widths = fr.map((x) => (x / total) * CONTENT_W);
    const pad = 3;
    const doc = this.doc;
    const rowHeight = (cells: readonly string[], font: string) => {
      doc.font(font).fontSize(size);
      return Math.max(...cells.map((c, i) => doc.heightOfString(this.t(c), { width: widths[i]! - 2 * pad }))) + 2 * pad;
    };
    const drawRow = (cells: readonly string[], font: string, fill: string | null) => {
      const h = rowHeight(cells, font);
      const y = doc.y;
      let x = PAGE.margin;
      if (fill) doc.rect(PAGE.margin, y, CONTENT_W, h).fill(fill);
      doc.font(font).fontSize(size).fillColor('#000000');
      cells.forEach((c, i) => {
        doc.text(this.t(c), x + pad, y + pad, { width: widths[i]! - 2 * pad });
        x += widths[i]!;
      });
      doc.moveTo(PAGE.margin, y + h).lineTo(PAGE.margin + CONTENT_W, y + h).lineWidth(0.4).strokeColor('#bbbbbb').stroke();
      doc.x = PAGE.margin;
      doc.y = y + h;
    };
    this.ensure((headers ? rowHeight(headers, this.f.bold) : 0) + (rows[0] ? rowHeight(rows[0], this.f.regular) : 0) + 4);
    if (headers) drawRow(headers, this.f.bold, '#eef1f6');
    rows.forEach((r, i) => {
      if (doc.y + rowHeight(r, this.f.regular) > BOTTOM) {
        doc.addPage();
        if (headers) drawRow(headers, this.f.bold, '#eef1f6');
      }
      drawRow(r, this.f.regular, i % 2 ? '#fafafa' : null);
    });
    doc.moveDown(0.6);
  }

  /** A figure (SVG drawn as vectors, full width) with its caption. */
  figure(svg: string, caption: string): void {
    const h = (CONTENT_W * FIGURE_HEIGHT) / FIGURE_WIDTH;
    this.ensure(h + 40);
    const y = this.doc.y;
    SVGtoPDF(this.doc, svg, PAGE.margin, y, {
      width: CONTENT_W, height: h, assumePt: false,
      fontCallback: (_family: string, bold: boolean) => (bold ? this.f.bold : this.f.regular),
    });
    this.doc.x = PAGE.margin;
    this.doc.y = y + h + 4;
    this.para(caption, { size: 8.5, color: '#333333' });
  }
}

// --- sections ------------------------------------------------------------------

function statusLine(b: ExportBundle): string {
  const p = b.experiment.progress;
  const parts = (['done', 'diverged', 'failed', 'cancelled', 'interrupted', 'running', 'queued'] as const).filter((s) => p[s] > 0).map((s) => `${p[s]} ${s}`);
  return `${parts.join(', ') || 'no runs'} (of ${p.total} run${p.total === 1 ? '' : 's'})${b.experiment.finishedAt !== null ? ', finished' : ', not finished'}`;
}

function titlePage(w: Writer, b: ExportBundle, data: ReportData, now: Date): void {
  const e = b.experiment;
  const doc = w.doc;
  doc.font(w.f.bold).fontSize(22).text(w.t(REPORT_SECTIONS[0]), PAGE.margin, 110, { width: CONTENT_W });
  doc.outline.addItem(w.t(REPORT_SECTIONS[0]));
  doc.moveDown(0.4);
  doc.font(w.f.regular).fontSize(16).fillColor('#1f3a68').text(w.t(e.name), { width: CONTENT_W });
  doc.fillColor('#000000').moveDown(1.2);
  const scope = b.runId !== null ? `run ${b.runId} only (${b.runs[0]?.record.arch}, seed ${b.runs[0]?.record.seed})` : `all ${b.runs.length} runs`;
  w.table(null, [
    ['Experiment id', String(e.id)],
    ['Created', isoMinute(e.createdAt)],
    ['Created with app version', e.appVersion],
    ['Status', statusLine(b)],
    ['Exported', scope],
    ['Models', b.config.models.join(', ')],
    ['Seeds', b.config.seeds.join(', ')],
    ['Preset', e.preset ?? '—'],
    ['Tags', e.tags.join(', ') || '—'],
    ['Notes', e.notes || '—'],
    ['Report generated', `${now.toISOString().slice(0, 16).replace('T', ' ')} UTC by Learnability Workstation ${APP_VERSION}`],
  ], [0.3, 0.7], 9.5);
  w.para('Theory: L. Livi, Learnability Window in Gated Recurrent Neural Networks (arXiv 2512.05790). Formulas: SCIENCE.md of the workstation.', { size: 8.5, color: '#444444' });
  w.heading(REPORT_SECTIONS[1], 2);
  if (data.notes.length === 0) w.para('None: every run finished with diagnostics and every fit was made.');
  else for (const n of data.notes) w.note(`• ${n}`);
}

function configurationSection(w: Writer, cfg: ExperimentConfig): void {
  w.doc.addPage();
  w.heading(REPORT_SECTIONS[2]);
  const rows = CONFIG_FIELDS.map((f) => {
    const v = cfg[f.name];
    return [f.name, Array.isArray(v) ? v.join(', ') : String(v), f.help];
  });
  w.table(['field', 'value', 'meaning'], rows, [0.26, 0.3, 0.44]);
}

function environmentSection(w: Writer, data: ReportData, now: Date): void {
  w.heading(REPORT_SECTIONS[3]);
  const c = cpus();
  w.para(`This report was generated on ${now.toISOString()} by this machine; the stored runs record the kernel set each used (below), not the machine they ran on.`);
  w.table(null, [
    ['Node', process.version],
    ['Platform', `${type()} ${release()} (${platform()}, ${osArch()})`],
    ['CPU', c.length > 0 ? `${c[0]!.model.trim()} × ${c.length}` : 'unknown'],
    ['Memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['Learnability Workstation', APP_VERSION],
  ], [0.3, 0.7]);
  w.heading('Runs and kernels', 2);
  w.table(['run', 'model', 'seed', 'status', 'kernels', 'epochs', 'wall s', 'diagnostics', 'error'],
    data.runs.map((r) => [String(r.id), r.arch, String(r.seed), r.status, r.kernels || '—', String(r.epochs), r.wallS === null ? '—' : fmt(r.wallS, 3), r.diagnostics || '—', r.error || '']),
    [0.06, 0.08, 0.08, 0.1, 0.15, 0.08, 0.08, 0.11, 0.26], 7.5);
}

function regimeCounts(c: Record<EnvelopeRegimeName, number>): string {
  return (['exp', 'power', 'log'] as const).filter((k) => c[k] > 0).map((k) => `${k} ${c[k]}`).join(', ') || '—';
}

function summarySection(w: Writer, data: ReportData): void {
  w.heading(REPORT_SECTIONS[4]);
  const archs = data.archs.filter((a) => a.seeds.length > 0);
  if (archs.length === 0) {
    w.note('No finished run has diagnostics: there is nothing to summarise.');
    return;
  }
  w.heading('H_N per N (mean ± std over seeds, number of seeds)', 2);
  const rows = data.Ns.map((N) => [String(N), ...archs.map((a) => {
    const h = a.hn.find((x) => x.N === N);
    return h && h.n > 0 ? `${fmtStat({ mean: h.mean, std: h.std, count: h.n }, 3)} (${h.n})` : '—';
  })]);
  w.table(['N', ...archs.map((a) => ARCH_LABELS[a.arch])], rows, [0.1, ...archs.map(() => 0.9 / archs.length)]);

  w.heading('Envelope, tail index and master law per architecture', 2);
  w.table(
    ['model', 'seeds', 'τ_env (exp fit)', 'best regime (seeds)', 'seed-mean fit: best, R²', 'median reliable α̂', 'master slope', 'theory'],
    archs.map((a) => [
      ARCH_LABELS[a.arch], String(a.seeds.length), fmtStat(a.tauEnv), regimeCounts(a.bestCounts),
      a.envelopeFit ? `${a.envelopeFit.best}, ${fmt(a.envelopeFit[a.envelopeFit.best].r2, 3)}` : '—',
      a.reliableCount > 0 ? `${fmt(a.alphaMedian, 3)} (${a.reliableCount} lags)` : 'none reliable',
      a.masterSlope.count > 0 ? `${fmtStat(a.masterSlope)} (${a.masterSlope.count} fit${a.masterSlope.count > 1 ? 's' : ''})` : 'skipped',
      a.theory.ok ? a.theory.regime : 'none',
    ]),
    [0.11, 0.07, 0.14, 0.14, 0.15, 0.14, 0.15, 0.1], 7.5,
  );
  w.para('τ_env = −1/b of each seed\'s exponential fit log f̂ = a + bℓ (mean ± std over seeds); regimes fitted on log_mu_l1_mean (SCIENCE.md §6). '
    + 'The master slope is the fit of log N_required on −κ_α log f̂ (theory: ≈ 1).', { size: 8.5, color: '#333333' });
}

function hnSection(w: Writer, archs: ArchReport[], lagMax: number): void {
  if (archs.length > 0) w.ensure(Writer.FIGURE_BLOCK);
  w.heading(REPORT_SECTIONS[5]);
  if (archs.length === 0) {
    w.note('No finished run has diagnostics: no H_N to plot.');
    return;
  }
  w.figure(w.svg(hnOption(archs, lagMax, w.t.bind(w))),
    'Solid: seed mean of H_N; band: ± one standard deviation over seeds; dashed: closed-form theory of the best-fitting envelope regime '
    + '(SCIENCE.md §6), with f0 and τ, β or γ from the regime fitted on the seed-mean log envelope, α = median of the reliable α̂(ℓ) '
    + '(floored at 1.01), σ = median σ̂ of the same lags, and c from m̄(ℓ) = c·f(ℓ) as the median of log m̄ − log f over lags and seeds.');
  const rows = archs.map((a) => {
    if (!a.theory.ok) return [ARCH_LABELS[a.arch], '—', '—', '—', '—', '—', '—', a.theory.reason];
    const p = a.theory.params;
    const shape = p.decay === 'exponential' ? `τ = ${fmt(p.tau!)}` : p.decay === 'polynomial' ? `β = ${fmt(p.beta!)}` : `γ = ${fmt(p.gamma!)}`;
    return [ARCH_LABELS[a.arch], p.decay, fmt(p.f0), shape, fmt(p.alpha, 3), fmt(p.sigma), fmt(p.c), ''];
  });
  w.table(['model', 'regime', 'f0', 'shape', 'α', 'σ', 'c', 'note'], rows, [0.12, 0.12, 0.11, 0.13, 0.08, 0.11, 0.11, 0.22], 7.5);
}

function figureSection(w: Writer, heading: string, archs: ArchReport[], empty: string, svg: () => string, caption: string): void {
  if (archs.length > 0) w.ensure(Writer.FIGURE_BLOCK);
  w.heading(heading);
  if (archs.length === 0) {
    w.note(empty);
    return;
  }
  w.figure(svg(), caption);
}

// --- the document ----------------------------------------------------------------

/** The report as PDF bytes. */
export async function renderReportPdf(b: ExportBundle, opts: ReportOptions = {}): Promise<Uint8Array> {
  const now = opts.now ?? new Date();
  const fonts = opts.standardFonts
    ? resolveFonts({ env: {}, candidates: [] })
    : resolveFonts({ ...(opts.fontPath ? { fontPath: opts.fontPath } : {}), ...(opts.boldFontPath ? { boldFontPath: opts.boldFontPath } : {}) });
  const data = buildReportData(b);
  const doc = new PDFDocument({
    size: PAGE.size, margin: PAGE.margin, bufferPages: true, autoFirstPage: true,
    info: { Title: fonts.t(`${b.experiment.name}: learnability report`), Author: 'Learnability Workstation', Creator: `Learnability Workstation ${APP_VERSION}`, CreationDate: now },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });
  for (const f of fonts.files) doc.registerFont(f.name, f.path);
  doc.font(fonts.regular);
  const w = new Writer(doc, fonts);
  const t = w.t.bind(w);

  // let the event loop run between sections (the main process serves the UI meanwhile)
  const tick = () => new Promise<void>((r) => setImmediate(r));
  titlePage(w, b, data, now);
  configurationSection(w, b.config);
  environmentSection(w, data, now);
  summarySection(w, data);
  await tick();
  const withD = data.archs.filter((a) => a.seeds.length > 0);
  hnSection(w, withD, b.config.lag_max);
  await tick();
  figureSection(w, REPORT_SECTIONS[6], withD, 'No finished run has diagnostics: no envelope to plot.', () => w.svg(envelopeOption(withD, t)),
    'Points: exp of the seed mean of log_mu_l1_mean per lag (the mean over sequences of log m_b(ℓ), SCIENCE.md §4.3), the quantity the regimes '
    + 'are fitted on; dashed: the best of the exponential, power and logarithmic fits (§6). Log scale.');
  await tick();
  figureSection(w, REPORT_SECTIONS[7], withD, 'No finished run has diagnostics: no tail index to plot.', () => w.svg(alphaOption(withD, t)),
    'Tail index α̂(ℓ) of the matched statistic for every seed (SCIENCE.md §5.1). Filled: reliable; hollow: unreliable (too few samples, '
    + 'degenerate scale, or at a bound of [1, 2] with fewer than 2000 samples).');
  await tick();
  const withMaster = withD.filter((a) => a.master.length > 0);
  figureSection(w, REPORT_SECTIONS[8], withMaster, 'No lag has N_required > 0: no master-law points to plot.', () => w.svg(masterOption(withMaster, t)),
    'Master proportionality (SCIENCE.md §6): log N_required(ℓ) against −κ_α log f̂(ℓ), κ_α = α̂/(α̂ − 1) with α̂ floored at 1.01; '
    + 'lines: the seeds\' fits (mean slope and intercept); the theory predicts slope ≈ 1. Fits need at least 10 lags and 3 distinct N values.');
  await tick();
  const withTau = withD.filter((a) => a.tau.length > 0);
  figureSection(w, REPORT_SECTIONS[9], withTau, 'No unit has a finite fitted time scale: nothing to plot.', () => w.svg(tauOption(withTau, t)),
    `Per-unit time scales τ = −1/b of log μ_q(ℓ) = a + bℓ (SCIENCE.md §6), all seeds: box (min, quartiles, max) and at most 200 units per model as points (evenly spaced in sorted order). `
    + `Dashed: ConstGate's closed form τ = −1/log(1 − const_s)${withTau.some((a) => a.tauClosedForm !== null) ? '' : ' (no ConstGate run)'}.`
    + `${withTau.some((a) => a.tauInfinite > 0) ? ` Units with no decay (τ = ∞), not shown: ${withTau.filter((a) => a.tauInfinite > 0).map((a) => `${ARCH_LABELS[a.arch]} ${a.tauInfinite}`).join(', ')}.` : ''}`);
  await tick();
  const trained = data.archs.filter((a) => a.curve.length > 0);
  figureSection(w, REPORT_SECTIONS[10], trained, 'No finished run has a learning curve.', () => w.svg(curveOption(trained, t)),
    'Seed mean of the training loss (solid) and the validation loss on a fresh set each epoch (dashed), mean squared error, log scale.');

  // page numbers (drawn inside the bottom margin, which is lifted while drawing)
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const m = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font(fonts.regular).fontSize(8).fillColor('#777777')
      .text(fonts.t(`${b.experiment.name} · page ${i + 1} of ${range.count}`), PAGE.margin, A4_H - 32, { width: CONTENT_W, align: 'center', lineBreak: false });
    doc.page.margins.bottom = m;
  }
  doc.end();
  await ended;
  const buf = Buffer.concat(chunks);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
