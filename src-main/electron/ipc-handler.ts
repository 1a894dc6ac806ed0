/**
 * The main-process side of the `lw:api` IPC channel, without Electron (so it
 * is unit-tested in plain Node): sender check, method-name check, argument
 * decoding, dispatch to the service's Api, and error mapping (DESIGN.md §5).
 *
 * Replies are envelopes rather than rejections: Electron turns a rejected
 * ipcMain.handle into a bare Error whose message is prefixed and whose
 * fields are lost, so an ApiError could not be rebuilt in the renderer.
 *
 *   { ok: true, value }   value: the wire-encoded result (src-shared/wire.ts)
 *   { ok: false, error }  error: an ApiErrorBody (code, message, fields?)
 *
 * Arguments are decoded here and validated by the service (every method
 * validates its argument object; see src-shared/api.ts).
 */
import { API_METHODS, ApiError, isApiMethod, type Api, type ApiErrorBody, type ApiErrorCode } from '../../src-shared/api';
import { decode as wireDecode, encode as wireEncode } from '../../src-shared/wire';

/** Who sent an invoke: the URL of the sending frame and whether it is the top frame. */
export interface IpcSender {
  url: string;
  isMainFrame: boolean;
}

export type IpcReply = { ok: true; value: string } | { ok: false; error: ApiErrorBody };

export interface IpcHandlerOptions {
  api: Api;
  /** true for the URLs of the app's own pages (security.ts isAppUrl) */
  isTrustedUrl: (url: string) => boolean;
  /** default: src-shared/wire.ts */
  encode?: (value: unknown) => string;
  decode?: (text: string) => unknown;
  /** unexpected (non-ApiError) failures are reported here (default console.error) */
  onInternalError?: (method: string, err: unknown) => void;
}

export type IpcHandler = (sender: IpcSender | null, method: unknown, encodedArg?: unknown) => Promise<IpcReply>;

/** Largest encoded argument accepted (the web host has a body limit too). */
export const MAX_ARG_CHARS = 8 * 1024 * 1024;

const ERROR_CODES: readonly ApiErrorCode[] = ['invalid', 'not-found', 'conflict', 'unauthorized', 'internal'];

function fail(code: ApiErrorCode, message: string): IpcReply {
  return { ok: false, error: { code, message } };
}

/** An ApiError's body; anything else is 'internal' with its message. */
export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return err.toBody();
  // an ApiError from another copy of the module (a second bundle) keeps its shape
  if (err instanceof Error && err.name === 'ApiError') {
    const e = err as Error & { code?: unknown; fields?: unknown };
    if (typeof e.code === 'string' && (ERROR_CODES as readonly string[]).includes(e.code)) {
      return { code: e.code as ApiErrorCode, message: e.message, ...(Array.isArray(e.fields) ? { fields: e.fields } : {}) };
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: `internal error: ${message}` };
}

export function createIpcHandler(opts: IpcHandlerOptions): IpcHandler {
  const encode = opts.encode ?? wireEncode;
  const decode = opts.decode ?? wireDecode;
  const onInternal = opts.onInternalError ?? ((method: string, err: unknown) => {
    console.error(`lw: ${method} failed:`, err);
  });

  return async (sender, method, encodedArg) => {
    // only the top frame of the app's own page may call (not a sub-frame, not another origin)
    if (!sender || !sender.isMainFrame || !opts.isTrustedUrl(sender.url)) {
      return fail('unauthorized', 'unauthorized');
    }
    if (!isApiMethod(method)) {
      return fail('not-found', `unknown method ${typeof method === 'string' ? JSON.stringify(method.slice(0, 64)) : `(${typeof method})`}; expected one of ${API_METHODS.join(', ')}`);
    }
    let arg: unknown;
    if (encodedArg !== undefined) {
      if (typeof encodedArg !== 'string') return fail('invalid', `the argument of ${method} must be wire-encoded text`);
      if (encodedArg.length > MAX_ARG_CHARS) return fail('invalid', `the argument of ${method} is too large (${encodedArg.length} > ${MAX_ARG_CHARS} characters)`);
      try {
        arg = decode(encodedArg);
      } catch (err) {
        return fail('invalid', `the argument of ${method} cannot be decoded: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    let result: unknown;
    try {
      const fn = opts.api[method] as (a?: unknown) => Promise<unknown>;
      result = await fn.call(opts.api, arg);
    } catch (err) {
      const body = errorBody(err);
      if (body.code === 'internal') onInternal(method, err);
      return { ok: false, error: body };
    }
    try {
      return { ok: true, value: encode(result) };
    } catch (err) {
      onInternal(method, err);
      return fail('internal', `internal error: the result of ${method} cannot be encoded`);
    }
  };
}
