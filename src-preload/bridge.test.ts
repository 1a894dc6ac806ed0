import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBridge, validMenuMessage } from './bridge';
import { API_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL } from '../src-shared/ipc-channels';

/** A stand-in for ipcRenderer: `on`/`removeListener` from an EventEmitter, `invoke` recorded. */
function fakeIpc() {
  const em = new EventEmitter();
  const invoke = vi.fn(async (..._args: unknown[]) => ({ ok: true, value: '1' }));
  return {
    em,
    invoke,
    ipc: {
      invoke,
      on: (ch: string, l: (...a: unknown[]) => void) => { em.on(ch, l); return undefined as never; },
      removeListener: (ch: string, l: (...a: unknown[]) => void) => { em.removeListener(ch, l); return undefined as never; },
    },
  };
}

const fakeEvent = { sender: { secret: 'ipcRenderer itself' }, ports: [] };

describe('createBridge', () => {
  it('has exactly invoke, onEvent and onMenu', () => {
    const b = createBridge(fakeIpc().ipc as never);
    expect(Object.keys(b).sort()).toEqual(['invoke', 'onEvent', 'onMenu']);
  });

  it('invoke forwards (method, encodedArg) on the API channel and checks their types', async () => {
    const f = fakeIpc();
    const b = createBridge(f.ipc as never);
    await expect(b.invoke('getQueue')).resolves.toEqual({ ok: true, value: '1' });
    await b.invoke('getRun', '{"runId":1}');
    expect(f.invoke.mock.calls).toEqual([[API_CHANNEL, 'getQueue', undefined], [API_CHANNEL, 'getRun', '{"runId":1}']]);
    await expect(b.invoke(1 as never)).rejects.toThrow(TypeError);
    await expect(b.invoke('getRun', { runId: 1 } as never)).rejects.toThrow(TypeError);
    expect(f.invoke).toHaveBeenCalledTimes(2);
  });

  it('onEvent passes only the string payload (never the IPC event) and unsubscribes', () => {
    const f = fakeIpc();
    const b = createBridge(f.ipc as never);
    const got: unknown[][] = [];
    const off = b.onEvent((...args: unknown[]) => got.push(args));
    f.em.emit(EVENT_CHANNEL, fakeEvent, '{"type":"queue"}');
    f.em.emit(EVENT_CHANNEL, fakeEvent, { not: 'a string' });
    expect(got).toEqual([['{"type":"queue"}']]);
    off();
    expect(f.em.listenerCount(EVENT_CHANNEL)).toBe(0);
    f.em.emit(EVENT_CHANNEL, fakeEvent, '"late"');
    expect(got).toHaveLength(1);
    expect(() => b.onEvent('nope' as never)).toThrow(TypeError);
  });

  it('onMenu passes only valid menu messages and unsubscribes', () => {
    const f = fakeIpc();
    const b = createBridge(f.ipc as never);
    const got: unknown[] = [];
    const off = b.onMenu((m) => got.push(m));
    for (const m of [{ command: 'new-experiment' }, { command: 'export', extra: 1 }, { command: 'import', path: '/r' },
      { command: 'import' }, { command: 'delete-everything' }, 'export', null]) {
      f.em.emit(MENU_CHANNEL, fakeEvent, m);
    }
    expect(got).toEqual([{ command: 'new-experiment' }, { command: 'export' }, { command: 'import', path: '/r' }]);
    off();
    expect(f.em.listenerCount(MENU_CHANNEL)).toBe(0);
  });
});

describe('validMenuMessage', () => {
  it('rejects unknown commands and imports without a path', () => {
    expect(validMenuMessage({ command: 'import', path: '' })).toBeNull();
    expect(validMenuMessage({ command: 'import', path: 3 })).toBeNull();
    expect(validMenuMessage({ command: '__proto__' })).toBeNull();
    expect(validMenuMessage({ command: 'export' })).toEqual({ command: 'export' });
  });
});

describe('preload entry (src-preload/index.ts)', () => {
  afterEach(() => {
    vi.doUnmock('electron');
    vi.resetModules();
  });

  it('exposes one key, "lw", with the bridge, through contextBridge', async () => {
    const exposeInMainWorld = vi.fn();
    const f = fakeIpc();
    vi.doMock('electron', () => ({ contextBridge: { exposeInMainWorld }, ipcRenderer: f.ipc }));
    await import('./index');
    expect(exposeInMainWorld).toHaveBeenCalledTimes(1);
    const [key, value] = exposeInMainWorld.mock.calls[0]!;
    expect(key).toBe('lw');
    expect(Object.keys(value as object).sort()).toEqual(['invoke', 'onEvent', 'onMenu']);
  });
});
