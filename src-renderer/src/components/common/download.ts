/** Save bytes / text as a file download (works in the Electron window and in a browser). */
import type { ExportArg, ExportedFile } from '../../../../src-shared/api';
import { useClient } from '../../stores/client';

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadText(text: string, fileName: string, mime = 'text/plain;charset=utf-8'): void {
  downloadBlob(new Blob([text], { type: mime }), fileName);
}

/** A data: URL (ECharts getDataURL) as a download. */
export function downloadDataUrl(dataUrl: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = dataUrl;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function downloadExported(file: ExportedFile): void {
  downloadBlob(new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mime }), file.fileName);
}

/** api.exportData then download; returns the file (for a message with its size). */
export async function exportAndDownload(arg: ExportArg): Promise<ExportedFile> {
  const file = await useClient().api.exportData(arg);
  downloadExported(file);
  return file;
}
