/** Raw HTTP and WebSocket helpers for the web host's tests (exact control of Host and Origin). */
import { request } from 'node:http';
import { createRequire } from 'node:module';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export function raw(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; host?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: opts.host ?? '127.0.0.1',
      port,
      method: opts.method ?? 'GET',
      path: opts.path,
      headers: opts.headers,
      agent: false, // a fresh connection each time: no keep-alive socket outlives a closed host
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** The part of the `ws` package's client used here (ws has no bundled types). */
export interface WsClient {
  readonly readyState: number;
  on(event: 'open', fn: () => void): this;
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'close', fn: (code: number, reason: Buffer) => void): this;
  on(event: 'unexpected-response', fn: (req: unknown, res: { statusCode?: number }) => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  send(data: string): void;
  close(code?: number): void;
  terminate(): void;
}

export type WsCtor = new (url: string, opts?: { headers?: Record<string, string> }) => WsClient;

/** The `ws` package (a dependency of @fastify/websocket). */
export function loadWs(): WsCtor {
  const mod = createRequire(import.meta.url)('ws') as { WebSocket: WsCtor };
  return mod.WebSocket;
}

export type WsOutcome =
  | { kind: 'refused'; status: number }
  | { kind: 'closed'; code: number; messages: string[] };

/** Open a socket, optionally send one message after open, and report how it ended. */
export function wsOutcome(url: string, opts: { headers?: Record<string, string>; first?: string; waitMs?: number } = {}): Promise<WsOutcome> {
  const WS = loadWs();
  return new Promise((resolve, reject) => {
    const ws = new WS(url, { headers: opts.headers });
    const messages: string[] = [];
    let done = false;
    const finish = (o: WsOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`socket still open after ${opts.waitMs ?? 3000} ms; messages: ${messages.join(' | ')}`));
    }, opts.waitMs ?? 3000);
    ws.on('unexpected-response', (_req, res) => {
      finish({ kind: 'refused', status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', () => { /* reported through close / unexpected-response */ });
    ws.on('open', () => {
      if (opts.first !== undefined) ws.send(opts.first);
    });
    ws.on('message', (data) => messages.push(data.toString('utf8')));
    ws.on('close', (code) => finish({ kind: 'closed', code, messages }));
  });
}
