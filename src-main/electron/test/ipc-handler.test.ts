import { describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../../../src-shared/api';
import { decode, encode } from '../../../src-shared/wire';
import { createIpcHandler, errorBody, MAX_ARG_CHARS, type IpcReply } from '../ipc-handler';
import { isAppUrl } from '../security';

const APP = { url: 'lw-app://app/index.html', isMainFrame: true };

/** A fake Api: only the methods a test calls; the rest throw. */
function fakeApi(impl: Partial<Record<keyof Api, (arg?: unknown) => Promise<unknown>>>): Api {
  return new Proxy(impl, {
    get(target, prop) {
      const fn = (target as Record<string | symbol, unknown>)[prop];
      return fn ?? (() => Promise.reject(new Error(`fake api: ${String(prop)} not implemented`)));
    },
  }) as unknown as Api;
}

function value(reply: IpcReply): unknown {
  if (!reply.ok) throw new Error(`expected ok, got ${JSON.stringify(reply.error)}`);
  return decode(reply.value);
}

describe('createIpcHandler', () => {
  it('dispatches a method with the decoded argument and encodes the result faithfully', async () => {
    const getRunResult = vi.fn(async (arg?: unknown) => ({ got: arg, tau: NaN, slope: -Infinity, mu: new Float64Array([1, NaN, -0]) }));
    const handler = createIpcHandler({ api: fakeApi({ getRunResult }), isTrustedUrl: isAppUrl });
    const out = value(await handler(APP, 'getRunResult', encode({ runId: 7 }))) as Record<string, unknown>;
    expect(getRunResult).toHaveBeenCalledTimes(1);
    expect(getRunResult.mock.calls[0]![0]).toEqual({ runId: 7 });
    expect(out.got).toEqual({ runId: 7 });
    expect(out.tau).toBeNaN();
    expect(out.slope).toBe(-Infinity);
    const mu = out.mu as Float64Array;
    expect(mu).toBeInstanceOf(Float64Array);
    expect(mu[0]).toBe(1);
    expect(mu[1]).toBeNaN();
    expect(Object.is(mu[2], -0)).toBe(true);
  });

  it('calls argument-less methods with undefined and keeps `this` bound to the api', async () => {
    let self: unknown = null;
    const api = fakeApi({
      async getQueue(this: unknown, arg?: unknown) {
        self = this;
        return { arg, paused: false, workers: 2, running: [], queued: [] };
      },
    });
    const out = value(await createIpcHandler({ api, isTrustedUrl: isAppUrl })(APP, 'getQueue')) as Record<string, unknown>;
    expect(out).toEqual({ arg: undefined, paused: false, workers: 2, running: [], queued: [] });
    expect(self).toBe(api);
  });

  it('refuses senders that are not the top frame of the app page, before looking at the method', async () => {
    const getQueue = vi.fn(async () => ({}));
    const handler = createIpcHandler({ api: fakeApi({ getQueue }), isTrustedUrl: isAppUrl });
    const senders = [
      null,
      { url: 'lw-app://app/index.html', isMainFrame: false }, // a sub-frame of our page
      { url: 'https://example.com/', isMainFrame: true },
      { url: 'file:///home/user/evil.html', isMainFrame: true },
      { url: 'lw-app://other/index.html', isMainFrame: true },
      { url: 'lw-app://user:pw@app/index.html', isMainFrame: true },
      { url: 'lw-app://app:8080/index.html', isMainFrame: true },
      { url: 'about:blank', isMainFrame: true },
      { url: '', isMainFrame: true },
    ];
    for (const s of senders) {
      expect(await handler(s, 'getQueue')).toEqual({ ok: false, error: { code: 'unauthorized', message: 'unauthorized' } });
    }
    expect(getQueue).not.toHaveBeenCalled();
  });

  it('accepts only names in API_METHODS (no prototype members, no non-strings)', async () => {
    const handler = createIpcHandler({ api: fakeApi({}), isTrustedUrl: isAppUrl });
    for (const m of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'listexperiments', '', 42, null, undefined, { a: 1 }]) {
      const r = await handler(APP, m);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('not-found');
    }
  });

  it('refuses arguments that are not wire text, too large, or malformed, without calling the method', async () => {
    const createExperiment = vi.fn(async () => ({}));
    const handler = createIpcHandler({ api: fakeApi({ createExperiment }), isTrustedUrl: isAppUrl });
    const bad: unknown[] = [{ name: 'x' }, 12, null, '{not json', '{"$":"no-such-tag"}', 'x'.repeat(MAX_ARG_CHARS + 1)];
    for (const arg of bad) {
      const r = await handler(APP, 'createExperiment', arg);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('invalid');
    }
    expect(createExperiment).not.toHaveBeenCalled();
  });

  it('maps ApiError to its body (code, message, fields) and anything else to internal', async () => {
    const fields = [{ field: 'H', message: 'must be a positive integer' }];
    const onInternalError = vi.fn();
    const api = fakeApi({
      createExperiment: async () => { throw new ApiError('invalid', 'bad config', fields); },
      cancelRun: async () => { throw new ApiError('conflict', 'run 3 is already done'); },
      getRun: async () => { throw new ApiError('not-found', 'no run 9'); },
      getQueue: async () => { throw new TypeError('boom'); },
      getSystemInfo: async () => { throw 'a string'; },
    });
    const handler = createIpcHandler({ api, isTrustedUrl: isAppUrl, onInternalError });
    expect(await handler(APP, 'createExperiment', encode({ name: 'x' }))).toEqual({ ok: false, error: { code: 'invalid', message: 'bad config', fields } });
    expect(await handler(APP, 'cancelRun', encode({ runId: 3 }))).toEqual({ ok: false, error: { code: 'conflict', message: 'run 3 is already done' } });
    expect(await handler(APP, 'getRun', encode({ runId: 9 }))).toEqual({ ok: false, error: { code: 'not-found', message: 'no run 9' } });
    expect(onInternalError).not.toHaveBeenCalled();
    expect(await handler(APP, 'getQueue')).toEqual({ ok: false, error: { code: 'internal', message: 'internal error: boom' } });
    expect(await handler(APP, 'getSystemInfo')).toEqual({ ok: false, error: { code: 'internal', message: 'internal error: a string' } });
    expect(onInternalError).toHaveBeenCalledTimes(2);
    expect(onInternalError.mock.calls[0]![0]).toBe('getQueue');
  });

  it('reports a result that cannot be encoded as internal', async () => {
    const onInternalError = vi.fn();
    const api = fakeApi({ getQueue: async () => ({ m: new Map([[1, 2]]) }) });
    const r = await createIpcHandler({ api, isTrustedUrl: isAppUrl, onInternalError })(APP, 'getQueue');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('internal');
    expect(onInternalError).toHaveBeenCalledTimes(1);
  });
});

describe('errorBody', () => {
  it('keeps the shape of an ApiError from another module copy', () => {
    const foreign = Object.assign(new Error('gone'), { name: 'ApiError', code: 'not-found' });
    expect(errorBody(foreign)).toEqual({ code: 'not-found', message: 'gone' });
    const unknownCode = Object.assign(new Error('odd'), { name: 'ApiError', code: 'teapot' });
    expect(errorBody(unknownCode)).toEqual({ code: 'internal', message: 'internal error: odd' });
  });
});
