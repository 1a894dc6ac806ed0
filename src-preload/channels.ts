/**
 * The preload's copy of the IPC channel names and menu commands (the layering
 * forbids importing src-main/electron/channels.ts here; a test checks the
 * copies agree).
 */
export const API_CHANNEL = 'lw:api';
export const EVENT_CHANNEL = 'lw:event';
export const MENU_CHANNEL = 'lw:menu';
export const MENU_COMMANDS = ['new-experiment', 'import', 'export'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];
export type MenuMessage =
  | { command: 'new-experiment' }
  | { command: 'export' }
  | { command: 'import'; path: string };
