/**
 * `lw serve`: options, start-up and clean shutdown in-process with the fake
 * service, and once end to end as a child process with the real service
 * (SQLite in a temp dir, one smoke run on the pool, events over the socket,
 * a CSV download, SIGTERM → exit 0).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError, type ApiEvent } from '../../../src-shared/api';
import { createHttpApi, type ConnectionState, type WebSocketCtor } from '../../../src-renderer/api/http-client';
import { parseServeOptions, serve, type ServeService } from '../../cli/commands/serve';
import { memoryIO } from '../../cli/io';
import type { WebHost } from '../web-host';
import { createFakeService } from './fake-service';
import { loadWs, raw } from './helpers';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('lw serve: options', () => {
  it('parses valid options and rejects bad ones with a message naming the flag', () => {
    expect(parseServeOptions({})).toEqual({ ok: true, port: 0, host: '127.0.0.1' });
    expect(parseServeOptions({ port: '8123', host: '::1', workers: '3' })).toEqual({ ok: true, port: 8123, host: '::1', workers: 3 });
    for (const [o, flag] of [[{ port: '70000' }, '--port'], [{ port: '-1' }, '--port'], [{ port: 'x' }, '--port'], [{ host: 'a b' }, '--host'], [{ workers: '1.5' }, '--workers']] as const) {
      const r = parseServeOptions(o);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.message).toContain(flag);
    }
  });

  it('exits 2 on a bad option or a short $LW_TOKEN, before opening anything', async () => {
    let opened = 0;
    const deps = { createService: () => { opened++; return { ...createFakeService(), close: async () => {} }; }, resolveDataDir: () => '/x' };
    const io = memoryIO();
    expect(await serve({ port: 'abc' }, io, deps)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--port must be an integer/);
    expect(await serve({}, io, { ...deps, env: { LW_TOKEN: 'short' } })).toBe(2);
    expect(opened).toBe(0);
  });
});

describe('lw serve: in-process with a fake service', () => {
  it('prints the URL as the only stdout line, serves, and closes host and service on stop', async () => {
    const fake = createFakeService();
    let closed = 0;
    const service: ServeService = { ...fake, close: async () => void closed++ };
    let stop!: () => void;
    const stopSignal = new Promise<void>((r) => (stop = r));
    let listening!: (h: WebHost) => void;
    const started = new Promise<WebHost>((r) => (listening = r));
    const io = memoryIO();
    const seen: { dataDir?: string; workers?: number; host?: string } = {};
    const done = serve({ dataDir: 'rel/dir', workers: '3' }, io, {
      createService: (o) => { Object.assign(seen, o); return service; },
      resolveDataDir: (d) => `/abs/${d}`,
      env: { LW_TOKEN: 'fixed-token-for-tests-0001' },
      stopSignal,
      onListening: listening,
    });
    const host = await started;
    expect(seen).toMatchObject({ dataDir: '/abs/rel/dir', workers: 3, host: 'web' });
    expect(io.stdout).toEqual([`http://127.0.0.1:${host.port}/?token=fixed-token-for-tests-0001`]);
    expect(io.stderr.join('\n')).toContain('data in /abs/rel/dir');
    const r = await raw(host.port, { method: 'POST', path: '/api/getQueue', body: '', headers: { 'content-type': 'application/json', 'x-lw-token': 'fixed-token-for-tests-0001' } });
    expect(r.status).toBe(200);
    stop();
    expect(await done).toBe(0);
    expect(closed).toBe(1);
    await expect(raw(host.port, { path: '/' })).rejects.toThrow(/ECONNREFUSED/);
    expect(io.stderr.at(-1)).toBe('lw serve: stopped');
  });

  it('exits 1 with a clear message when the port is taken, closing the service', async () => {
    const first = createFakeService();
    let stop!: () => void;
    const stopSignal = new Promise<void>((r) => (stop = r));
    let listening!: (h: WebHost) => void;
    const started = new Promise<WebHost>((r) => (listening = r));
    const io1 = memoryIO();
    const running = serve({}, io1, { createService: () => ({ ...first, close: async () => {} }), resolveDataDir: () => '/a', stopSignal, onListening: listening });
    const host = await started;
    let closed = 0;
    const io2 = memoryIO();
    const code = await serve({ port: String(host.port) }, io2, { createService: () => ({ ...createFakeService(), close: async () => void closed++ }), resolveDataDir: () => '/b' });
    expect(code).toBe(1);
    expect(io2.stderr.join('\n')).toContain(`port ${host.port} is in use`);
    expect(closed).toBe(1);
    stop();
    expect(await running).toBe(0);
  });
});

describe('lw serve: other interfaces', () => {
  it('--host 0.0.0.0 warns that other machines can reach it; the Origin must still be the host itself', async () => {
    let stop!: () => void;
    const stopSignal = new Promise<void>((r) => (stop = r));
    let listening!: (h: WebHost) => void;
    const started = new Promise<WebHost>((r) => (listening = r));
    const io = memoryIO();
    const done = serve({ host: '0.0.0.0' }, io, {
      createService: () => ({ ...createFakeService(), close: async () => {} }), resolveDataDir: () => '/d', stopSignal, onListening: listening,
    });
    const host = await started;
    expect(io.stderr.join('\n')).toMatch(/WARNING: listening on 0\.0\.0\.0: other machines can reach this host/);
    const headers = { 'content-type': 'application/json', 'x-lw-token': host.token, host: `192.0.2.7:${host.port}` };
    expect((await raw(host.port, { method: 'POST', path: '/api/getQueue', body: '', headers })).status).toBe(200);
    expect((await raw(host.port, { method: 'POST', path: '/api/getQueue', body: '', headers: { ...headers, origin: 'http://evil.example' } })).status).toBe(403);
    expect((await raw(host.port, { method: 'POST', path: '/api/getQueue', body: '', headers: { ...headers, origin: `http://192.0.2.7:${host.port}` } })).status).toBe(200);
    stop();
    expect(await done).toBe(0);
  });
});

describe('lw serve: end to end with the real service', () => {
  it('child process: URL on stdout, a smoke run with live events, a CSV download, SIGTERM exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lw-serve-'));
    tmpDirs.push(dataDir);
    const child = spawn(process.execPath, [join(ROOT, 'bin/lw.mjs'), 'serve', '--data-dir', dataDir, '--workers', '1'], {
      cwd: ROOT, env: { ...process.env, LW_TOKEN: undefined }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => void (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const t = setTimeout(() => reject(new Error(`no URL after 30 s; stderr: ${stderr}`)), 30_000);
        const check = () => {
          const m = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43})$/m.exec(stdout);
          if (m) { clearTimeout(t); resolveUrl(m[1]!); }
        };
        child.stdout.on('data', check);
        void exited.then((c) => reject(new Error(`exited ${c}: ${stderr}`)));
      });
      const u = new URL(url);
      const client = createHttpApi({ baseUrl: u.origin, token: u.searchParams.get('token')!, WebSocket: loadWs() as unknown as WebSocketCtor });
      const info = await client.api.getSystemInfo();
      expect(info.host).toBe('web');
      expect(info.dataDir).toBe(dataDir);

      const bad = await client.api.createExperiment({ name: 'bad', preset: 'smoke', config: { lr: -1 } }).then(() => null, (e: unknown) => e);
      expect(bad).toBeInstanceOf(ApiError);
      expect((bad as ApiError).code).toBe('invalid');
      expect((bad as ApiError).fields?.some((f) => f.field === 'lr')).toBe(true);

      const events: ApiEvent[] = [];
      const states: ConnectionState[] = [];
      client.onConnection((s) => states.push(s));
      client.subscribe((e) => events.push(e));
      await new Promise<void>((r, reject) => {
        const t0 = Date.now();
        const tick = () => (states.includes('open') ? r() : Date.now() - t0 > 10_000 ? reject(new Error('no socket')) : setTimeout(tick, 10));
        tick();
      });
      const exp = await client.api.createExperiment({ name: 'web smoke', preset: 'smoke', config: { models: ['const'] } });
      expect(exp.runs).toHaveLength(1);
      const runId = exp.runs[0]!.id;
      await new Promise<void>((r, reject) => {
        const t0 = Date.now();
        const tick = () => {
          if (events.some((e) => e.type === 'run-status' && e.run.id === runId && e.run.status === 'done')) return r();
          if (Date.now() - t0 > 60_000) return reject(new Error(`run not done; events: ${events.map((e) => e.type).join(',')}`));
          setTimeout(tick, 20);
        };
        tick();
      });
      expect(events.some((e) => e.type === 'experiment-created' && e.experiment.id === exp.id)).toBe(true);
      expect(events.some((e) => e.type === 'run-progress' && e.runId === runId)).toBe(true);
      const result = await client.api.getRunResult({ runId });
      expect(result!.curve.length).toBe(exp.config.epochs);

      const res = await fetch(client.exportUrl({ experimentId: exp.id, format: 'csv', table: 'learning_curve' }));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.csv"/);
      const csv = await res.text();
      expect(csv.split('\n')[0]).toContain('train_loss');
      client.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('lw serve: stopped');
  });
});
