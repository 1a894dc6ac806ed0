/**
 * The application menu as a template (no Electron values, only its types, so
 * the template is unit-tested in Node). File: New Experiment, Import…,
 * Export…, Quit; then Electron's standard Edit, View and Window roles (and the
 * app menu on macOS). The three commands go to the renderer (MENU_CHANNEL);
 * Import… first asks the user for the reference results to import, because a
 * sandboxed page cannot see file-system paths.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuMessage } from '../../src-shared/ipc-channels';

export interface MenuActions {
  /** deliver a command to the focused window's page */
  send(message: MenuMessage): void;
  /**
   * ask for the reference results to import: a folder, or (kind 'zip') a .zip
   * archive; resolves to the chosen path, or null when cancelled
   */
  chooseImport(kind: 'folder' | 'zip' | 'any'): Promise<string | null>;
}

export function buildMenuTemplate(platform: NodeJS.Platform, actions: MenuActions, appName = 'Learnability Workstation'): MenuItemConstructorOptions[] {
  const isMac = platform === 'darwin';
  const importItem = (label: string, kind: 'folder' | 'zip' | 'any'): MenuItemConstructorOptions => ({
    label,
    click: () => {
      void actions.chooseImport(kind).then((path) => {
        if (path) actions.send({ command: 'import', path });
      });
    },
  });
  // macOS dialogs may pick a folder or a file at once; elsewhere a dialog picks one kind
  const importItems = isMac
    ? [importItem('Import…', 'any')]
    : [importItem('Import Folder…', 'folder'), importItem('Import .zip…', 'zip')];

  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'New Experiment', accelerator: 'CmdOrCtrl+N', click: () => actions.send({ command: 'new-experiment' }) },
      { type: 'separator' },
      ...importItems,
      { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => actions.send({ command: 'export' }) },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const template: MenuItemConstructorOptions[] = [];
  if (isMac) {
    template.push({
      label: appName,
      submenu: [
        { role: 'about' }, { type: 'separator' }, { role: 'services' }, { type: 'separator' },
        { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' },
      ],
    });
  }
  template.push(file, { role: 'editMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' });
  return template;
}
