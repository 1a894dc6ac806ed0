/**
 * The Api over Electron IPC, for the page inside the desktop window: the same
 * `{ api, subscribe }` shape as the browser's http-client.ts, over the
 * preload's `window.lw` bridge (src-preload/bridge.ts). Arguments, results
 * and events travel wire-encoded (src-shared/wire.ts: NaN, ±Infinity, -0 and
 * typed arrays survive); errors come back as ApiErrorBody and are rethrown as
 * ApiError, so callers handle both transports alike.
 */
import { API_METHODS, ApiError, type Api, type ApiErrorBody, type ApiErrorCode, type ApiEvent, type ApiMethod } from '../../src-shared/api';
import type { MenuMessage } from '../../src-shared/ipc-channels';
import { decode, encode } from '../../src-shared/wire';

/** Commands from the desktop application menu (one definition: src-shared/ipc-channels.ts). */
export type { MenuCommand, MenuMessage } from '../../src-shared/ipc-channels';

type IpcReply = { ok: true; value: string } | { ok: false; error: ApiErrorBody };

/** `window.lw`, as exposed by the preload. */
export interface LwBridge {
  invoke(method: string, encodedArg?: string): Promise<unknown>;
  onEvent(cb: (encodedEvent: string) => void): () => void;
  onMenu(cb: (message: MenuMessage) => void): () => void;
}

export interface IpcApiClient {
  api: Api;
  /** live ApiEvents; returns the unsubscribe function */
  subscribe(fn: (e: ApiEvent) => void): () => void;
  /** commands of the desktop menu; returns the unsubscribe function */
  onMenu(fn: (m: MenuMessage) => void): () => void;
}

const CODES: readonly ApiErrorCode[] = ['invalid', 'not-found', 'conflict', 'unauthorized', 'internal'];

function isReply(r: unknown): r is IpcReply {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as { ok?: unknown; value?: unknown; error?: { code?: unknown; message?: unknown } };
  if (o.ok === true) return typeof o.value === 'string';
  return o.ok === false && typeof o.error === 'object' && o.error !== null
    && typeof o.error.code === 'string' && typeof o.error.message === 'string';
}

/** The desktop bridge of this page (`window.lw`), if it runs inside the desktop window. */
export function desktopBridge(): LwBridge | undefined {
  const lw = (globalThis as { lw?: Partial<LwBridge> }).lw;
  return lw && typeof lw.invoke === 'function' && typeof lw.onEvent === 'function' && typeof lw.onMenu === 'function'
    ? (lw as LwBridge)
    : undefined;
}

export function createIpcApi(bridge: LwBridge): IpcApiClient {
  async function call(method: ApiMethod, arg: unknown): Promise<unknown> {
    let reply: unknown;
    try {
      reply = await bridge.invoke(method, arg === undefined ? undefined : encode(arg));
    } catch (err) {
      throw new ApiError('internal', `${method}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!isReply(reply)) throw new ApiError('internal', `${method}: malformed reply from the main process`);
    if (reply.ok) return decode(reply.value);
    const { code, message, fields } = reply.error;
    throw new ApiError(CODES.includes(code) ? code : 'internal', message, fields);
  }

  const api = {} as Record<ApiMethod, (arg?: unknown) => Promise<unknown>>;
  for (const m of API_METHODS) api[m] = (arg?: unknown) => call(m, arg);

  const listeners = new Set<(e: ApiEvent) => void>();
  let unhook: (() => void) | null = null;

  return {
    api: api as unknown as Api,
    subscribe(fn) {
      listeners.add(fn);
      unhook ??= bridge.onEvent((text) => {
        let event: ApiEvent;
        try {
          event = decode<ApiEvent>(text);
        } catch (err) {
          console.warn('lw: undecodable event dropped', err);
          return;
        }
        for (const l of [...listeners]) {
          try {
            l(event);
          } catch (err) {
            console.error('lw: event listener failed', err);
          }
        }
      });
      return () => {
        listeners.delete(fn);
        if (listeners.size === 0 && unhook) {
          unhook();
          unhook = null;
        }
      };
    },
    onMenu(fn) {
      return bridge.onMenu(fn);
    },
  };
}
