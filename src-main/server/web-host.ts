/**
 * The local web host (DESIGN.md §1, §5): the workstation's Api over HTTP and
 * its events over WebSocket, for browsers, plus the built renderer as static
 * files. The wire format and routes are described in src-shared/wire.ts.
 *
 * Security: binds 127.0.0.1 unless told otherwise; every /api request needs
 * the token (Authorization: Bearer, X-LW-Token, or ?token= on GETs and the
 * event socket); a wrong or missing token is a bare 401; a request from
 * another origin (Origin header present and not this host's) is 403, as is a
 * Host header that does not name this host (DNS rebinding); no CORS headers
 * are ever sent; every response carries nosniff, no-referrer, a CSP with
 * frame-ancestors 'none'.
 */
import { existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, isApiMethod, type Api, type ApiErrorBody, type ApiEvent, type ExportArg, type ExportFormat } from '../../src-shared/api';
import {
  API_PREFIX, decode, encode, EVENTS_PATH, EXPORT_PATH, HTTP_STATUS_OF_ERROR, TOKEN_QUERY, WIRE_CONTENT_TYPE, WireError,
} from '../../src-shared/wire';
import { EventHub, type EventSocket } from './events';
import { fallbackPage } from './fallback-page';
import {
  API_CONTENT_SECURITY_POLICY, authority, COMMON_SECURITY_HEADERS, contentDisposition, generateToken, HostPolicy,
  tokenMatches, tokenOfRequest, uiContentSecurityPolicy,
} from './security';

/** What the host needs of the service (src-main/core/service.ts createService). */
export interface WebHostService {
  api: Api;
  subscribe(fn: (e: ApiEvent) => void): () => void;
}

export interface WebHostOptions {
  service: WebHostService;
  /** interface to bind (default 127.0.0.1) */
  host?: string;
  /** TCP port; 0 (default) picks a free one */
  port?: number;
  /** access token (default: 32 random bytes, base64url) */
  token?: string;
  /** folder of the built renderer (default out/renderer of the project, when it holds an index.html) */
  staticDir?: string;
  /** largest request body in bytes (default 1 MiB) */
  bodyLimit?: number;
  /** where internal errors are reported (default: stderr) */
  onInternalError?: (err: unknown, where: string) => void;
  /** event socket tuning (tests) */
  events?: { authTimeoutMs?: number; pingIntervalMs?: number; maxBufferedBytes?: number };
}

export interface WebHost {
  /** the address to open, with the token: http://127.0.0.1:PORT/?token=… */
  url: string;
  /** the address without the token */
  origin: string;
  port: number;
  /** the interface asked for, and the address actually bound */
  host: string;
  boundAddress: string;
  token: string;
  /** the static folder served, or null when the fallback page is served */
  staticDir: string | null;
  close(): Promise<void>;
}

/** The project's out/renderer (what `npm run build:desktop` produces). */
export function defaultStaticDir(): string {
  return fileURLToPath(new URL('../../out/renderer/', import.meta.url));
}

function hasIndex(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, 'index.html'));
  } catch {
    return false;
  }
}

function errorBody(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof ApiError) return { status: HTTP_STATUS_OF_ERROR[err.code] ?? 500, body: err.toBody() };
  const e = err as { statusCode?: unknown; message?: unknown; code?: unknown };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (status >= 400 && status < 500) {
    return { status, body: { code: status === 404 ? 'not-found' : status === 401 || status === 403 ? 'unauthorized' : 'invalid', message } };
  }
  return { status: 500, body: { code: 'internal', message } };
}

function sendError(reply: FastifyReply, status: number, body: ApiErrorBody): FastifyReply {
  return reply.code(status).type(WIRE_CONTENT_TYPE).header('cache-control', 'no-store').send(encode({ error: body }));
}

const UNAUTHORIZED: ApiErrorBody = { code: 'unauthorized', message: 'unauthorized' };
const FORBIDDEN: ApiErrorBody = { code: 'unauthorized', message: 'forbidden' };

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function isUpgrade(req: FastifyRequest): boolean {
  const up = req.headers.upgrade;
  return typeof up === 'string' && up.toLowerCase() === 'websocket';
}

function queryOf(req: FastifyRequest): Record<string, unknown> {
  const q = req.query;
  return q && typeof q === 'object' ? (q as Record<string, unknown>) : {};
}

const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'zip', 'pdf'];

/** GET /api/export query (experimentId | runId, format, table) → ExportArg; ids as decimal integers. */
export function exportArgOfQuery(q: Record<string, unknown>): ExportArg {
  const fields: { field: string; message: string }[] = [];
  const id = (name: 'experimentId' | 'runId'): number | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) {
      fields.push({ field: name, message: `${name} must be a positive integer` });
      return undefined;
    }
    return Number(v);
  };
  const experimentId = id('experimentId');
  const runId = id('runId');
  const format = q.format;
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    fields.push({ field: 'format', message: `format must be one of ${EXPORT_FORMATS.join(', ')}` });
  }
  if (q.experimentId === undefined && q.runId === undefined) fields.push({ field: 'experimentId', message: 'give experimentId or runId' });
  const table = q.table;
  if (table !== undefined && (typeof table !== 'string' || !/^[A-Za-z_]{1,40}$/.test(table))) {
    fields.push({ field: 'table', message: 'table must be the name of an export table' });
  }
  if (fields.length > 0) throw new ApiError('invalid', fields.map((f) => f.message).join('; '), fields);
  // the service validates the rest (which ids exist, which tables there are)
  return {
    format: format as ExportFormat,
    ...(experimentId !== undefined ? { experimentId } : {}),
    ...(runId !== undefined ? { runId } : {}),
    ...(typeof table === 'string' ? { table: table as ExportArg['table'] } : {}),
  };
}

/** Start the web host; resolves once it listens. */
export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const { service } = opts;
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? generateToken();
  if (token.length < 16) throw new Error('the access token must have at least 16 characters');
  const onInternalError = opts.onInternalError ?? ((err: unknown, where: string) => {
    process.stderr.write(`lw serve: internal error in ${where}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  });
  const requested = opts.staticDir ?? defaultStaticDir();
  const staticDir = hasIndex(requested) ? requested : null;
  const checkToken = (given: string | undefined) => tokenMatches(token, given);
  let policy: HostPolicy | null = null; // known once listening (the port)

  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  const hub = new EventHub({
    subscribe: (fn) => service.subscribe(fn),
    tokenMatches: checkToken,
    ...opts.events,
  });

  // the wire format is the only body type (anything else is 415, so no "simple" cross-site form posts)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, decode(text));
    } catch (err) {
      done(new ApiError('invalid', `malformed request body: ${err instanceof WireError ? err.message : String(err)}`), undefined);
    }
  });

  // every request: the Host must name this host, and a present Origin must be this host's own
  app.addHook('onRequest', async (req, reply) => {
    if (!policy) return sendError(reply, 503, { code: 'internal', message: 'starting' });
    if (!policy.hostAllowed(req.headers.host) || !policy.originAllowed(req.headers.origin, req.headers.host)) {
      return sendError(reply, 403, FORBIDDEN);
    }
    return undefined;
  });

  app.addHook('onSend', async (req, reply, payload) => {
    for (const [k, v] of Object.entries(COMMON_SECURITY_HEADERS)) reply.header(k, v);
    const isApi = pathOf(req.url).startsWith(API_PREFIX);
    reply.header('content-security-policy', isApi ? API_CONTENT_SECURITY_POLICY : uiContentSecurityPolicy(req.headers.host));
    if (isApi) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = errorBody(err);
    if (status >= 500) onInternalError(err, _req.url.split('?')[0] ?? '');
    return sendError(reply, status, body);
  });

  // the API, in its own context so its token check cannot be bypassed by any spelling of the path
  await app.register(async (api) => {
    api.addHook('onRequest', async (req, reply) => {
      const isSocket = isUpgrade(req) && pathOf(req.url) === EVENTS_PATH;
      if (isSocket) return undefined; // the event socket authenticates itself (query or first message)
      const allowQuery = req.method === 'GET' || req.method === 'HEAD';
      const given = tokenOfRequest(req.headers, allowQuery ? queryOf(req)[TOKEN_QUERY] : undefined);
      if (!checkToken(given)) return sendError(reply.header('www-authenticate', 'Bearer'), 401, UNAUTHORIZED);
      return undefined;
    });

    api.get(EVENTS_PATH, { websocket: true }, (socket, req) => {
      const q = queryOf(req)[TOKEN_QUERY];
      hub.accept(socket as unknown as EventSocket, typeof q === 'string' ? q : undefined);
    });

    api.get(EXPORT_PATH, async (req, reply) => {
      const arg = exportArgOfQuery(queryOf(req));
      const file = await service.api.exportData(arg);
      const bytes = file.bytes;
      const mime = typeof file.mime === 'string' && /^[\w.+-]+\/[\w.+-]+(;[ \w=.+-]*)?$/.test(file.mime) ? file.mime : 'application/octet-stream';
      return reply
        .code(200)
        .type(mime)
        .header('content-disposition', contentDisposition(String(file.fileName)))
        .header('content-length', String(bytes.byteLength))
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });

    api.post(`${API_PREFIX}:method`, async (req, reply) => {
      const { method } = req.params as { method: string };
      if (!isApiMethod(method)) throw new ApiError('not-found', `unknown method "${method.slice(0, 64)}"`);
      const fn = (service.api as unknown as Record<string, unknown>)[method];
      if (typeof fn !== 'function') throw new ApiError('not-found', `method "${method}" is not available`);
      const result: unknown = await (fn as (arg: unknown) => Promise<unknown>).call(service.api, req.body);
      let text: string;
      try {
        text = encode(result);
      } catch (err) {
        throw new ApiError('internal', `cannot encode the result of ${method}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return reply.code(200).type(WIRE_CONTENT_TYPE).send(text);
    });

    // anything else under /api: authenticated above, then 404 in the wire format
    api.all(`${API_PREFIX}*`, async (req) => {
      throw new ApiError('not-found', `no route ${req.method} ${pathOf(req.url).slice(0, 100)}`);
    });
  });

  if (staticDir) {
    await app.register(fastifyStatic, {
      root: staticDir,
      prefix: '/',
      index: 'index.html',
      dotfiles: 'ignore',
      allowedPath: (p) => !p.startsWith(API_PREFIX),
    });
  } else {
    const page = fallbackPage(requested);
    const sendPage = async (_req: FastifyRequest, reply: FastifyReply) => reply.code(200).type('text/html; charset=utf-8').send(page);
    app.get('/', sendPage);
    app.get('/index.html', sendPage);
  }

  app.setNotFoundHandler(async (req, reply) => {
    const path = pathOf(req.url);
    // history-mode routes of the UI fall back to its index.html
    if (staticDir && req.method === 'GET' && !path.startsWith(API_PREFIX) && !/\.[a-z0-9]+$/i.test(path)
      && String(req.headers.accept ?? '').includes('text/html')) {
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    return sendError(reply, 404, { code: 'not-found', message: 'not found' });
  });

  try {
    await app.listen({ host, port: opts.port ?? 0 });
  } catch (err) {
    hub.close();
    await app.close().catch(() => {});
    throw err;
  }
  const addr = app.server.address() as AddressInfo;
  const port = addr.port;
  policy = new HostPolicy(host, port);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const origin = `http://${authority(shownHost, port)}`;

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/?${TOKEN_QUERY}=${encodeURIComponent(token)}`,
    origin,
    port,
    host,
    boundAddress: addr.address,
    token,
    staticDir,
    close: () => {
      closing ??= (async () => {
        hub.close();
        await app.close();
      })();
      return closing;
    },
  };
}
