/**
 * The IPC channel names and menu commands have one definition
 * (src-shared/ipc-channels.ts). These tests check that the main process, the
 * preload and the page take them from there rather than keeping copies, and
 * that the definitions themselves are consistent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  API_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL, MENU_COMMANDS, type MenuCommand, type MenuMessage,
} from '../../../src-shared/ipc-channels';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const CHANNELS = [API_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL];

/** Non-test TypeScript sources below `dir` (relative to the project root). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    const p = relative(ROOT, join(e.parentPath, e.name));
    if (e.isFile() && /\.(ts|vue)$/.test(e.name) && !/\.(test|spec)\.ts$/.test(e.name) && !p.split(/[\\/]/).includes('test')) out.push(p);
  }
  return out;
}

describe('IPC channel names', () => {
  it('are distinct', () => {
    expect(new Set(CHANNELS).size).toBe(3);
  });

  it('the menu commands are exactly the commands of MenuMessage', () => {
    expectTypeOf<MenuMessage['command']>().toEqualTypeOf<MenuCommand>();
    expect(new Set(MENU_COMMANDS).size).toBe(MENU_COMMANDS.length);
  });

  it('the main process, the preload and the page import them from src-shared and keep no copy', () => {
    const users = ['src-main/electron/main.ts', 'src-preload/bridge.ts', 'src-renderer/api/ipc-client.ts'];
    for (const f of users) expect(readFileSync(join(ROOT, f), 'utf8'), f).toMatch(/from '(\.\.\/)+src-shared\/ipc-channels'/);
    const files = [...sources('src-main/electron'), ...sources('src-preload'), ...sources('src-renderer')];
    expect(files).toEqual(expect.arrayContaining(users));
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const ch of CHANNELS) expect(text.includes(`'${ch}'`) || text.includes(`"${ch}"`), `${f} spells ${ch}`).toBe(false);
      expect(text, f).not.toMatch(/\bMENU_COMMANDS\s*=/);
      expect(text, f).not.toMatch(/\btype\s+MenuMessage\s*=/);
    }
  });
});
