/**
 * scripts/rebuild-native-electron.mjs: finding the Electron binary, and the
 * path every machine without it takes (npm ci must never break).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'rebuild-native-electron.mjs');
const mod = (await import(pathToFileURL(SCRIPT).href)) as {
  electronBinary(root: string): { path: string | null; reason: string | null };
};
const scratch = mkdtempSync(join(tmpdir(), 'lw-native-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fakeElectronPackage(name: string, opts: { pathTxt?: string; binary?: boolean }): string {
  const root = join(scratch, name);
  const dir = join(root, 'node_modules', 'electron');
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"name":"electron","version":"41.7.1"}');
  if (opts.pathTxt) writeFileSync(join(dir, 'path.txt'), opts.pathTxt);
  if (opts.binary) writeFileSync(join(dir, 'dist', opts.pathTxt ?? 'electron'), '');
  return root;
}

describe('electronBinary', () => {
  const saved = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.ELECTRON_OVERRIDE_DIST_PATH;
    else process.env.ELECTRON_OVERRIDE_DIST_PATH = saved;
  });

  it('finds dist/<path.txt> as electron/index.js does', () => {
    delete process.env.ELECTRON_OVERRIDE_DIST_PATH;
    const root = fakeElectronPackage('ok', { pathTxt: 'electron', binary: true });
    expect(mod.electronBinary(root)).toEqual({ path: join(root, 'node_modules', 'electron', 'dist', 'electron'), reason: null });
  });

  it('reports an install without the binary, and a missing package', () => {
    delete process.env.ELECTRON_OVERRIDE_DIST_PATH;
    expect(mod.electronBinary(fakeElectronPackage('skipped', {}))).toEqual({ path: null, reason: expect.stringMatching(/ELECTRON_SKIP_BINARY_DOWNLOAD/) });
    expect(mod.electronBinary(fakeElectronPackage('partial', { pathTxt: 'electron' })).path).toBeNull();
    expect(mod.electronBinary(join(scratch, 'nothing'))).toEqual({ path: null, reason: 'the electron package is not installed' });
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH', () => {
    const dist = join(scratch, 'override');
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(dist, 'electron'), '');
    process.env.ELECTRON_OVERRIDE_DIST_PATH = dist;
    expect(mod.electronBinary(fakeElectronPackage('ovr', {})).path).toBe(join(dist, 'electron'));
  });
});

describe('without the Electron binary', () => {
  it('says so and exits 0, by hand and as a postinstall', () => {
    const empty = join(scratch, 'no-electron-here');
    mkdirSync(empty, { recursive: true });
    for (const extra of [{}, { npm_lifecycle_event: 'postinstall' }]) {
      const r = spawnSync(process.execPath, [SCRIPT], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty, ...extra } });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/skipped: the Electron binary is not installed/);
    }
  });
});
