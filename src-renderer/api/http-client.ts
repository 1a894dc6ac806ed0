/**
 * The Api over HTTP + WebSocket, for a browser talking to the local web host
 * (src-main/server): the same `{ api, subscribe }` shape as ipc-client.ts.
 * Calls are POST /api/<method> with wire-encoded bodies (src-shared/wire.ts:
 * NaN, ±Infinity, -0, typed arrays and undefined survive); an error reply is
 * rethrown as the ApiError the service raised. Events come over one
 * WebSocket, opened while someone listens, authenticated by its first
 * message (the token never appears in its URL), and reopened with
 * exponential backoff after a drop. After a reconnect events may have been
 * missed: `onConnection` reports 'open' each time so views can re-read.
 *
 * Plain TypeScript: uses only fetch and WebSocket (browser globals, or
 * injected: Node 20 has fetch but no global WebSocket; pass the `ws`
 * package's constructor there).
 */
import { API_METHODS, ApiError, type Api, type ApiErrorCode, type ApiEvent, type ApiMethod, type ExportArg } from '../../src-shared/api';
import {
  decode, encode, errorCodeOfStatus, EVENTS_PATH, EXPORT_PATH, TOKEN_QUERY, WIRE_CONTENT_TYPE, WS_CLOSE_UNAUTHORIZED,
  WS_READY_TYPE, type WsAuthMessage,
} from '../../src-shared/wire';

/** The part of fetch this client uses. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

/** The part of the WebSocket interface this client uses (the DOM's, or the `ws` package's). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized';

export interface HttpApiOptions {
  /** the host's origin, e.g. http://127.0.0.1:8123 (in a page: location.origin) */
  baseUrl: string;
  token: string;
  fetch?: FetchLike;
  WebSocket?: WebSocketCtor;
  /** reconnect backoff: first delay, cap (ms) and factor; default 500 ms, 30 s, 2 */
  reconnect?: { initialMs?: number; maxMs?: number; factor?: number };
}

export interface HttpApiClient {
  api: Api;
  /** live ApiEvents; returns the unsubscribe function (the socket closes with the last one) */
  subscribe(fn: (e: ApiEvent) => void): () => void;
  /** state of the event socket; 'open' again after a reconnect means events may have been missed */
  onConnection(fn: (state: ConnectionState) => void): () => void;
  /** a URL that downloads an export (for a link or location.href; carries the token) */
  exportUrl(arg: ExportArg): string;
  /** close the event socket and stop reconnecting */
  close(): void;
}

const CODES: readonly ApiErrorCode[] = ['invalid', 'not-found', 'conflict', 'unauthorized', 'internal'];

/** The access token in a page address (`?token=…`), or null. */
export function tokenFromUrl(href: string): string | null {
  try {
    return new URL(href).searchParams.get(TOKEN_QUERY);
  } catch {
    return null;
  }
}

/** The parts of a page's `window` that takePageToken uses. */
export interface PageLike {
  location: { href: string };
  history?: { replaceState(data: unknown, unused: string, url?: string): void };
  sessionStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

const TOKEN_STORAGE_KEY = 'lw.token';

/**
 * The token of a page the web host served: taken from `?token=` (then kept in
 * sessionStorage and removed from the address bar, so it does not linger in
 * history, bookmarks or screenshots), else the one kept earlier in this tab.
 */
export function takePageToken(page: PageLike = globalThis as unknown as PageLike): string | null {
  const fromUrl = tokenFromUrl(page.location.href);
  if (fromUrl) {
    try {
      page.sessionStorage?.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      // storage may be disabled; the token still works for this page
    }
    const url = new URL(page.location.href);
    url.searchParams.delete(TOKEN_QUERY);
    page.history?.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
    return fromUrl;
  }
  try {
    return page.sessionStorage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

function defaultFetch(): FetchLike {
  const f = (globalThis as { fetch?: unknown }).fetch;
  if (typeof f !== 'function') throw new Error('no fetch in this environment: pass the fetch option');
  return (f as FetchLike).bind(globalThis);
}

function defaultWebSocket(): WebSocketCtor | undefined {
  const w = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof w === 'function' ? (w as WebSocketCtor) : undefined;
}

/** The error a reply carries (its wire-encoded `{ error }` body, or its status when unreadable). */
function errorOfReply(method: string, status: number, text: string): ApiError {
  try {
    const body = decode<{ error?: { code?: unknown; message?: unknown; fields?: unknown } }>(text);
    const e = body?.error;
    if (e && typeof e.message === 'string' && typeof e.code === 'string') {
      const code = CODES.includes(e.code as ApiErrorCode) ? (e.code as ApiErrorCode) : errorCodeOfStatus(status);
      const fields = Array.isArray(e.fields) ? (e.fields as ApiError['fields']) : undefined;
      return new ApiError(code, e.message, fields);
    }
  } catch {
    // not ours (a proxy's page, a truncated body): fall through
  }
  return new ApiError(errorCodeOfStatus(status), `${method}: HTTP ${status}`);
}

export function createHttpApi(opts: HttpApiOptions): HttpApiClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const { token } = opts;
  const doFetch = opts.fetch ?? defaultFetch();
  const backoff = { initialMs: 500, maxMs: 30_000, factor: 2, ...opts.reconnect };

  async function call(method: ApiMethod, arg: unknown): Promise<unknown> {
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await doFetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': WIRE_CONTENT_TYPE, authorization: `Bearer ${token}` },
        body: encode(arg),
      });
    } catch (err) {
      throw new ApiError('internal', `cannot reach the workstation at ${base}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.text();
    if (!res.ok) throw errorOfReply(method, res.status, text);
    try {
      return decode(text);
    } catch (err) {
      throw new ApiError('internal', `${method}: malformed reply: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const api = {} as Record<ApiMethod, (arg?: unknown) => Promise<unknown>>;
  for (const m of API_METHODS) api[m] = (arg?: unknown) => call(m, arg);

  // ---- events ------------------------------------------------------------
  const listeners = new Set<(e: ApiEvent) => void>();
  const watchers = new Set<(s: ConnectionState) => void>();
  let socket: WebSocketLike | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;
  let state: ConnectionState = 'closed';
  let stopped = false;

  const setState = (s: ConnectionState) => {
    if (s === state && s !== 'open') return;
    state = s;
    for (const w of [...watchers]) {
      try {
        w(s);
      } catch (err) {
        console.error('lw: connection listener failed', err);
      }
    }
  };

  const wsUrl = `${base.replace(/^http/i, 'ws')}${EVENTS_PATH}`;

  function dispatch(text: string): void {
    let event: { type?: unknown };
    try {
      event = decode<{ type?: unknown }>(text);
    } catch (err) {
      console.warn('lw: undecodable event dropped', err);
      return;
    }
    if (event?.type === WS_READY_TYPE) {
      attempt = 0;
      setState('open');
      return;
    }
    for (const l of [...listeners]) {
      try {
        l(event as ApiEvent);
      } catch (err) {
        console.error('lw: event listener failed', err);
      }
    }
  }

  function scheduleReconnect(): void {
    if (stopped || listeners.size === 0 || retryTimer) return;
    const raw = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** attempt);
    attempt++;
    const delay = raw * (0.5 + 0.5 * Math.random()); // jitter: many tabs do not reconnect in step
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  }

  function connect(): void {
    if (stopped || socket || listeners.size === 0) return;
    const Ctor = opts.WebSocket ?? defaultWebSocket();
    if (!Ctor) {
      console.warn('lw: no WebSocket in this environment: live events are off');
      return;
    }
    setState('connecting');
    let ws: WebSocketLike;
    try {
      ws = new Ctor(wsUrl);
    } catch (err) {
      console.warn('lw: cannot open the event socket', err);
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      const auth: WsAuthMessage = { type: 'auth', token };
      ws.send(JSON.stringify(auth));
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') dispatch(ev.data);
    };
    ws.onerror = () => {
      // a close follows; reconnecting is decided there
    };
    ws.onclose = (ev) => {
      if (socket === ws) socket = null;
      if (ev.code === WS_CLOSE_UNAUTHORIZED) {
        setState('unauthorized'); // a wrong token stays wrong: do not retry
        return;
      }
      setState('closed');
      scheduleReconnect();
    };
  }

  function disconnect(): void {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    const ws = socket;
    socket = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.onerror = null;
      ws.onopen = null;
      try {
        ws.close(1000, 'done');
      } catch {
        // already closed
      }
    }
    attempt = 0;
    setState('closed');
  }

  return {
    api: api as unknown as Api,
    subscribe(fn) {
      listeners.add(fn);
      if (state !== 'unauthorized') connect();
      return () => {
        listeners.delete(fn);
        if (listeners.size === 0) disconnect();
      };
    },
    onConnection(fn) {
      watchers.add(fn);
      return () => void watchers.delete(fn);
    },
    exportUrl(arg) {
      const q = new URLSearchParams();
      if (arg.experimentId !== undefined) q.set('experimentId', String(arg.experimentId));
      if (arg.runId !== undefined) q.set('runId', String(arg.runId));
      q.set('format', arg.format);
      if (arg.table !== undefined) q.set('table', arg.table);
      q.set(TOKEN_QUERY, token);
      return `${base}${EXPORT_PATH}?${q.toString()}`;
    },
    close() {
      stopped = true;
      disconnect();
    },
  };
}
