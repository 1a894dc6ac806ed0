/**
 * The browser client (src-renderer/api/http-client.ts) against a real web host
 * on 127.0.0.1 serving the in-memory fake service: every Api method goes
 * through, NaN/±∞/-0/typed arrays survive both ways, ApiErrors come back
 * with their code, events arrive over the socket, and the socket reconnects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { API_METHODS, ApiError, type ApiEvent } from '../../../src-shared/api';
import { createHttpApi, takePageToken, tokenFromUrl, type ConnectionState, type HttpApiClient, type WebSocketCtor } from '../../../src-renderer/api/http-client';
import { startWebHost, type WebHost } from '../web-host';
import { createFakeService, type FakeService } from './fake-service';
import { loadWs } from './helpers';

const WS = loadWs() as unknown as WebSocketCtor;
const open: { host?: WebHost; client?: HttpApiClient }[] = [];

async function setup(opts: { token?: string; clientToken?: string; port?: number; svc?: FakeService } = {}) {
  const svc = opts.svc ?? createFakeService();
  const host = await startWebHost({ service: svc, token: opts.token, port: opts.port, staticDir: '/nonexistent-renderer', onInternalError: () => {} });
  const client = createHttpApi({
    baseUrl: host.origin, token: opts.clientToken ?? host.token, WebSocket: WS,
    reconnect: { initialMs: 20, maxMs: 200, factor: 2 },
  });
  open.push({ host, client });
  return { svc, host, client };
}

afterEach(async () => {
  for (const o of open.splice(0)) {
    o.client?.close();
    await o.host?.close();
  }
});

function waitFor<T>(check: () => T | undefined, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = check();
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error('timed out'));
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe('http client', () => {
  it('reads the token from the page address', () => {
    expect(tokenFromUrl('http://127.0.0.1:5/?token=abc_-1')).toBe('abc_-1');
    expect(tokenFromUrl('http://127.0.0.1:5/')).toBeNull();
    expect(tokenFromUrl('not a url')).toBeNull();
  });

  it('takes the page token once, keeps it for the tab and clears it from the address bar', () => {
    const store = new Map<string, string>();
    const replaced: string[] = [];
    const page = {
      location: { href: 'http://127.0.0.1:9/experiments?x=1&token=t0k3n#run-2' },
      history: { replaceState: (_d: unknown, _u: string, url?: string) => void replaced.push(url ?? '') },
      sessionStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
    };
    expect(takePageToken(page)).toBe('t0k3n');
    expect(replaced).toEqual(['/experiments?x=1#run-2']);
    page.location.href = 'http://127.0.0.1:9/experiments?x=1#run-2'; // after a reload without the token
    expect(takePageToken(page)).toBe('t0k3n');
    expect(takePageToken({ location: { href: 'http://127.0.0.1:9/' } })).toBeNull();
  });

  it('implements every Api method (each reaches the service by name)', async () => {
    const { svc, client } = await setup();
    const api = client.api as unknown as Record<string, (arg?: unknown) => Promise<unknown>>;
    const args: Record<string, unknown> = {
      listExperiments: {}, getExperiment: { id: 1 }, createExperiment: { name: 'a' }, updateExperiment: { id: 1 },
      duplicateExperiment: { id: 1 }, deleteExperiment: { id: 1 }, resumeExperiment: { id: 1 }, cancelExperiment: { id: 1 },
      getRun: { runId: 2 }, getRunResult: { runId: 2 }, listRunEvents: { runId: 2 }, cancelRun: { runId: 2 }, rerunRun: { runId: 2 },
      setWorkers: { workers: 3 }, setGpuRuns: { gpuRuns: 2 }, validateConfig: {}, estimateRuns: {}, exportData: { experimentId: 1, format: 'csv' },
      importResults: { path: '/x' }, startGpuTuning: { preset: 'smoke', budgetSeconds: 10 }, listGpuTunings: { adapter: 'NVIDIA H200' },
      deleteGpuTuning: { id: 1 },
    };
    for (const m of API_METHODS) {
      expect(typeof api[m]).toBe('function');
      await api[m]!(args[m]);
      expect(svc.calls.at(-1)!.method).toBe(m);
      expect(svc.calls.at(-1)!.arg).toEqual(args[m]);
    }
    expect(svc.calls).toHaveLength(API_METHODS.length);
  });

  it('round-trips NaN, ±Infinity, -0 and typed arrays in arguments and results', async () => {
    const { svc, client } = await setup();
    await client.api.createExperiment({ name: 'n', config: { lr: NaN, grad_clip: Infinity, noise_std: -Infinity, momentum: -0, note: undefined } });
    const cfg = (svc.calls.at(-1)!.arg as { config: Record<string, unknown> }).config;
    expect(cfg.lr).toBeNaN();
    expect(cfg.grad_clip).toBe(Infinity);
    expect(cfg.noise_std).toBe(-Infinity);
    expect(Object.is(cfg.momentum, -0)).toBe(true);
    expect(Object.keys(cfg)).toContain('note');

    const r = await client.api.getRunResult({ runId: 1 });
    expect(r).not.toBeNull();
    expect(r!.curve[0]!.val_loss).toBeNaN();
    expect(r!.curve[0]!.train_acc).toBe(-Infinity);
    expect(Object.is(r!.curve[0]!.val_acc, -0)).toBe(true);
    const mu = r!.diagnostics!.muUnits;
    expect(mu[0]).toBeInstanceOf(Float64Array);
    expect(Array.from(new Uint8Array(mu[0]!.buffer))).toEqual(Array.from(new Uint8Array(svc.runResult.diagnostics!.muUnits[0]!.buffer)));
    expect(mu[1]![0]).toBe(Infinity);
    expect(r!.diagnostics!.tau[0]!.tau).toBe(Infinity);
    expect(r!.diagnostics!.tau[0]!.C).toBeNaN();
    expect(await client.api.getRunResult({ runId: 0 })).toBeNull();
    const est = await client.api.estimateRuns({});
    expect(est.cpuSeconds).toBe(Infinity);
    expect(est.wallSeconds).toBeNaN();
    const file = await client.api.exportData({ experimentId: 1, format: 'pdf' });
    expect(file.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(file.bytes)).toEqual(Array.from(svc.exportFile.bytes));
  });

  it('rebuilds ApiError with its code, message and fields', async () => {
    const { client } = await setup();
    const cases: [number, string, string][] = [[400, 'invalid', 'runId is odd'], [404, 'not-found', 'no run 404'], [409, 'conflict', 'run 409 is busy'], [401, 'unauthorized', 'not yours'], [500, 'internal', 'database on fire']];
    for (const [runId, code, message] of cases) {
      const err = await client.api.getRun({ runId }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(code);
      expect((err as ApiError).message).toBe(message);
      if (code === 'invalid') expect((err as ApiError).fields).toEqual([{ field: 'runId', message: 'must be even' }]);
    }
  });

  it('a wrong token gives ApiError unauthorized; an unreachable host gives internal', async () => {
    const { client } = await setup({ clientToken: 'definitely-not-the-token' });
    await expect(client.api.getQueue()).rejects.toMatchObject({ code: 'unauthorized' });
    const { host } = await setup();
    const port = host.port;
    await host.close();
    const dead = createHttpApi({ baseUrl: `http://127.0.0.1:${port}`, token: 'x' });
    const err = await dead.api.getQueue().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('internal');
    expect((err as ApiError).message).toMatch(/cannot reach/);
  });

  it('builds a download URL that the host serves', async () => {
    const { host, client } = await setup();
    const url = client.exportUrl({ runId: 4, format: 'zip' });
    expect(url).toBe(`${host.origin}/api/export?runId=4&format=zip&token=${encodeURIComponent(host.token)}`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="/);
  });

  it('delivers events over the WebSocket, authenticated by the first message', async () => {
    const { svc, client } = await setup();
    const states: ConnectionState[] = [];
    client.onConnection((s) => states.push(s));
    const got: ApiEvent[] = [];
    const off = client.subscribe((e) => got.push(e));
    await waitFor(() => (states.includes('open') ? true : undefined));
    expect(svc.listenerCount()).toBe(1);
    svc.emit({ type: 'queue', state: { paused: true, workers: 2, gpuRuns: 3, running: [1], queued: [2, 3] } });
    svc.emit({ type: 'run-progress', runId: 1, experimentId: 1, phase: 'diagnostics', stage: 'lags', done: 1, total: 4, etaSeconds: Infinity });
    await waitFor(() => (got.length === 2 ? true : undefined));
    expect(got[0]).toEqual({ type: 'queue', state: { paused: true, workers: 2, gpuRuns: 3, running: [1], queued: [2, 3] } });
    expect((got[1] as { etaSeconds: number }).etaSeconds).toBe(Infinity);
    off();
    await waitFor(() => (svc.listenerCount() === 0 ? true : undefined));
    expect(states.at(-1)).toBe('closed');
  });

  it('reconnects with backoff after the host goes away and comes back on the same port', async () => {
    const token = 'reconnect-token-0123456789';
    const svc = createFakeService();
    const first = await setup({ token, svc });
    const { client } = first;
    const states: ConnectionState[] = [];
    client.onConnection((s) => states.push(s));
    const got: ApiEvent[] = [];
    client.subscribe((e) => got.push(e));
    await waitFor(() => (states.filter((s) => s === 'open').length === 1 ? true : undefined));
    const port = first.host.port;
    await first.host.close();
    await waitFor(() => (states.includes('closed') ? true : undefined));
    const again = await startWebHost({ service: svc, token, port, staticDir: '/nonexistent-renderer' });
    open.push({ host: again });
    await waitFor(() => (states.filter((s) => s === 'open').length === 2 ? true : undefined), 5000);
    svc.emit({ type: 'experiment-deleted', experimentId: 42 });
    await waitFor(() => (got.length === 1 ? true : undefined));
    expect(got[0]).toEqual({ type: 'experiment-deleted', experimentId: 42 });
  });

  it('stops reconnecting when the socket is refused for a bad token', async () => {
    const { svc, client } = await setup({ clientToken: 'wrong-token-wrong-token' });
    const states: ConnectionState[] = [];
    client.onConnection((s) => states.push(s));
    client.subscribe(() => {});
    await waitFor(() => (states.includes('unauthorized') ? true : undefined));
    await new Promise((r) => setTimeout(r, 150)); // several backoff periods
    expect(states.filter((s) => s === 'connecting')).toHaveLength(1);
    expect(svc.listenerCount()).toBe(0);
  });
});
