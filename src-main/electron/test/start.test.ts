/**
 * scripts/start.mjs (`npm start`): the launcher's choice, and the fallback
 * path for real: without the Electron binary (never installed here) or
 * without a display, it says why and starts the web host, whose address it
 * repeats and which answers.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

interface Choice { mode: 'electron' | 'web'; reason: string | null }
interface StartModule {
  chooseLauncher(o: { platform: string; env: Record<string, string | undefined>; electronPath: string | null; electronReason?: string | null; forceWeb?: boolean }): Choice;
  parseArgs(argv: string[]): { forceWeb: boolean; build: boolean; rest: string[] };
  needsBuild(root: string): boolean;
  OUTPUTS: string[];
}
const start = (await import(pathToFileURL(join(ROOT, 'scripts', 'start.mjs')).href)) as StartModule;

const scratch = mkdtempSync(join(tmpdir(), 'lw-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('chooseLauncher', () => {
  const electronPath = '/x/electron';
  it('starts the desktop app with a binary and a display (macOS and Windows always have one)', () => {
    expect(start.chooseLauncher({ platform: 'linux', env: { DISPLAY: ':0' }, electronPath }).mode).toBe('electron');
    expect(start.chooseLauncher({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' }, electronPath }).mode).toBe('electron');
    expect(start.chooseLauncher({ platform: 'darwin', env: {}, electronPath }).mode).toBe('electron');
    expect(start.chooseLauncher({ platform: 'win32', env: {}, electronPath }).mode).toBe('electron');
  });
  it('falls back to the web host, with the reason, otherwise', () => {
    expect(start.chooseLauncher({ platform: 'linux', env: {}, electronPath })).toEqual({ mode: 'web', reason: expect.stringMatching(/no display.*DISPLAY.*WAYLAND_DISPLAY/) });
    expect(start.chooseLauncher({ platform: 'freebsd', env: { DISPLAY: '' }, electronPath }).mode).toBe('web');
    expect(start.chooseLauncher({ platform: 'darwin', env: {}, electronPath: null, electronReason: 'no binary' })).toEqual({ mode: 'web', reason: 'no binary' });
    expect(start.chooseLauncher({ platform: 'linux', env: { DISPLAY: ':0' }, electronPath, forceWeb: true })).toEqual({ mode: 'web', reason: '--web given' });
  });
});

describe('parseArgs', () => {
  it('keeps --web and --no-build and passes everything else on', () => {
    expect(start.parseArgs(['--web', '--port', '8123', '--no-build', '--data-dir', '/d'])).toEqual({ forceWeb: true, build: false, rest: ['--port', '8123', '--data-dir', '/d'] });
    expect(start.parseArgs([])).toEqual({ forceWeb: false, build: true, rest: [] });
  });
});

describe('needsBuild', () => {
  it('is true when an output is missing or older than a source, false otherwise', () => {
    const root = join(scratch, 'proj');
    const touch = (rel: string, t: number) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), 'x');
      utimesSync(join(root, rel), t, t);
    };
    const now = Date.now() / 1000;
    touch('src-main/a.ts', now - 100);
    touch('package.json', now - 100);
    expect(start.needsBuild(root)).toBe(true);
    for (const o of start.OUTPUTS) touch(o, now - 50);
    for (const d of ['src-main', 'out/main', 'out/preload', 'out/renderer', 'out']) utimesSync(join(root, d), now - 100, now - 100);
    expect(start.needsBuild(root)).toBe(false);
    touch('src-main/deep/b.ts', now - 10);
    expect(start.needsBuild(root)).toBe(true);
  });
});

describe('npm start without the Electron binary or a display', () => {
  it('says why, starts the web host, repeats its address, and stops on SIGTERM', async () => {
    const env = { ...process.env };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.LW_TOKEN;
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), '--no-build', '--port', '0', '--data-dir', join(scratch, 'data')], {
      cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      const t0 = Date.now();
      while (!/web host ready at (\S+)/.test(stderr)) {
        if (Date.now() - t0 > 60_000 || child.exitCode !== null) throw new Error(`no address (exit ${child.exitCode}):\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(stderr).toMatch(/the desktop app cannot start here: (the Electron binary is not installed|no display)/);
      expect(stderr).toMatch(/Starting the local web host instead \(lw serve\)/);
      const url = /web host ready at (\S+)/.exec(stderr)![1]!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{16,}$/);
      // the web host's own stdout line (the address) comes through unchanged
      expect(stdout.trim().split('\n')).toContain(url);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90_000);
});
