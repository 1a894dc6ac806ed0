import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../core/store';
import { dataDirArg, desktopPaths, findNativeBinding, projectRootOf } from '../paths';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'lw-paths-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('desktopPaths', () => {
  it('finds the preload and the page beside the bundle, the rest in the project folder', () => {
    const p = desktopPaths(join(ROOT, 'out', 'main', 'main.js'));
    expect(p.root).toBe(ROOT);
    expect(p.preload).toBe(join(ROOT, 'out', 'preload', 'index.cjs'));
    expect(p.renderer).toBe(join(ROOT, 'out', 'renderer'));
    expect(p.worker).toBe(join(ROOT, 'out', 'main', 'run-unit-worker.js'));
    expect(p.migrations).toBe(join(ROOT, 'migrations'));
    expect(p.nativeBinding).toBe(join(ROOT, 'native', 'electron', 'better_sqlite3.node'));
  });

  it('finds the project folder from a deeper build folder too', () => {
    expect(projectRootOf(join(ROOT, 'out', '.some-build', 'main'))).toBe(ROOT);
    expect(desktopPaths(join(ROOT, 'out', '.b', 'main', 'main.js')).preload).toBe(join(ROOT, 'out', '.b', 'preload', 'index.cjs'));
  });
});

describe('findNativeBinding', () => {
  const make = (name: string, info: object | null, binary = true) => {
    const root = join(scratch, name);
    mkdirSync(join(root, 'native', 'electron'), { recursive: true });
    mkdirSync(join(root, 'migrations'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{}');
    if (binary) writeFileSync(join(root, 'native', 'electron', 'better_sqlite3.node'), '');
    if (info) writeFileSync(join(root, 'native', 'electron', 'build-info.json'), JSON.stringify(info));
    return desktopPaths(join(root, 'out', 'main', 'main.js'));
  };

  it('uses the binary built for this Electron', () => {
    const p = make('ok', { electron: '41.7.1', modules: '145' });
    expect(findNativeBinding(p, { electron: '41.7.1', modules: '145' })).toEqual({ path: p.nativeBinding });
  });

  it('explains a missing binary, a missing record, and a binary for another Electron', () => {
    const none = findNativeBinding(make('none', null, false), { electron: '41.7.1', modules: '145' });
    expect('problem' in none && none.problem).toMatch(/not been built for Electron.*rebuild-native-electron/);
    const noInfo = findNativeBinding(make('noinfo', null), { electron: '41.7.1', modules: '145' });
    expect('problem' in noInfo && noInfo.problem).toMatch(/build-info\.json/);
    const other = findNativeBinding(make('other', { electron: '40.0.0', modules: '143' }), { electron: '41.7.1', modules: '145' });
    expect('problem' in other && other.problem).toMatch(/built for Electron 40\.0\.0 \(ABI 143\), this is Electron 41\.7\.1 \(ABI 145\)/);
  });
});

describe('dataDirArg', () => {
  it('reads --data-dir DIR and --data-dir=DIR', () => {
    expect(dataDirArg(['/electron', 'out/main/main.js', '--data-dir', '/d'])).toBe('/d');
    expect(dataDirArg(['--data-dir=/e'])).toBe('/e');
    expect(dataDirArg(['--data-dir'])).toBeUndefined();
    expect(dataDirArg(['--data-dir='])).toBeUndefined();
    expect(dataDirArg(['--other', 'x'])).toBeUndefined();
  });
});

describe("the store's nativeBinding option", () => {
  const nodeBinary = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

  it('loads better-sqlite3 from the binary given', () => {
    const store = openStore({ dataDir: join(scratch, 'store-ok'), nativeBinding: nodeBinary });
    expect(store.listExperiments().total).toBe(0);
    store.close();
  });

  it('fails when the binary given is not loadable (so the option does reach better-sqlite3)', () => {
    const bogus = join(scratch, 'bogus.node');
    writeFileSync(bogus, 'not a shared object');
    expect(() => openStore({ dataDir: join(scratch, 'store-bad'), nativeBinding: bogus })).toThrow();
  });
});
