import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import type { MenuMessage } from '../../../src-shared/ipc-channels';
import { buildMenuTemplate } from '../menu';

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])]);
}

function click(item: MenuItemConstructorOptions | undefined): void {
  expect(item?.click).toBeTypeOf('function');
  (item!.click as () => void)();
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('buildMenuTemplate', () => {
  for (const platform of ['linux', 'win32', 'darwin'] as const) {
    it(`${platform}: File has New Experiment, Import, Export and Quit/Close, then the standard roles`, () => {
      const t = buildMenuTemplate(platform, { send: vi.fn(), chooseImport: vi.fn(async () => null) });
      const roles = t.map((i) => i.role).filter(Boolean);
      expect(roles).toEqual(['editMenu', 'viewMenu', 'windowMenu']);
      const file = t.find((i) => i.label === 'File')!;
      const labels = (file.submenu as MenuItemConstructorOptions[]).map((i) => i.label ?? i.role ?? i.type);
      expect(labels[0]).toBe('New Experiment');
      expect(labels).toContain('Export…');
      expect(labels.some((l) => typeof l === 'string' && l.startsWith('Import'))).toBe(true);
      expect(flatten(t).some((i) => i.role === 'quit')).toBe(true);
    });
  }

  it('sends the commands to the page; Import sends the chosen path, and nothing when cancelled', async () => {
    const sent: MenuMessage[] = [];
    const choices: (string | null)[] = ['/data/results', null, '/data/r.zip'];
    const chooseImport = vi.fn(async (_kind: string) => choices.shift() ?? null);
    const t = flatten(buildMenuTemplate('linux', { send: (m) => sent.push(m), chooseImport }));
    click(t.find((i) => i.label === 'New Experiment'));
    click(t.find((i) => i.label === 'Export…'));
    click(t.find((i) => i.label === 'Import Folder…'));
    await flush();
    click(t.find((i) => i.label === 'Import Folder…'));
    await flush();
    click(t.find((i) => i.label === 'Import .zip…'));
    await flush();
    expect(chooseImport.mock.calls.map((c) => c[0])).toEqual(['folder', 'folder', 'zip']);
    expect(sent).toEqual([
      { command: 'new-experiment' }, { command: 'export' },
      { command: 'import', path: '/data/results' }, { command: 'import', path: '/data/r.zip' },
    ]);
  });

  it('macOS has one Import… that accepts a folder or a file', async () => {
    const chooseImport = vi.fn(async (_kind: string) => '/x');
    const send = vi.fn();
    const t = flatten(buildMenuTemplate('darwin', { send, chooseImport }));
    click(t.find((i) => i.label === 'Import…'));
    await flush();
    expect(chooseImport).toHaveBeenCalledWith('any');
    expect(send).toHaveBeenCalledWith({ command: 'import', path: '/x' });
  });
});
