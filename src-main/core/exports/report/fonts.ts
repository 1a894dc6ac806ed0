/**
 * Fonts of the PDF report. The report's text has Greek letters and math
 * signs (α̂, τ, ℓ, κ, σ, ±, −, ≥), which PDF's 14 standard fonts (WinAnsi
 * encoding) cannot show. We embed a Unicode TrueType font when one is found
 * ($LW_PDF_FONT / $LW_PDF_FONT_BOLD, else common system fonts: DejaVu Sans,
 * Liberation Sans, Noto Sans, Arial); pdfkit subsets it, so the PDF stays
 * small. Without one, the standard Helvetica is used and every character it
 * cannot show is spelled out (α → alpha, ℓ → l, ≥ → >=), so text stays
 * readable and searchable on any headless server.
 */
import { existsSync } from 'node:fs';

export interface ReportFonts {
  /** pdfkit font names (registered, or standard) */
  regular: string;
  bold: string;
  /** files to register under those names (empty for the standard fonts) */
  files: { name: string; path: string }[];
  /** whether every character of the report can be shown as is */
  unicode: boolean;
  /** the text as the font can show it */
  t(s: string): string;
}

const CANDIDATES: [regular: string, bold: string][] = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'],
  ['/usr/share/fonts/TTF/DejaVuSans.ttf', '/usr/share/fonts/TTF/DejaVuSans-Bold.ttf'],
  ['/usr/share/fonts/dejavu/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf'],
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf'],
  ['/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf', '/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf'],
  ['/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf', '/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf'],
  ['/Library/Fonts/Arial Unicode.ttf', '/Library/Fonts/Arial Unicode.ttf'],
  ['/System/Library/Fonts/Supplemental/Arial.ttf', '/System/Library/Fonts/Supplemental/Arial Bold.ttf'],
  ['C:\\Windows\\Fonts\\arial.ttf', 'C:\\Windows\\Fonts\\arialbd.ttf'],
];

/** Spelled-out forms of the characters the report uses that WinAnsi lacks. */
const ASCII_FORMS: Record<string, string> = {
  'α': 'alpha', 'β': 'beta', 'γ': 'gamma', 'δ': 'delta', 'ε': 'eps', 'η': 'eta', 'θ': 'theta', 'κ': 'kappa', 'λ': 'lambda',
  'μ': 'mu', 'ρ': 'rho', 'σ': 'sigma', 'τ': 'tau', 'ψ': 'psi', 'Σ': 'Sum', 'Π': 'Prod', 'ℓ': 'l', '−': '-', '≥': '>=',
  '≤': '<=', '≈': '~', '≠': '!=', '∞': 'inf', '→': '->', '←': '<-', '√': 'sqrt', '\u0302': '', '\u2009': ' ', '\u202f': ' ',
  '…': '...', '–': '-', '—': '-', '‘': "'", '’': "'", '“': '"', '”': '"', '•': '-', '²': '^2',
};

/** Characters of Windows-1252 above 0x7F that are not Latin-1 (WinAnsi's extra glyphs). */
const WINANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** Text as Helvetica (WinAnsi) can show it. */
export function toWinAnsi(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    if (ASCII_FORMS[ch] !== undefined && !(code >= 0x20 && code <= 0x7e)) out += ASCII_FORMS[ch];
    else if ((code >= 0x20 && code <= 0x7e) || code === 0x0a || (code >= 0xa0 && code <= 0xff) || WINANSI_EXTRA.has(ch)) out += ch;
    else {
      // a letter with a combining mark (α̂): drop the mark, spell out the letter
      const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      out += base !== ch && base.length > 0 ? toWinAnsi(base) : '?';
    }
  }
  return out;
}

/** The fonts to use: an explicit file, a system Unicode font, or Helvetica. */
export function resolveFonts(opts: { fontPath?: string; boldFontPath?: string; env?: Readonly<Record<string, string | undefined>>; candidates?: readonly [string, string][] } = {}): ReportFonts {
  const env = opts.env ?? process.env;
  const explicit = opts.fontPath ?? env.LW_PDF_FONT;
  let regular: string | undefined;
  let bold: string | undefined;
  if (explicit && existsSync(explicit)) {
    regular = explicit;
    const b = opts.boldFontPath ?? env.LW_PDF_FONT_BOLD;
    bold = b && existsSync(b) ? b : explicit;
  } else {
    for (const [r, b] of opts.candidates ?? CANDIDATES) {
      if (existsSync(r)) {
        regular = r;
        bold = existsSync(b) ? b : r;
        break;
      }
    }
  }
  if (regular && bold) {
    return {
      regular: 'lw-regular', bold: 'lw-bold',
      files: [{ name: 'lw-regular', path: regular }, { name: 'lw-bold', path: bold }],
      unicode: true,
      t: (s) => s,
    };
  }
  return { regular: 'Helvetica', bold: 'Helvetica-Bold', files: [], unicode: false, t: toWinAnsi };
}
