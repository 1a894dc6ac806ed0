/**
 * Checks of exported files, independent of the code that wrote them: ZIP
 * archives are opened with fflate, PDFs with Mozilla's pdf.js (legacy build,
 * which runs in Node), CSV is split by RFC 4180 rules.
 */
import { unzipSync } from 'fflate';

/** The entries of a ZIP archive (throws when it is not a valid ZIP). */
export function unzip(bytes: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(bytes);
}

/** Page count and the text of the first pages of a PDF (throws when pdf.js cannot parse it). */
export async function readPdf(bytes: Uint8Array, textPages = 1): Promise<{ pages: number; text: string }> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, isEvalSupported: false, disableFontFace: true }).promise;
  try {
    let text = '';
    for (let p = 1; p <= Math.min(textPages, doc.numPages); p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      text += content.items.map((i) => ('str' in i ? i.str : '')).join(' ') + '\n';
    }
    return { pages: doc.numPages, text };
  } finally {
    await doc.destroy();
  }
}

/** Rows of a CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
