/**
 * `npm run build:desktop` (electron-vite build) and what it produces, checked
 * without the Electron binary (which cannot be downloaded here):
 *  - the four outputs exist, and the build takes seconds;
 *  - the page loads only its own files (the CSP allows nothing else);
 *  - the preload is one CommonJS script that requires only 'electron' (a
 *    sandboxed preload can be nothing else) and exposes exactly window.lw;
 *  - the pool workers' bundles (runs, noise lab) never load the main bundle or
 *    Electron; the run worker exports the named task tuneGpuTask (GPU kernel
 *    tuning), which reaches the tuner; the service finds the noise-lab worker beside the run worker,
 *    and it computes what the sources compute;
 *  - file-relative URLs of the sources (migrations, package.json) still name
 *    the same files from out/main;
 *  - the BUILT main process, run in Node with a stand-in 'electron' module
 *    (fixtures/fake-electron.mjs), serves the page with the CSP, hardens the
 *    window, answers the Api over its IPC handler with sender checks, runs a
 *    smoke experiment on the bundled pool worker, sends events to the
 *    window, and quits cleanly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../../src-shared/config';
import { decode } from '../../../src-shared/wire';
import { runDiagnostics } from '../../../src-workers/engine/diagnostics/run-diagnostics';
import { createTsKernels } from '../../../src-workers/engine/kernels/ts-kernels';
import { createInitialisedModel } from '../../../src-workers/engine/models';
import { SyntheticTask } from '../../../src-workers/engine/task';
import { threadedLagExecutor } from '../../../src-workers/tasks/diagnostics-threads';
import { drawStable } from '../../../src-workers/tasks/noise-lab-compute';
import { createInteractivePool, noiseLabWorkerFileFor } from '../../../src-workers/tasks/interactive-pool';
import { CONTENT_SECURITY_POLICY } from '../security';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
let out = '';
let buildSeconds = 0;

beforeAll(() => {
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  // inside the project, so the bundles resolve their dependencies from node_modules as out/ does
  out = mkdtempSync(join(ROOT, 'out', '.test-build-'));
  const bin = join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'build', '--outDir', out, '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  buildSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`electron-vite build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}, 180_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

const read = (rel: string) => readFileSync(join(out, rel), 'utf8');

describe('electron-vite build', () => {
  it('writes the main bundle, the pool worker, the preload and the page, in seconds', () => {
    for (const f of ['main/main.js', 'main/run-unit-worker.js', 'main/noise-lab-worker.js', 'main/diagnostics-worker.js', 'preload/index.cjs', 'renderer/index.html']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readdirSync(join(out, 'preload'))).toEqual(['index.cjs']);
    expect(buildSeconds).toBeLessThan(60);
  });

  it('the page loads only its own files, by relative URL, with no inline script or eval', () => {
    const html = read('renderer/index.html');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body!.trim()).toBe('');
      const src = /src="([^"]+)"/.exec(attrs!)?.[1];
      expect(src).toMatch(/^\.\/assets\/[\w.-]+\.js$/);
      const js = read(join('renderer', src!));
      expect(js).not.toMatch(/\beval\(|new Function\(/);
    }
    for (const [, href] of html.matchAll(/<link\b[^>]*href="([^"]+)"/g)) {
      expect(href).toMatch(/^\.\/assets\//);
      expect(existsSync(join(out, 'renderer', href!))).toBe(true);
    }
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
  });

  it('the preload is one CommonJS script that requires only electron and exposes exactly window.lw', async () => {
    const code = read('preload/index.cjs');
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
    expect([...new Set([...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]))]).toEqual(['electron']);

    const exposed: Record<string, Record<string, (...a: unknown[]) => unknown>> = {};
    const invoked: unknown[][] = [];
    const listeners: [string, unknown][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: Record<string, (...a: unknown[]) => unknown>) => { exposed[key] = api; } },
      ipcRenderer: {
        invoke: async (...a: unknown[]) => { invoked.push(a); return { ok: true, value: 'null' }; },
        on: (ch: string, l: unknown) => listeners.push([ch, l]),
        removeListener: () => {},
      },
    };
    // what Electron gives a sandboxed preload: require limited to a few modules, module/exports
    const module = { exports: {} };
    runInNewContext(code, {
      require: (id: string) => {
        if (id !== 'electron') throw new Error(`the preload required ${id}`);
        return electron;
      },
      module, exports: module.exports,
    });
    expect(Object.keys(exposed)).toEqual(['lw']);
    expect(Object.keys(exposed.lw!).sort()).toEqual(['invoke', 'onEvent', 'onMenu']);
    await exposed.lw!.invoke!('getQueue');
    expect(invoked).toEqual([['lw:api', 'getQueue', undefined]]);
    exposed.lw!.onEvent!(() => {});
    exposed.lw!.onMenu!(() => {});
    expect(listeners.map(([ch]) => ch)).toEqual(['lw:event', 'lw:menu']);
  });

  it.each(['run-unit-worker.js', 'noise-lab-worker.js', 'diagnostics-worker.js'])('the pool worker bundle %s never loads the main bundle or Electron', (entry) => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of read(join('main', file)).matchAll(/^\s*(?:import|export)\b[^'"\n]*?(?:from\s*)?["']([^"']+)["']/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('./')) visit(spec.slice(2));
        else bare.add(spec);
      }
      for (const m of read(join('main', file)).matchAll(/\bimport\(\s*["'](\.\/[^"']+)["']\s*\)/g)) visit(m[1]!.slice(2));
    };
    visit(entry);
    expect(seen.has('main.js')).toBe(false);
    expect([...bare].filter((s) => s === 'electron' || s.startsWith('electron/'))).toEqual([]);
    expect(read('main/main.js')).toMatch(/from ["']electron["']/);
  });

  it('the built run worker exports the pool\'s named task tuneGpuTask, which reaches the tuner (an invalid request refused before any device)', async () => {
    const mod = (await import(pathToFileURL(join(out, 'main', 'run-unit-worker.js')).href)) as { default: unknown; tuneGpuTask: unknown };
    expect(typeof mod.default).toBe('function');
    expect(typeof mod.tuneGpuTask).toBe('function');
    const task = mod.tuneGpuTask as (input: { req: unknown }) => Promise<unknown>;
    await expect(task({ req: { models: [{ arch: 'gru', D: 1, H: 8, layernorm: true, constS: 0.05 }], batch: 4, T: 8, budgetSeconds: 5, reps: 1 } }))
      .rejects.toThrow('budgetSeconds must be an integer from 10 to 3600 (got 5)');
  });

  it('the service finds the built noise-lab worker beside the run worker, and it computes what the sources do', async () => {
    const built = join(out, 'main', 'noise-lab-worker.js');
    expect(noiseLabWorkerFileFor(join(out, 'main', 'run-unit-worker.js'))).toBe(built);
    const pool = createInteractivePool({ filename: built, warn: () => {} });
    try {
      const arg = { alpha: 1.3, scale: 2, n: 500, seed: 17 };
      const d = await pool.run('sampleStable', arg);
      expect(Array.from(d.samples)).toEqual(Array.from(drawStable(arg).samples));
    } finally {
      await pool.destroy();
    }
  });

  it('the built diagnostics lag thread computes what the sources do', async () => {
    const cfg = {
      ...DEFAULT_CONFIG, Nseq_diag: 4, T: 20, D: 2, H: 3, lag_min: 1, lag_max: 15, num_lags: 5, N_grid: [10, 40],
      min_samples_alpha: 30, task_lags: [2], task_coeffs: [0.7],
    } as ExperimentConfig;
    const model = createInitialisedModel({ arch: 'gru', D: 2, H: 3, layernorm: true, constS: 0.05 },
      { kernels: createTsKernels<Float64Array>('f64'), maxBatch: 2, maxT: 20 }, { seed: 1, orthInit: true });
    const task = new SyntheticTask(cfg, 5);
    const here = await runDiagnostics(model, task, cfg, { batchSize: 2 });
    const built = await runDiagnostics(model, task, cfg, { batchSize: 2, lagExecutor: threadedLagExecutor(2, join(out, 'main', 'diagnostics-worker.js')) });
    expect(built).toEqual(here);
  });

  it('file-relative URLs of the sources name the same files from out/main', () => {
    const targets: string[] = [];
    for (const f of readdirSync(join(out, 'main')).filter((n) => n.endsWith('.js'))) {
      for (const m of read(join('main', f)).matchAll(/new URL\(\s*"([^"]+)"\s*,\s*import\.meta\.url\s*\)/g)) {
        targets.push(resolve(join(out, 'main'), m[1]!));
      }
    }
    expect(targets).toContain(join(ROOT, 'package.json'));
    expect(targets).toContain(join(ROOT, 'migrations'));
    for (const t of targets) expect(existsSync(t), t).toBe(true);
  });
});

interface Reply { ok: boolean; value?: string; error?: { code: string; message: string; fields?: { field: string }[] } }

describe('the built main process under a stand-in Electron', () => {
  let report: Record<string, unknown> = {};
  let code: number | null = null;
  let base = '';

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'lw-desktop-'));
    const dataDir = join(base, 'data');
    const child = spawn(process.execPath, [
      '--import', join(FIXTURES, 'register-fake-electron.mjs'), join(FIXTURES, 'drive-main.mjs'), join(out, 'main', 'main.js'),
      '--data-dir', dataDir,
    ], { cwd: ROOT, env: { ...process.env, FAKE_ELECTRON_APPDATA: join(base, 'appdata'), LW_DATA_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const line = stdout.split('\n').find((l) => l.startsWith('REPORT '));
    if (!line) throw new Error(`no report (exit ${code}):\n${stdout}\n${stderr}`);
    report = JSON.parse(line.slice('REPORT '.length)) as Record<string, unknown>;
    report.dataDir = dataDir;
    if (report.failure) throw new Error(`${String(report.failure)}\n--- stderr:\n${stderr}`);
  }, 150_000);

  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const reply = (k: string) => report[k] as Reply;
  const value = (k: string) => {
    const r = reply(k);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    return decode(r.value!) as Record<string, unknown>;
  };

  it('quits cleanly (exit 0) after closing the service', () => {
    expect(code).toBe(0);
  });

  it('sets a stable identity, sandboxes every renderer and registers the app scheme', () => {
    expect(report.name).toBe('Learnability Workstation');
    expect(report.userData).toBe(join(base, 'appdata', 'learnability-workstation'));
    expect(report.sandbox).toBe(true);
    expect(report.privileged).toEqual([{ scheme: 'lw-app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
    expect(report.errors).toEqual([]);
  });

  it('opens the page from lw-app:// in an isolated, sandboxed window with the built preload', () => {
    const p = report.webPreferences as Record<string, unknown>;
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(p.preload).toBe(join(out, 'preload', 'index.cjs'));
    expect(report.windowUrl).toBe('lw-app://app/index.html');
    const page = report.page as { status: number; csp: string; type: string; text: string };
    expect(page.status).toBe(200);
    expect(page.csp).toBe(CONTENT_SECURITY_POLICY);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.text).toContain('<div id="app"></div>');
    expect(report.escapeStatus).toBe(400);
  });

  it('blocks new windows, navigation, webviews and permissions; adds the CSP to every response', () => {
    expect(report.openHandler).toEqual({ action: 'deny' });
    expect(report.navigationPrevented).toBe(true);
    expect(report.webviewPrevented).toBe(true);
    expect(report.permission).toBe(false);
    expect(report.permissionCheck).toBe(false);
    expect(report.headers).toEqual({ responseHeaders: { a: ['b'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    expect(report.menu).toEqual(process.platform === 'darwin'
      ? ['Learnability Workstation', 'File', 'editMenu', 'viewMenu', 'windowMenu']
      : ['File', 'editMenu', 'viewMenu', 'windowMenu']);
  });

  it('answers the Api over IPC only for the top frame of the app page', () => {
    expect(value('listBefore')).toEqual({ items: [], total: 0 });
    expect(reply('foreign').error?.code).toBe('unauthorized');
    expect(reply('subframe').error?.code).toBe('unauthorized');
    expect(reply('unknown').error?.code).toBe('not-found');
    const invalid = reply('invalid');
    expect(invalid.ok).toBe(false);
    expect(invalid.error?.code).toBe('invalid');
    expect(invalid.error?.fields?.map((f) => f.field)).toContain('H');
  });

  it('uses the data directory given, and the project version', () => {
    const info = value('info');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(info.host).toBe('electron');
    expect(info.appVersion).toBe(pkg.version);
    expect(info.dataDir).toBe(report.dataDir);
    expect(existsSync(join(String(report.dataDir), 'workstation.db'))).toBe(true);
  });

  it('runs an experiment on the bundled pool worker and sends its events to the window', () => {
    const created = value('created') as { runs: unknown[] };
    expect(created.runs).toHaveLength(1);
    expect((report.finished as { status: string }).status).toBe('done');
    expect(report.eventTypes).toEqual(expect.arrayContaining(['experiment-created', 'run-status']));
    expect(value('result')).not.toBeNull();
    expect(report.otherChannels).toEqual(['lw:event']);
  });
});

