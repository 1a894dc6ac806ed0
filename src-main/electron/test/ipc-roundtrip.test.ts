/**
 * The whole IPC path without Electron: the page's client (src-renderer/api/
 * ipc-client.ts) → the preload bridge (src-preload/bridge.ts) → a stand-in
 * for Electron's IPC that carries values by structured clone and records the
 * sender frame → the main-process handler (ipc-handler.ts) → an Api.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type Api, type ApiEvent } from '../../../src-shared/api';
import { API_CHANNEL, EVENT_CHANNEL } from '../../../src-shared/ipc-channels';
import { encode } from '../../../src-shared/wire';
import { createBridge } from '../../../src-preload/bridge';
import { createIpcApi } from '../../../src-renderer/api/ipc-client';
import { createIpcHandler, type IpcSender } from '../ipc-handler';
import { isAppUrl } from '../security';

function wire(api: Partial<Api>, sender: IpcSender) {
  const handler = createIpcHandler({ api: api as Api, isTrustedUrl: isAppUrl, onInternalError: () => {} });
  const toPage = new EventEmitter();
  const ipc = {
    // Electron copies arguments and results with the structured clone algorithm
    invoke: async (ch: string, ...args: unknown[]) => {
      expect(ch).toBe(API_CHANNEL);
      return structuredClone(await handler(sender, ...(structuredClone(args) as [unknown, unknown])));
    },
    on: (ch: string, l: (...a: unknown[]) => void) => toPage.on(ch, l),
    removeListener: (ch: string, l: (...a: unknown[]) => void) => toPage.removeListener(ch, l),
  };
  const client = createIpcApi(createBridge(ipc as never));
  const emit = (e: ApiEvent) => toPage.emit(EVENT_CHANNEL, {}, encode(e));
  return { client, emit, toPage };
}

const APP: IpcSender = { url: 'lw-app://app/index.html', isMainFrame: true };

describe('IPC round trip', () => {
  it('carries arguments and results with NaN, Infinity and typed arrays', async () => {
    const api: Partial<Api> = {
      async setWorkers(arg) {
        return { paused: false, workers: arg.workers, gpuRuns: 4, running: [NaN as number], queued: [Infinity] };
      },
    };
    const { client } = wire(api, APP);
    const q = await client.api.setWorkers({ workers: 3 });
    expect(q.workers).toBe(3);
    expect(q.running[0]).toBeNaN();
    expect(q.queued[0]).toBe(Infinity);
  });

  it('rebuilds ApiError with its code and fields', async () => {
    const fields = [{ field: 'T', message: 'must be at least 2' }];
    const api: Partial<Api> = { async validateConfig() { throw new ApiError('invalid', 'bad', fields); } };
    const { client } = wire(api, APP);
    const err = await client.api.validateConfig({ config: { T: 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'invalid', message: 'bad', fields });
  });

  it('a foreign page gets unauthorized', async () => {
    const { client } = wire({ async getQueue() { return { paused: false, workers: 1, gpuRuns: 4, running: [], queued: [] }; } }, { url: 'https://evil.example/', isMainFrame: true });
    await expect(client.api.getQueue()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('delivers events decoded to every subscriber and unhooks the bridge when the last leaves', () => {
    const { client, emit, toPage } = wire({}, APP);
    const a: ApiEvent[] = [];
    const b: ApiEvent[] = [];
    const offA = client.subscribe((e) => a.push(e));
    const offB = client.subscribe((e) => b.push(e));
    expect(toPage.listenerCount(EVENT_CHANNEL)).toBe(1);
    emit({ type: 'run-progress', runId: 1, experimentId: 2, phase: 'train', etaSeconds: NaN });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    toPage.emit(EVENT_CHANNEL, {}, '{broken'); // dropped with a warning, the others still flow
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    offA();
    emit({ type: 'experiment-deleted', experimentId: 2 });
    offB();
    expect(toPage.listenerCount(EVENT_CHANNEL)).toBe(0);
    expect(a).toHaveLength(1);
    expect((a[0] as { etaSeconds: number }).etaSeconds).toBeNaN();
    expect(b.map((e) => e.type)).toEqual(['run-progress', 'experiment-deleted']);
  });
});
