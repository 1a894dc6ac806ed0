/**
 * The desktop window's security settings, as plain data and functions (no
 * Electron import, so they are unit-tested in Node). DESIGN.md §5 and
 * Electron's security checklist: context isolation, sandbox, no Node in the
 * renderer, web security on, a strict Content-Security-Policy, pages served
 * from a custom privileged scheme (not file://), navigation and new windows
 * blocked, permissions denied.
 */
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

/** The app's pages are served as lw-app://app/… from the built renderer folder. */
export const APP_SCHEME = 'lw-app';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Content-Security-Policy of every page: only the app's own scripts, styles,
 * images and connections; no eval, no inline scripts, no plugins, no frames,
 * no forms posting elsewhere. (Style attributes set through the CSSOM, as Vue
 * and ECharts do, are not inline styles for CSP.)
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers added to every response of the app's pages. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** BrowserWindow webPreferences (Electron's WebPreferences, spelled out so nothing relies on a default). */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  } as const;
}

/** True for a URL of the app's own pages (lw-app://app/…), nothing else. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeType(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that an app URL names, or null when the URL is not an
 * app URL or escapes `root` (.., encoded separators, absolute paths). "/" is
 * index.html.
 */
export function resolveAppAsset(root: string, url: string): string | null {
  if (!isAppUrl(url)) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  if (pathname === '/' || pathname === '') pathname = '/index.html';
  const base = resolve(root);
  const file = resolve(base, `.${pathname}`);
  const rel = relative(base, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) return null;
  return file;
}

export interface AssetResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

/** The response of the lw-app:// protocol for one request (GET only; files under `root`). */
export async function serveAppAsset(root: string, url: string, method = 'GET'): Promise<AssetResponse> {
  const headers = { ...SECURITY_HEADERS };
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'method not allowed' };
  }
  const file = resolveAppAsset(root, url);
  if (!file) return { status: 400, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'bad request' };
  try {
    const bytes = await readFile(file);
    return {
      status: 200,
      headers: { ...headers, 'Content-Type': mimeType(file), 'Cache-Control': 'no-cache' },
      body: method === 'HEAD' ? '' : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    };
  } catch {
    return { status: 404, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'not found' };
  }
}
