/**
 * Access rules of the local web host (DESIGN.md §5): the token, the Host and
 * Origin checks (no cross-origin use, no DNS rebinding), and the security
 * headers. Pure functions over header values, tested on their own.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** A fresh access token: 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison (both sides hashed first, so lengths do not leak either). */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries: `Authorization: Bearer …`, `X-LW-Token: …`, or (when allowed) `?token=`. */
export function tokenOfRequest(headers: Record<string, string | string[] | undefined>, queryToken: unknown): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const x = headers['x-lw-token'];
  if (typeof x === 'string' && x.length > 0) return x;
  if (typeof queryToken === 'string' && queryToken.length > 0) return queryToken;
  return undefined;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '';
}

/** `host:port` as it appears in a URL authority (IPv6 literals bracketed). */
export function authority(host: string, port: number): string {
  const h = host.replace(/^\[|\]$/g, '');
  return `${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

/**
 * Which Host headers (and so which same-origin Origins) the host answers.
 * Bound to loopback: only the loopback names with the bound port, so a page of
 * another site whose name was re-pointed at 127.0.0.1 (DNS rebinding) is
 * refused. Bound to a specific address: that address and the loopback names.
 * Bound to every interface (0.0.0.0 / ::): any Host, and the Origin must equal it.
 */
export class HostPolicy {
  private readonly hosts: Set<string> | null;

  constructor(boundHost: string, readonly port: number) {
    if (isWildcardHost(boundHost)) this.hosts = null;
    else {
      const names = ['localhost', '127.0.0.1', '::1'];
      if (!isLoopbackHost(boundHost)) names.push(boundHost);
      else if (!names.includes(boundHost.replace(/^\[|\]$/g, ''))) names.push(boundHost);
      this.hosts = new Set(names.map((n) => authority(n, port).toLowerCase()));
    }
  }

  /** Whether a request's Host header names this host. */
  hostAllowed(hostHeader: string | undefined): boolean {
    if (this.hosts === null) return true;
    if (typeof hostHeader !== 'string') return false;
    return this.hosts.has(hostHeader.toLowerCase());
  }

  /** Whether a request may proceed given its Origin header: absent, or this host's own origin. */
  originAllowed(originHeader: string | undefined, hostHeader: string | undefined): boolean {
    if (originHeader === undefined) return true;
    if (typeof hostHeader !== 'string') return false;
    const origin = originHeader.toLowerCase();
    if (origin !== `http://${hostHeader.toLowerCase()}`) return false;
    return this.hostAllowed(hostHeader);
  }
}

/** Content-Security-Policy of the static UI (the built Vue renderer). */
export function uiContentSecurityPolicy(hostHeader: string | undefined): string {
  // 'self' covers ws: of the same host in current browsers; name it too for older ones.
  const ws = typeof hostHeader === 'string' && /^[\w.:[\]-]+$/.test(hostHeader) ? ` ws://${hostHeader}` : '';
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'", // ECharts and Vue transitions set style attributes
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${ws}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Content-Security-Policy of API responses (data, never rendered). */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers sent with every response. */
export const COMMON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** A file name safe for Content-Disposition: ASCII fallback plus RFC 5987 UTF-8 form. */
export function contentDisposition(fileName: string): string {
  const base = fileName.replace(/[/\\]/g, '_').replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'export';
  const ascii = base.replace(/[^\x20-\x7e]/g, '_').replace(/["%;]/g, '_');
  const utf8 = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}
