import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src-shared/api';
import { decode, WS_CLOSE_UNAUTHORIZED } from '../../../src-shared/wire';
import { EventHub, type EventSocket } from '../events';
import { authority, contentDisposition, HostPolicy, isLoopbackHost, tokenMatches, tokenOfRequest, uiContentSecurityPolicy } from '../security';
import { exportArgOfQuery } from '../web-host';

describe('token', () => {
  it('matches only the exact token', () => {
    const t = 'abcdefghijklmnopqrstuvwxyz012345';
    expect(tokenMatches(t, t)).toBe(true);
    for (const g of [undefined, null, '', t.slice(1), `${t} `, t.toUpperCase(), 'x'.repeat(2000)]) expect(tokenMatches(t, g)).toBe(false);
  });

  it('is read from Authorization: Bearer, X-LW-Token, then the query', () => {
    expect(tokenOfRequest({ authorization: 'Bearer abc' }, 'q')).toBe('abc');
    expect(tokenOfRequest({ authorization: 'bearer   abc' }, undefined)).toBe('abc');
    expect(tokenOfRequest({ authorization: 'Basic abc', 'x-lw-token': 'x' }, undefined)).toBe('x');
    expect(tokenOfRequest({}, 'q')).toBe('q');
    expect(tokenOfRequest({}, ['a', 'b'])).toBeUndefined();
    expect(tokenOfRequest({}, undefined)).toBeUndefined();
  });
});

describe('host and origin policy', () => {
  it('loopback bind: only loopback names with the bound port', () => {
    const p = new HostPolicy('127.0.0.1', 8123);
    for (const h of ['127.0.0.1:8123', 'localhost:8123', 'LOCALHOST:8123', '[::1]:8123']) expect(p.hostAllowed(h)).toBe(true);
    for (const h of ['127.0.0.1:8124', 'evil.example:8123', 'localhost', undefined, '127.0.0.1.nip.io:8123']) expect(p.hostAllowed(h)).toBe(false);
    expect(p.originAllowed(undefined, '127.0.0.1:8123')).toBe(true);
    expect(p.originAllowed('http://127.0.0.1:8123', '127.0.0.1:8123')).toBe(true);
    expect(p.originAllowed('http://localhost:8123', '127.0.0.1:8123')).toBe(false); // Origin must be the page's own
    expect(p.originAllowed('http://evil.example:8123', 'evil.example:8123')).toBe(false); // DNS rebinding
    expect(p.originAllowed('null', '127.0.0.1:8123')).toBe(false);
    expect(p.originAllowed('https://127.0.0.1:8123', '127.0.0.1:8123')).toBe(false);
  });

  it('wildcard bind: any Host, but the Origin must equal it', () => {
    const p = new HostPolicy('0.0.0.0', 80);
    expect(p.hostAllowed('192.168.1.4:80')).toBe(true);
    expect(p.originAllowed('http://192.168.1.4:80', '192.168.1.4:80')).toBe(true);
    expect(p.originAllowed('http://evil.example', '192.168.1.4:80')).toBe(false);
  });

  it('specific address: that address (and loopback names)', () => {
    const p = new HostPolicy('10.0.0.5', 9000);
    expect(p.hostAllowed('10.0.0.5:9000')).toBe(true);
    expect(p.hostAllowed('10.0.0.6:9000')).toBe(false);
  });

  it('recognises loopback hosts and brackets IPv6 authorities', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopbackHost(h)).toBe(false);
    expect(authority('::1', 5)).toBe('[::1]:5');
    expect(authority('127.0.0.1', 5)).toBe('127.0.0.1:5');
  });

  it('the UI policy forbids framing, plugins and eval and names the socket', () => {
    const csp = uiContentSecurityPolicy('127.0.0.1:5');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/'unsafe-eval'/);
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:5");
    expect(uiContentSecurityPolicy('bad host"; script-src *')).toContain("connect-src 'self';");
  });
});

describe('download names', () => {
  it('gives an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987)', () => {
    expect(contentDisposition('report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(contentDisposition('µ (1).csv')).toBe(`attachment; filename="_ (1).csv"; filename*=UTF-8''%C2%B5%20%281%29.csv`);
    expect(contentDisposition('../../etc/passwd')).toMatch(/^attachment; filename="\.\._\.\._etc_passwd"/);
    expect(contentDisposition('a\r\nSet-Cookie: x')).not.toMatch(/[\r\n]/);
    expect(contentDisposition('')).toContain('filename="export"');
  });
});

describe('export query', () => {
  it('turns the query into an ExportArg and names every bad field', () => {
    expect(exportArgOfQuery({ experimentId: '12', format: 'zip' })).toEqual({ experimentId: 12, format: 'zip' });
    expect(exportArgOfQuery({ runId: '3', format: 'csv', table: 'summary' })).toEqual({ runId: 3, format: 'csv', table: 'summary' });
    try {
      exportArgOfQuery({ experimentId: '-1', format: 'docx', table: '../x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).fields!.map((f) => f.field).sort()).toEqual(['experimentId', 'format', 'table']);
    }
    expect(() => exportArgOfQuery({ format: 'pdf' })).toThrow(ApiError);
  });
});

/** A socket double recording what the hub does to it. */
class FakeSocket implements EventSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith: number | null = null;
  terminated = false;
  pings = 0;
  private handlers: Record<string, ((...a: unknown[]) => void)[]> = {};
  send(data: string) { this.sent.push(data); }
  close(code?: number) { this.closedWith = code ?? 1005; this.readyState = 3; this.fire('close'); }
  terminate() { this.terminated = true; this.readyState = 3; this.fire('close'); }
  ping() { this.pings++; }
  on(event: string, fn: (...a: never[]) => void) { (this.handlers[event] ??= []).push(fn as (...a: unknown[]) => void); return this; }
  fire(event: string, ...a: unknown[]) { for (const h of this.handlers[event] ?? []) h(...a); }
}

describe('event hub', () => {
  const TOKEN = 'hub-token-0123456789';
  function hub(extra: Partial<ConstructorParameters<typeof EventHub>[0]> = {}) {
    const listeners = new Set<(e: never) => void>();
    const h = new EventHub({
      subscribe: (fn) => { listeners.add(fn); return () => void listeners.delete(fn); },
      tokenMatches: (t) => t === TOKEN,
      pingIntervalMs: 1_000_000,
      ...extra,
    });
    return { h, listeners, emit: (e: unknown) => { for (const l of listeners) l(e as never); } };
  }

  it('admits after a good first message, subscribes once for many sockets, unsubscribes with the last', () => {
    const { h, listeners, emit } = hub();
    const a = new FakeSocket();
    const b = new FakeSocket();
    h.accept(a, undefined);
    h.accept(b, TOKEN);
    expect(listeners.size).toBe(1); // b only so far
    a.fire('message', Buffer.from(JSON.stringify({ type: 'auth', token: TOKEN })), false);
    expect(listeners.size).toBe(1);
    expect(h.size).toBe(2);
    emit({ type: 'experiment-deleted', experimentId: NaN });
    expect(decode<{ experimentId: number }>(a.sent.at(-1)!).experimentId).toBeNaN();
    expect(b.sent.at(-1)).toBe(a.sent.at(-1)); // encoded once, same text
    a.fire('message', Buffer.from('ignored after auth'), false);
    expect(a.closedWith).toBeNull();
    a.close(1000);
    expect(listeners.size).toBe(1);
    b.close(1000);
    expect(listeners.size).toBe(0);
    h.close();
  });

  it('refuses binary or malformed first messages', () => {
    const { h } = hub();
    const a = new FakeSocket();
    h.accept(a, undefined);
    a.fire('message', Buffer.from(JSON.stringify({ type: 'auth', token: TOKEN })), true);
    expect(a.closedWith).toBe(WS_CLOSE_UNAUTHORIZED);
    const b = new FakeSocket();
    h.accept(b, undefined);
    b.fire('message', Buffer.from('{"type":"auth","token":5}'), false);
    expect(b.closedWith).toBe(WS_CLOSE_UNAUTHORIZED);
    h.close();
  });

  it('drops a consumer whose send buffer overflows, keeps the others', () => {
    const { h, emit } = hub({ maxBufferedBytes: 100 });
    const slow = new FakeSocket();
    const ok = new FakeSocket();
    h.accept(slow, TOKEN);
    h.accept(ok, TOKEN);
    slow.bufferedAmount = 101;
    emit({ type: 'experiment-deleted', experimentId: 1 });
    expect(slow.terminated).toBe(true);
    expect(ok.sent).toHaveLength(2); // ready + the event
    expect(h.size).toBe(1);
    h.close();
  });

  it('terminates a peer that did not answer the previous ping', async () => {
    const { h } = hub({ pingIntervalMs: 20 });
    const dead = new FakeSocket();
    const alive = new FakeSocket();
    h.accept(dead, TOKEN);
    h.accept(alive, TOKEN);
    const answer = setInterval(() => alive.fire('pong'), 5);
    await new Promise((r) => setTimeout(r, 90));
    clearInterval(answer);
    expect(dead.terminated).toBe(true);
    expect(alive.terminated).toBe(false);
    expect(alive.pings).toBeGreaterThan(1);
    h.close();
    expect(alive.closedWith).toBe(1001);
  });
});
