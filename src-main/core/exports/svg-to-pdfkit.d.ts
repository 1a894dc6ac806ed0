/** Types of svg-to-pdfkit 0.1.x (the package ships none): draws an SVG string into a pdfkit document. */
declare module 'svg-to-pdfkit' {
  interface SVGtoPDFOptions {
    width?: number;
    height?: number;
    preserveAspectRatio?: string;
    useCSS?: boolean;
    /** (family, bold, italic, fontOptions) → a pdfkit font name */
    fontCallback?: (family: string, bold: boolean, italic: boolean, fontOptions: { fauxItalic: boolean; fauxBold: boolean }) => string;
    imageCallback?: (link: string) => string;
    documentCallback?: (file: string) => unknown;
    colorCallback?: (color: [[number, number, number], number]) => [[number, number, number], number];
    warningCallback?: (message: string) => void;
    /** treat unitless numbers as points (default false: pixels at 72 dpi) */
    assumePt?: boolean;
    precision?: number;
  }
  function SVGtoPDF(doc: PDFKit.PDFDocument, svg: string | object, x?: number, y?: number, options?: SVGtoPDFOptions): void;
  export default SVGtoPDF;
}
