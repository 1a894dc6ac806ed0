/** The data directory rule: --data-dir, else $LW_DATA_DIR, else $XDG_DATA_HOME/…, else ~/.local/share/… */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, ensureDataDir, resolveDataDir } from '../data-dir';
import { tempDir } from './helpers';

const home = '/home/ada';
const cwd = '/work/here';

describe('resolveDataDir', () => {
  it('the option wins over everything (relative paths from the working directory)', () => {
    expect(resolveDataDir({ dataDir: '/data/lw', env: { LW_DATA_DIR: '/env', XDG_DATA_HOME: '/xdg' }, home, cwd }))
      .toEqual({ dir: '/data/lw', source: 'option' });
    expect(resolveDataDir({ dataDir: 'rel/dir', env: {}, home, cwd })).toEqual({ dir: '/work/here/rel/dir', source: 'option' });
  });

  it('then $LW_DATA_DIR', () => {
    expect(resolveDataDir({ env: { LW_DATA_DIR: '/env/lw', XDG_DATA_HOME: '/xdg' }, home, cwd })).toEqual({ dir: '/env/lw', source: 'LW_DATA_DIR' });
    expect(resolveDataDir({ dataDir: '  ', env: { LW_DATA_DIR: 'x' }, home, cwd })).toEqual({ dir: '/work/here/x', source: 'LW_DATA_DIR' });
  });

  it('then an absolute $XDG_DATA_HOME (a relative one is ignored, as the XDG specification says)', () => {
    expect(resolveDataDir({ env: { XDG_DATA_HOME: '/xdg' }, home, cwd })).toEqual({ dir: '/xdg/learnability-workstation', source: 'XDG_DATA_HOME' });
    expect(resolveDataDir({ env: { XDG_DATA_HOME: 'relative' }, home, cwd }).source).toBe('home');
  });

  it('else ~/.local/share/learnability-workstation (empty variables count as unset)', () => {
    expect(resolveDataDir({ env: { LW_DATA_DIR: '', XDG_DATA_HOME: '' }, home, cwd }))
      .toEqual({ dir: '/home/ada/.local/share/learnability-workstation', source: 'home' });
  });

  it('databasePath and ensureDataDir', () => {
    expect(databasePath('/d')).toBe('/d/workstation.db');
    const t = tempDir();
    try {
      const d = ensureDataDir(join(t.dir, 'x', 'y'));
      expect(statSync(d).isDirectory()).toBe(true);
      expect(statSync(d).mode & 0o777).toBe(0o700);
    } finally {
      t.cleanup();
    }
  });
});
