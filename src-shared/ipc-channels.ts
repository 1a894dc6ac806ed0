/**
 * The IPC channels between the Electron main process, the preload bridge and
 * the page (DESIGN.md §1, §5), and the application menu's messages: one
 * definition, imported by src-main/electron, src-preload (bundled into its
 * single CommonJS file by electron-vite) and src-renderer/api/ipc-client.ts.
 * Plain TypeScript, no imports.
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
