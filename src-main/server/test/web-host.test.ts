import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, WS_CLOSE_UNAUTHORIZED, WS_READY_TYPE } from '../../../src-shared/wire';
import { startWebHost, type WebHost } from '../web-host';
import { createFakeService, type FakeService } from './fake-service';
import { raw, wsOutcome } from './helpers';

const TOKEN = 'test-token-0123456789abcdefghijklmnop';

let svc: FakeService;
let host: WebHost;
let missingDir: string;
const internalErrors: unknown[] = [];

beforeAll(async () => {
  svc = createFakeService();
  missingDir = join(tmpdir(), `lw-no-renderer-${process.pid}`);
  host = await startWebHost({
    service: svc, token: TOKEN, staticDir: missingDir, bodyLimit: 64 * 1024,
    onInternalError: (err) => void internalErrors.push(err),
    events: { authTimeoutMs: 300 },
  });
});

afterAll(async () => {
  await host.close();
});

const json = { 'content-type': 'application/json' };
const auth = { authorization: `Bearer ${TOKEN}` };
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  raw(host.port, { method: 'POST', path, body, headers: { ...json, ...headers } });

describe('web host: binding and token', () => {
  it('binds 127.0.0.1 by default and prints a URL with the token', async () => {
    const h = await startWebHost({ service: createFakeService(), staticDir: missingDir });
    try {
      expect(h.host).toBe('127.0.0.1');
      expect(h.boundAddress).toBe('127.0.0.1');
      expect(h.port).toBeGreaterThan(0);
      // default token: 32 random bytes in base64url = 43 characters of [A-Za-z0-9_-]
      expect(h.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(h.url).toBe(`http://127.0.0.1:${h.port}/?token=${h.token}`);
      // not reachable through another interface of this machine, if it has one
      const other = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      if (other) {
        const refused = await new Promise<boolean>((resolve) => {
          const s = connect({ host: other.address, port: h.port });
          s.on('connect', () => { s.destroy(); resolve(false); });
          s.on('error', () => resolve(true));
        });
        expect(refused).toBe(true);
      }
    } finally {
      await h.close();
    }
    const other = await startWebHost({ service: createFakeService(), staticDir: missingDir });
    expect(other.token).not.toBe(h.token);
    await other.close();
  });

  it('missing token ⇒ 401 without detail', async () => {
    const r = await post('/api/getQueue', '');
    expect(r.status).toBe(401);
    expect(decode(r.text)).toEqual({ error: { code: 'unauthorized', message: 'unauthorized' } });
  });

  it('wrong token ⇒ the same 401, in every place a token may be', async () => {
    const wrong: Record<string, string>[] = [
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${TOKEN}` },
      { 'x-lw-token': TOKEN.slice(0, -1) },
    ];
    const bodies = new Set<string>();
    for (const h of wrong) {
      const r = await post('/api/getQueue', '', h);
      expect(r.status).toBe(401);
      bodies.add(r.text);
    }
    const q = await raw(host.port, { path: `/api/export?experimentId=1&format=pdf&token=${TOKEN}0` });
    expect(q.status).toBe(401);
    bodies.add(q.text);
    expect(bodies.size).toBe(1);
    // the query parameter is not accepted on POST
    expect((await post(`/api/getQueue?token=${TOKEN}`, '')).status).toBe(401);
    // unknown and odd paths under /api are authenticated before anything else
    expect((await raw(host.port, { path: '/api/nothing/here' })).status).toBe(401);
  });

  it('accepts Authorization: Bearer and X-LW-Token', async () => {
    for (const h of [auth, { 'x-lw-token': TOKEN }]) {
      const r = await post('/api/getQueue', '', h);
      expect(r.status).toBe(200);
      expect(decode(r.text)).toEqual({ paused: false, workers: 2, gpuRuns: 4, running: [], queued: [] });
    }
  });
});

describe('web host: origin and host checks', () => {
  it('foreign Origin ⇒ 403 even with the right token; the own origin is fine', async () => {
    for (const origin of ['http://evil.example', `http://localhost:${host.port + 1}`, 'null', `https://127.0.0.1:${host.port}`]) {
      const r = await post('/api/getQueue', '', { ...auth, origin });
      expect(r.status).toBe(403);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
    for (const origin of [`http://127.0.0.1:${host.port}`]) {
      const r = await post('/api/getQueue', '', { ...auth, origin });
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
    const viaLocalhost = await raw(host.port, { method: 'POST', path: '/api/getQueue', body: '', headers: { ...json, ...auth, host: `localhost:${host.port}`, origin: `http://localhost:${host.port}` } });
    expect(viaLocalhost.status).toBe(200);
  });

  it('refuses a Host header that does not name this host (DNS rebinding) ⇒ 403', async () => {
    const r = await raw(host.port, { method: 'POST', path: '/api/getQueue', body: '', headers: { ...json, ...auth, host: `evil.example:${host.port}` } });
    expect(r.status).toBe(403);
    const page = await raw(host.port, { path: '/', headers: { host: `evil.example:${host.port}`, origin: `http://evil.example:${host.port}` } });
    expect(page.status).toBe(403);
  });

  it('answers a CORS preflight from another origin with 403 and no CORS headers', async () => {
    const r = await raw(host.port, { method: 'OPTIONS', path: '/api/getQueue', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(r.status).toBe(403);
    expect(Object.keys(r.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });
});

describe('web host: calls', () => {
  it('unknown method ⇒ 404 (names outside API_METHODS, prototype names included)', async () => {
    for (const m of ['nope', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const r = await post(`/api/${m}`, '', auth);
      expect(r.status).toBe(404);
      expect((decode(r.text) as { error: { code: string } }).error.code).toBe('not-found');
    }
    // a known method with GET is not a call
    expect((await raw(host.port, { path: '/api/getQueue', headers: auth })).status).toBe(404);
  });

  it('decodes the argument with the wire format and encodes the result', async () => {
    const arg = { name: 'n', config: { lr: NaN, grad_clip: Infinity, momentum: -0, extra: undefined, blob: new Float64Array([1, NaN]) } };
    const r = await post('/api/createExperiment', encode(arg), auth);
    expect(r.status).toBe(200);
    const got = svc.calls.at(-1)!;
    expect(got.method).toBe('createExperiment');
    const cfg = (got.arg as typeof arg).config;
    expect(cfg.lr).toBeNaN();
    expect(cfg.grad_clip).toBe(Infinity);
    expect(Object.is(cfg.momentum, -0)).toBe(true);
    expect('extra' in cfg).toBe(true);
    expect(cfg.blob).toBeInstanceOf(Float64Array);
    const res = await post('/api/getRunResult', encode({ runId: 3 }), auth);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const back = decode<typeof svc.runResult>(res.text);
    expect(back.curve[0]!.val_loss).toBeNaN();
    expect(Object.is(back.curve[0]!.val_acc, -0)).toBe(true);
    expect(back.diagnostics!.muUnits[1]![0]).toBe(Infinity);
  });

  it('a call without a body passes undefined; null stays null', async () => {
    await post('/api/getSystemInfo', '', auth);
    expect(svc.calls.at(-1)).toEqual({ method: 'getSystemInfo', arg: undefined });
    const r = await post('/api/getRunResult', encode({ runId: 0 }), auth);
    expect(r.text).toBe('null');
  });

  it('maps ApiError codes to HTTP statuses with the error body', async () => {
    const cases: [number, number, string][] = [[400, 400, 'invalid'], [404, 404, 'not-found'], [409, 409, 'conflict'], [401, 401, 'unauthorized']];
    for (const [runId, status, code] of cases) {
      const r = await post('/api/getRun', encode({ runId }), auth);
      expect(r.status).toBe(status);
      const body = decode<{ error: { code: string; message: string; fields?: unknown } }>(r.text);
      expect(body.error.code).toBe(code);
      if (code === 'invalid') expect(body.error.fields).toEqual([{ field: 'runId', message: 'must be even' }]);
    }
    const before = internalErrors.length;
    const r = await post('/api/getRun', encode({ runId: 500 }), auth);
    expect(r.status).toBe(500);
    expect(decode(r.text)).toEqual({ error: { code: 'internal', message: 'database on fire' } });
    expect(internalErrors.length).toBe(before + 1);
  });

  it('rejects a malformed body (400), another media type (415) and an oversized body (413)', async () => {
    const bad = await post('/api/getRun', '{"$":"Nope"}', auth);
    expect(bad.status).toBe(400);
    expect((decode(bad.text) as { error: { code: string; message: string } }).error.message).toMatch(/malformed request body/);
    const notJson = await post('/api/getRun', '{', auth);
    expect(notJson.status).toBe(400);
    const form = await raw(host.port, { method: 'POST', path: '/api/getQueue', body: 'a=1', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const text = await raw(host.port, { method: 'POST', path: '/api/getQueue', body: 'x', headers: { ...auth, 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const big = await post('/api/createExperiment', encode({ name: 'x'.repeat(70 * 1024) }), auth);
    expect(big.status).toBe(413);
    expect((decode(big.text) as { error: { code: string } }).error.code).toBe('invalid');
  });

  it('sends the security headers on API responses', async () => {
    const r = await post('/api/getQueue', '', auth);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(String(r.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(String(r.headers['content-security-policy'])).toContain("default-src 'none'");
  });
});

describe('web host: export download', () => {
  it('streams the file with download headers (token in the query)', async () => {
    const r = await raw(host.port, { path: `/api/export?experimentId=3&format=pdf&token=${TOKEN}` });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.headers['content-length']).toBe(String(svc.exportFile.bytes.length));
    expect(r.headers['content-disposition']).toBe(`attachment; filename="exp_riment _1_.pdf"; filename*=UTF-8''exp%C3%A9riment%20%221%22.pdf`);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(Array.from(r.body)).toEqual(Array.from(svc.exportFile.bytes));
    expect(svc.calls.at(-1)).toEqual({ method: 'exportData', arg: { format: 'pdf', experimentId: 3 } });
  });

  it('validates the query and maps service errors', async () => {
    const bad = await raw(host.port, { path: `/api/export?experimentId=abc&format=doc&token=${TOKEN}` });
    expect(bad.status).toBe(400);
    const body = decode<{ error: { fields: { field: string }[] } }>(bad.text);
    expect(body.error.fields.map((f) => f.field).sort()).toEqual(['experimentId', 'format']);
    expect((await raw(host.port, { path: `/api/export?format=csv&token=${TOKEN}` })).status).toBe(400);
    expect((await raw(host.port, { path: `/api/export?experimentId=404&format=csv&token=${TOKEN}` })).status).toBe(404);
    const byRun = await raw(host.port, { path: '/api/export?runId=5&format=zip', headers: auth });
    expect(byRun.status).toBe(200);
    expect(svc.calls.at(-1)!.arg).toEqual({ format: 'zip', runId: 5 });
  });
});

describe('web host: event socket', () => {
  const wsUrl = () => `ws://127.0.0.1:${host.port}/api/events`;

  it('refuses an upgrade from a foreign origin with 403', async () => {
    const o = await wsOutcome(`${wsUrl()}?token=${TOKEN}`, { headers: { origin: 'http://evil.example' } });
    expect(o).toEqual({ kind: 'refused', status: 403 });
  });

  it('closes on a bad token (query or first message) and on silence', async () => {
    const q = await wsOutcome(`${wsUrl()}?token=wrong`);
    expect(q).toEqual({ kind: 'closed', code: WS_CLOSE_UNAUTHORIZED, messages: [] });
    const m = await wsOutcome(wsUrl(), { first: JSON.stringify({ type: 'auth', token: 'wrong' }) });
    expect(m).toEqual({ kind: 'closed', code: WS_CLOSE_UNAUTHORIZED, messages: [] });
    const junk = await wsOutcome(wsUrl(), { first: 'hello' });
    expect(junk.kind === 'closed' && junk.code).toBe(WS_CLOSE_UNAUTHORIZED);
    const silent = await wsOutcome(wsUrl(), { waitMs: 3000 }); // authTimeoutMs is 300 in this host
    expect(silent).toEqual({ kind: 'closed', code: WS_CLOSE_UNAUTHORIZED, messages: [] });
    expect(svc.listenerCount()).toBe(0);
  });

  it('delivers encoded events after authentication, with the token in the query', async () => {
    const { loadWs } = await import('./helpers');
    const WS = loadWs();
    const ws = new WS(`${wsUrl()}?token=${TOKEN}`, { headers: { origin: `http://127.0.0.1:${host.port}` } });
    const got: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data) => {
        const msg = decode<{ type: string }>(data.toString('utf8'));
        got.push(msg);
        if (msg.type === WS_READY_TYPE) {
          svc.emit({ type: 'run-progress', runId: 1, experimentId: 1, phase: 'train', epoch: 0, epochs: 2, row: { epoch: 0, train_loss: NaN, train_acc: -Infinity, val_loss: 1, val_acc: 0 } });
        } else resolve();
      });
    });
    const ev = got[1] as { type: string; row: { train_loss: number; train_acc: number } };
    expect(ev.type).toBe('run-progress');
    expect(ev.row.train_loss).toBeNaN();
    expect(ev.row.train_acc).toBe(-Infinity);
    expect(svc.listenerCount()).toBe(1);
    await new Promise<void>((resolve) => { ws.on('close', () => resolve()); ws.close(); });
    await new Promise((r) => setTimeout(r, 50));
    expect(svc.listenerCount()).toBe(0); // the last socket gone, the host stops listening
  });
});

describe('web host: static files', () => {
  it('serves a fallback page that says the UI is not built and how to build it', async () => {
    const r = await raw(host.port, { path: '/' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.text).toContain('The user interface is not built');
    expect(r.text).toContain('npm run build:desktop');
    expect(r.text).toContain(missingDir);
    expect(String(r.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect((await raw(host.port, { path: '/assets/app.js' })).status).toBe(404);
  });

  it('serves a built renderer with a CSP, falls back to index.html for UI routes, hides dotfiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-renderer-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>LW</title><div id="app"></div><script type="module" src="/assets/app.js"></script>');
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
      writeFileSync(join(dir, '.secret'), 'x');
      const h = await startWebHost({ service: createFakeService(), staticDir: dir });
      try {
        expect(h.staticDir).toBe(dir);
        const index = await raw(h.port, { path: '/' });
        expect(index.status).toBe(200);
        expect(index.text).toContain('<title>LW</title>');
        const csp = String(index.headers['content-security-policy']);
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain("'unsafe-eval'");
        expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${h.port}`);
        expect(csp).toContain("frame-ancestors 'none'");
        const js = await raw(h.port, { path: '/assets/app.js' });
        expect(js.status).toBe(200);
        expect(js.headers['content-type']).toMatch(/javascript/);
        const route = await raw(h.port, { path: '/experiments/3', headers: { accept: 'text/html' } });
        expect(route.status).toBe(200);
        expect(route.text).toContain('<title>LW</title>');
        expect((await raw(h.port, { path: '/.secret' })).status).toBe(404);
        expect((await raw(h.port, { path: '/missing.js' })).status).toBe(404);
        expect((await raw(h.port, { path: '/api/getQueue' })).status).toBe(401);
      } finally {
        await h.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
