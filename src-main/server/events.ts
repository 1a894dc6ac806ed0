/**
 * Live events over WebSocket (GET /api/events): authenticates each socket
 * (token as ?token= or as the first message), then broadcasts every ApiEvent,
 * encoded once, to the authenticated sockets. One subscription to the service
 * while at least one socket listens. Slow consumers are dropped (they
 * reconnect and re-read state); dead peers are found by ping/pong.
 */
import type { ApiEvent } from '../../src-shared/api';
import { encode, WS_CLOSE_UNAUTHORIZED, WS_READY_TYPE } from '../../src-shared/wire';

/** What the hub needs of a `ws` socket (the type of @fastify/websocket's socket). */
export interface EventSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'message', fn: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: 'close' | 'pong', fn: () => void): unknown;
}

export interface EventHubOptions {
  subscribe(fn: (e: ApiEvent) => void): () => void;
  tokenMatches(token: string | undefined): boolean;
  /** ms a socket may stay unauthenticated (default 10 s) */
  authTimeoutMs?: number;
  /** bytes queued for one socket before it is dropped (default 16 MiB) */
  maxBufferedBytes?: number;
  /** ms between pings (default 30 s) */
  pingIntervalMs?: number;
}

const OPEN = 1;

export class EventHub {
  private readonly listeners = new Set<EventSocket>();
  private readonly alive = new WeakMap<EventSocket, boolean>();
  private unsubscribe: (() => void) | null = null;
  private readonly pinger: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(private readonly opts: EventHubOptions) {
    this.pinger = setInterval(() => this.pingAll(), opts.pingIntervalMs ?? 30_000);
    this.pinger.unref?.();
  }

  /** A new socket; `queryToken` is the ?token= of the upgrade request, if any. */
  accept(socket: EventSocket, queryToken: string | undefined): void {
    if (this.closed) {
      socket.close(1001, 'shutting down');
      return;
    }
    let authed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refuse = () => socket.close(WS_CLOSE_UNAUTHORIZED, 'unauthorized');
    const admit = () => {
      authed = true;
      if (timer) clearTimeout(timer);
      this.alive.set(socket, true);
      socket.send(encode({ type: WS_READY_TYPE }));
      this.add(socket);
    };
    socket.on('close', () => {
      if (timer) clearTimeout(timer);
      this.remove(socket);
    });
    socket.on('pong', () => this.alive.set(socket, true));
    if (queryToken !== undefined) {
      if (this.opts.tokenMatches(queryToken)) admit();
      else refuse();
      return;
    }
    timer = setTimeout(refuse, this.opts.authTimeoutMs ?? 10_000);
    socket.on('message', (data, isBinary) => {
      if (authed) return; // clients have nothing else to say
      let token: string | undefined;
      if (!isBinary) {
        try {
          const msg = JSON.parse(String(data)) as unknown;
          if (msg && typeof msg === 'object' && (msg as { type?: unknown }).type === 'auth') {
            const t = (msg as { token?: unknown }).token;
            if (typeof t === 'string') token = t;
          }
        } catch {
          token = undefined;
        }
      }
      if (this.opts.tokenMatches(token)) admit();
      else refuse();
    });
  }

  /** Sockets listening now. */
  get size(): number {
    return this.listeners.size;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pinger);
    for (const s of this.listeners) s.close(1001, 'shutting down');
    this.listeners.clear();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private add(socket: EventSocket): void {
    this.listeners.add(socket);
    if (!this.unsubscribe) this.unsubscribe = this.opts.subscribe((e) => this.broadcast(e));
  }

  private remove(socket: EventSocket): void {
    this.listeners.delete(socket);
    if (this.listeners.size === 0 && this.unsubscribe) {
      this.unsubscribe();
      this.unsubscribe = null;
    }
  }

  private broadcast(e: ApiEvent): void {
    if (this.listeners.size === 0) return;
    let text: string;
    try {
      text = encode(e);
    } catch {
      return; // an event that cannot be encoded is a bug upstream; never take the host down
    }
    const max = this.opts.maxBufferedBytes ?? 16 * 1024 * 1024;
    for (const s of this.listeners) {
      if (s.readyState !== OPEN) continue;
      if (s.bufferedAmount > max) {
        s.terminate(); // a consumer that stopped reading: it reconnects and re-reads the state
        continue;
      }
      s.send(text);
    }
  }

  private pingAll(): void {
    for (const s of this.listeners) {
      if (this.alive.get(s) === false) {
        s.terminate();
        continue;
      }
      this.alive.set(s, false);
      try {
        s.ping();
      } catch {
        s.terminate();
      }
    }
  }
}
