/**
 * The wire format of the Api (src-shared/api.ts) over text transports: the
 * local web host (HTTP bodies, WebSocket frames) and the Electron IPC bridge.
 *
 * JSON cannot carry what the science produces: NaN and ±Infinity (a fit with
 * too few points, τ of a non-decaying unit), -0, typed arrays (μ per unit),
 * and `undefined` as distinct from `null` (an absent optional field). This is
 * a small tagged JSON: plain values are plain JSON (readable with curl), and
 * every other value is an object whose only tag key is "$":
 *
 *   {"$":"undefined"}  {"$":"NaN"}  {"$":"Infinity"}  {"$":"-Infinity"}  {"$":"-0"}
 *   {"$":"Float64Array","b64":"…"}   (every typed array kind and ArrayBuffer:
 *                                     the bytes, little-endian, base64; bit exact)
 *   {"$":"Date","ms":…}  {"$":"BigInt","v":"…"}
 *   {"$":"object","v":{…}}           (a plain object that has its own "$" key)
 *
 * Array holes and `undefined` elements become {"$":"undefined"}; object keys
 * whose value is undefined are kept. Class instances are sent as their own
 * enumerable properties (as JSON does); Map, Set, functions, symbols and
 * cycles are refused with a WireError rather than silently changed.
 * Decoding is defensive (the input is untrusted): unknown tags, malformed
 * base64, excessive nesting and "__proto__" tricks raise WireError or are
 * defined as plain own properties.
 *
 * Plain TypeScript: no Node APIs (runs in the renderer, the preload and Node).
 */
import type { ApiErrorCode } from './api';

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/** Deepest nesting of arrays/objects accepted by decode (and produced by encode). */
export const MAX_DEPTH = 256;

type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

interface TypedArrayCtor {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TypedArray;
}

const TYPED: Record<string, TypedArrayCtor> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};

/** True on little-endian hosts (every platform the workstation ships on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverse the byte order of each `width`-byte element, in place. */
export function swapBytes(bytes: Uint8Array, width: number): Uint8Array {
  if (width <= 1) return bytes;
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// base64 (standard alphabet, padded); no atob/btoa/Buffer so it runs anywhere
// ---------------------------------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));

export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = B64_CODES[v >> 18]!;
    out[o++] = B64_CODES[(v >> 12) & 63]!;
    out[o++] = B64_CODES[(v >> 6) & 63]!;
    out[o++] = B64_CODES[v & 63]!;
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | (i + 1 < n ? bytes[i + 1]! << 8 : 0);
    out[o++] = B64_CODES[v >> 18]!;
    out[o++] = B64_CODES[(v >> 12) & 63]!;
    out[o++] = i + 1 < n ? B64_CODES[(v >> 6) & 63]! : 61;
    out[o++] = 61; // '='
  }
  // ASCII codes to a string, in chunks (argument-count limits of fromCharCode.apply)
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let k = 0; k < out.length; k += CHUNK) {
    parts.push(String.fromCharCode.apply(null, out.subarray(k, k + CHUNK) as unknown as number[]));
  }
  return parts.join('');
}

export function base64ToBytes(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw new WireError('malformed base64: length is not a multiple of 4');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      let v: number;
      if (c === 61 /* = */ && last && k >= 4 - pad) v = 0;
      else {
        v = c < 128 ? B64_INDEX[c]! : -1;
        if (v < 0) throw new WireError('malformed base64: unexpected character');
      }
      n = (n << 6) | v;
    }
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

// ---------------------------------------------------------------------------
// encode
// ---------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function encodeNumber(x: number): Json {
  if (Number.isNaN(x)) return { $: 'NaN' };
  if (x === Infinity) return { $: 'Infinity' };
  if (x === -Infinity) return { $: '-Infinity' };
  if (x === 0 && 1 / x < 0) return { $: '-0' };
  return x;
}

function encodeBytes(view: ArrayBufferView, width: number): string {
  const copy = new Uint8Array(view.byteLength);
  copy.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return bytesToBase64(LITTLE_ENDIAN ? copy : swapBytes(copy, width));
}

function toWire(value: unknown, depth: number, stack: Set<object>): Json {
  switch (typeof value) {
    case 'number': return encodeNumber(value);
    case 'string': case 'boolean': return value;
    case 'undefined': return { $: 'undefined' };
    case 'bigint': return { $: 'BigInt', v: value.toString() };
    case 'function': case 'symbol': throw new WireError(`cannot encode a ${typeof value}`);
    default: break;
  }
  if (value === null) return null;
  const obj = value as object;
  if (ArrayBuffer.isView(obj)) {
    if (obj instanceof DataView) throw new WireError('cannot encode a DataView');
    const name = (obj as TypedArray)[Symbol.toStringTag];
    if (!(name in TYPED)) throw new WireError(`cannot encode a ${String(name)}`);
    return { $: name, b64: encodeBytes(obj, (obj as TypedArray).BYTES_PER_ELEMENT) };
  }
  if (obj instanceof ArrayBuffer) return { $: 'ArrayBuffer', b64: bytesToBase64(new Uint8Array(obj)) };
  if (obj instanceof Date) return { $: 'Date', ms: encodeNumber(obj.getTime()) };
  if (obj instanceof Map || obj instanceof Set || obj instanceof WeakMap || obj instanceof WeakSet || obj instanceof Promise) {
    throw new WireError(`cannot encode a ${obj.constructor.name}`);
  }
  if (depth >= MAX_DEPTH) throw new WireError(`nesting deeper than ${MAX_DEPTH}`);
  if (stack.has(obj)) throw new WireError('cannot encode a cyclic structure');
  stack.add(obj);
  let out: Json;
  if (Array.isArray(obj)) {
    const arr: Json[] = new Array<Json>(obj.length);
    for (let i = 0; i < obj.length; i++) arr[i] = toWire(obj[i], depth + 1, stack);
    out = arr;
  } else {
    const rec: { [k: string]: Json } = {};
    let escaped = false;
    for (const key of Object.keys(obj)) {
      if (key === '$') escaped = true;
      const v = toWire((obj as Record<string, unknown>)[key], depth + 1, stack);
      if (key === '__proto__') Object.defineProperty(rec, key, { value: v, enumerable: true, writable: true, configurable: true });
      else rec[key] = v;
    }
    // a plain object that happens to have a "$" key is wrapped so it is not read as a tag
    out = escaped ? { $: 'object', v: rec } : rec;
  }
  stack.delete(obj);
  return out;
}

/** Encode any API payload (argument, result, event, error body) as JSON text. */
export function encode(value: unknown): string {
  return JSON.stringify(toWire(value, 0, new Set()));
}

// ---------------------------------------------------------------------------
// decode
// ---------------------------------------------------------------------------

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function expectKeys(tagged: Record<string, unknown>, keys: string[]): void {
  const own = Object.keys(tagged);
  if (own.length !== keys.length + 1 || !keys.every((k) => Object.prototype.hasOwnProperty.call(tagged, k))) {
    throw new WireError(`malformed "${String(tagged.$)}" value`);
  }
}

function expectString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new WireError(`malformed ${what}: expected a string`);
  return v;
}

function decodeTagged(tagged: Record<string, unknown>, depth: number): unknown {
  const tag = tagged.$;
  if (typeof tag !== 'string') throw new WireError('malformed tag');
  switch (tag) {
    case 'undefined': expectKeys(tagged, []); return undefined;
    case 'NaN': expectKeys(tagged, []); return NaN;
    case 'Infinity': expectKeys(tagged, []); return Infinity;
    case '-Infinity': expectKeys(tagged, []); return -Infinity;
    case '-0': expectKeys(tagged, []); return -0;
    case 'BigInt': {
      expectKeys(tagged, ['v']);
      const s = expectString(tagged.v, 'BigInt');
      if (!/^-?\d{1,4096}$/.test(s)) throw new WireError('malformed BigInt');
      return BigInt(s);
    }
    case 'Date': {
      expectKeys(tagged, ['ms']);
      const ms = fromWire(tagged.ms, depth + 1);
      if (typeof ms !== 'number') throw new WireError('malformed Date');
      return new Date(ms);
    }
    case 'ArrayBuffer': {
      expectKeys(tagged, ['b64']);
      const bytes = base64ToBytes(expectString(tagged.b64, 'ArrayBuffer'));
      return bytes.buffer;
    }
    case 'object': {
      expectKeys(tagged, ['v']);
      const v = tagged.v;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new WireError('malformed "object" value');
      return decodeRecord(v as Record<string, unknown>, depth);
    }
    default: {
      const Ctor = Object.prototype.hasOwnProperty.call(TYPED, tag) ? TYPED[tag] : undefined;
      if (!Ctor) throw new WireError(`unknown tag "${tag.slice(0, 40)}"`);
      expectKeys(tagged, ['b64']);
      const bytes = base64ToBytes(expectString(tagged.b64, tag));
      const width = Ctor.BYTES_PER_ELEMENT;
      if (bytes.length % width !== 0) throw new WireError(`malformed ${tag}: ${bytes.length} bytes is not a multiple of ${width}`);
      if (!LITTLE_ENDIAN) swapBytes(bytes, width);
      return new Ctor(bytes.buffer as ArrayBuffer, 0, bytes.length / width);
    }
  }
}

function decodeRecord(rec: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(rec)) setOwn(out, key, fromWire(rec[key], depth + 1));
  return out;
}

function fromWire(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) throw new WireError(`nesting deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = fromWire(value[i], depth + 1);
    return out;
  }
  const rec = value as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(rec, '$')) return decodeTagged(rec, depth);
  return decodeRecord(rec, depth);
}

/** Decode JSON text produced by `encode` (throws WireError on malformed input). */
export function decode<T = unknown>(text: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new WireError(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return fromWire(parsed, 0) as T;
}

// ---------------------------------------------------------------------------
// The HTTP + WebSocket transport of the web host (src-main/server) and its
// client (src-renderer/api/http-client.ts). Every body is `encode`d text.
//
//   POST /api/<method>     body: encode(arg)  → 200 encode(result)
//                                             | 4xx/5xx encode({ error: ApiErrorBody })
//   GET  /api/export?experimentId=…|runId=…&format=csv|zip|pdf&token=…  → the file (download)
//   GET  /api/events       WebSocket: first message encode({ type: 'auth', token }) (or ?token=…);
//                          server answers { type: 'lw:ready' }, then one encode(ApiEvent) per frame;
//                          a bad token closes the socket with WS_CLOSE_UNAUTHORIZED.
// Token: `Authorization: Bearer <token>` or `X-LW-Token: <token>` (or ?token= on GETs).
// ---------------------------------------------------------------------------

/** Path prefix of the API. */
export const API_PREFIX = '/api/';
export const EVENTS_PATH = '/api/events';
export const EXPORT_PATH = '/api/export';
export const TOKEN_HEADER = 'x-lw-token';
export const TOKEN_QUERY = 'token';
/** Media type of encoded bodies (the wire format is JSON). */
export const WIRE_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Close code of an event socket whose token is missing or wrong (not retried by clients). */
export const WS_CLOSE_UNAUTHORIZED = 4401;
/** Control frame sent once the socket is authenticated (not an ApiEvent). */
export const WS_READY_TYPE = 'lw:ready';
/** First client frame on an event socket. */
export interface WsAuthMessage {
  type: 'auth';
  token: string;
}

/** HTTP status of each ApiErrorCode. */
export const HTTP_STATUS_OF_ERROR: Readonly<Record<ApiErrorCode, number>> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  unauthorized: 401,
  internal: 500,
};

/** The ApiErrorCode a client assumes for an error status whose body it cannot read. */
export function errorCodeOfStatus(status: number): ApiErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status >= 400 && status < 500) return 'invalid';
  return 'internal';
}
