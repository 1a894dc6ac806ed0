/**
 * The IPC channels between the Electron main process and the preload bridge
 * (DESIGN.md §1, §5). The preload keeps its own copy (src-preload/channels.ts:
 * the layering forbids importing across) and the renderer its own
 * (src-renderer/api/ipc-client.ts); test/channels.test.ts checks all three agree.
 */

/** renderer → main, invoke: (method: ApiMethod, encodedArg?: string) → IpcReply */
export const API_CHANNEL = 'lw:api';
/** main → renderer: one wire-encoded ApiEvent (string) */
export const EVENT_CHANNEL = 'lw:event';
/** main → renderer: a MenuMessage from the application menu */
export const MENU_CHANNEL = 'lw:menu';

/** Commands the application menu sends to the renderer. */
export const MENU_COMMANDS = ['new-experiment', 'import', 'export'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

/** What travels on MENU_CHANNEL: `path` only with 'import' (the file or folder the user chose). */
export type MenuMessage =
  | { command: 'new-experiment' }
  | { command: 'export' }
  | { command: 'import'; path: string };
