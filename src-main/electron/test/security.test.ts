import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL, CONTENT_SECURITY_POLICY, isAppUrl, mimeType, resolveAppAsset, secureWebPreferences, serveAppAsset,
} from '../security';

/** The CSP as a map directive → sources. */
function parseCsp(csp: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const part of csp.split(';').map((s) => s.trim()).filter(Boolean)) {
    const [name, ...sources] = part.split(/\s+/);
    m.set(name!, sources);
  }
  return m;
}

describe('Content-Security-Policy', () => {
  const csp = parseCsp(CONTENT_SECURITY_POLICY);
  it('defaults to nothing and allows only the app itself for scripts, styles and connections', () => {
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
  });
  it('never allows inline code, eval or remote origins', () => {
    for (const [, sources] of csp) {
      for (const s of sources) {
        expect(s).not.toMatch(/unsafe-|^\*$|^https?:|^wss?:/);
      }
    }
  });
});

describe('secureWebPreferences', () => {
  it('isolates, sandboxes and keeps Node out of the page', () => {
    const p = secureWebPreferences('/x/preload/index.cjs');
    expect(p).toMatchObject({
      preload: '/x/preload/index.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false,
      nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true,
      allowRunningInsecureContent: false, webviewTag: false,
    });
  });
});

describe('isAppUrl', () => {
  it('accepts only lw-app://app/…', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('lw-app://app/assets/index-abc.js?x=1#y')).toBe(true);
    for (const u of ['lw-app://app.evil/index.html', 'lw-app://evil/', 'http://app/index.html', 'file:///index.html',
      'lw-app://u@app/', 'lw-app://app:1/', 'LW-APP:/app', 'javascript:alert(1)', 'not a url', '']) {
      expect(isAppUrl(u), u).toBe(false);
    }
  });
});

describe('resolveAppAsset / serveAppAsset', () => {
  let root: string;
  let outside: string;
  beforeAll(() => {
    const base = mkdtempSync(join(tmpdir(), 'lw-sec-'));
    root = join(base, 'renderer');
    outside = base;
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'assets', 'a b.js'), 'export {}');
    writeFileSync(join(base, 'secret.txt'), 'secret');
  });
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  it('maps app URLs to files under the root ("/" is index.html; percent-decoding applied)', () => {
    expect(resolveAppAsset(root, 'lw-app://app/')).toBe(join(root, 'index.html'));
    expect(resolveAppAsset(root, 'lw-app://app/index.html?token=1')).toBe(join(root, 'index.html'));
    expect(resolveAppAsset(root, 'lw-app://app/assets/a%20b.js')).toBe(join(root, 'assets', 'a b.js'));
  });

  it('refuses every escape from the root and every other origin', () => {
    for (const u of [
      'lw-app://app/../secret.txt', 'lw-app://app/%2e%2e/secret.txt', 'lw-app://app/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'lw-app://app/..%2fsecret.txt', 'lw-app://app/..%5csecret.txt', 'lw-app://app/%00', `lw-app://app/${encodeURIComponent(join(outside, 'secret.txt'))}`,
      'lw-app://other/index.html', 'file:///etc/passwd', 'lw-app://app/%E0%A4%A',
    ]) {
      const f = resolveAppAsset(root, u);
      if (f !== null) expect(f.startsWith(root + '/')).toBe(true);
    }
    expect(resolveAppAsset(root, 'lw-app://app/..%2fsecret.txt')).toBeNull();
    expect(resolveAppAsset(root, 'lw-app://other/index.html')).toBeNull();
  });

  it('serves files with their type and the security headers; 404, 400 and 405 otherwise', async () => {
    const ok = await serveAppAsset(root, 'lw-app://app/');
    expect(ok.status).toBe(200);
    expect(ok.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(ok.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(ok.headers['X-Content-Type-Options']).toBe('nosniff');
    expect(new TextDecoder().decode(ok.body as Uint8Array)).toContain('<title>t</title>');
    expect((await serveAppAsset(root, 'lw-app://app/assets/a%20b.js')).headers['Content-Type']).toMatch(/^text\/javascript/);
    expect((await serveAppAsset(root, 'lw-app://app/missing.js')).status).toBe(404);
    expect((await serveAppAsset(root, 'lw-app://app/assets')).status).toBe(404);
    expect((await serveAppAsset(root, 'lw-app://app/..%2fsecret.txt')).status).toBe(400);
    const post = await serveAppAsset(root, 'lw-app://app/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('knows the types a Vite build emits', () => {
    expect(mimeType('x.css')).toMatch(/^text\/css/);
    expect(mimeType('x.wasm')).toBe('application/wasm');
    expect(mimeType('x.svg')).toBe('image/svg+xml');
    expect(mimeType('x.unknown')).toBe('application/octet-stream');
  });
});
