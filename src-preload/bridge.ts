/**
 * The object the preload exposes to the page as `window.lw` (DESIGN.md §5):
 * three functions and nothing else. It forwards opaque wire-encoded strings
 * (src-shared/wire.ts): decoding happens in the page (src-renderer/api/
 * ipc-client.ts) and in the main process, which checks the sender, the method
 * name and the argument (src-main/electron/ipc-handler.ts). Electron's event
 * objects never reach the page.
 *
 * Built into out/preload/index.cjs: a sandboxed preload is a single CommonJS
 * script that may require only 'electron' (and a few Node shims).
 */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import { API_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL, MENU_COMMANDS, type MenuMessage } from '../src-shared/ipc-channels';

/** The reply of API_CHANNEL (src-main/electron/ipc-handler.ts IpcReply). */
export type IpcReply =
  | { ok: true; value: string }
  | { ok: false; error: { code: string; message: string; fields?: { field: string; message: string }[] } };

export interface LwBridge {
  /** call an Api method; `encodedArg` is the wire-encoded argument (absent for argument-less methods) */
  invoke(method: string, encodedArg?: string): Promise<IpcReply>;
  /** every ApiEvent, wire-encoded; returns the unsubscribe function */
  onEvent(cb: (encodedEvent: string) => void): () => void;
  /** commands from the application menu; returns the unsubscribe function */
  onMenu(cb: (message: MenuMessage) => void): () => void;
}

/** The menu message if it is one of MENU_COMMANDS with the right fields, else null. */
export function validMenuMessage(m: unknown): MenuMessage | null {
  if (typeof m !== 'object' || m === null) return null;
  const { command, path } = m as { command?: unknown; path?: unknown };
  if (typeof command !== 'string' || !(MENU_COMMANDS as readonly string[]).includes(command)) return null;
  if (command === 'import') return typeof path === 'string' && path.length > 0 ? { command, path } : null;
  return { command } as MenuMessage;
}

export function createBridge(ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): LwBridge {
  return {
    invoke(method, encodedArg) {
      if (typeof method !== 'string') return Promise.reject(new TypeError('lw.invoke: the method must be a string'));
      if (encodedArg !== undefined && typeof encodedArg !== 'string') {
        return Promise.reject(new TypeError('lw.invoke: the argument must be wire-encoded text'));
      }
      return ipc.invoke(API_CHANNEL, method, encodedArg) as Promise<IpcReply>;
    },
    onEvent(cb) {
      if (typeof cb !== 'function') throw new TypeError('lw.onEvent: expected a function');
      const listener = (_e: IpcRendererEvent, payload: unknown) => {
        if (typeof payload === 'string') cb(payload);
      };
      ipc.on(EVENT_CHANNEL, listener);
      return () => void ipc.removeListener(EVENT_CHANNEL, listener);
    },
    onMenu(cb) {
      if (typeof cb !== 'function') throw new TypeError('lw.onMenu: expected a function');
      const listener = (_e: IpcRendererEvent, payload: unknown) => {
        const m = validMenuMessage(payload);
        if (m) cb(m);
      };
      ipc.on(MENU_CHANNEL, listener);
      return () => void ipc.removeListener(MENU_CHANNEL, listener);
    },
  };
}
