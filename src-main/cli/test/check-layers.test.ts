import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLayers, formatViolations, isNodeBuiltin, layerOf, scanImports, scanNodeGlobals } from '../../../scripts/check-layers';

describe('scanImports', () => {
  it('finds every import form, with lines and type-only flags', () => {
    const src = [
      "import { a } from './a';",
      "import type { B } from 'node:fs';",
      "import {",
      "  type C,",
      "  type D,",
      "} from '../c';",
      "export * from './e';",
      "export { f } from \"./f\";",
      "import './side-effect';",
      "const m = await import('./dyn');",
      "const r = require('path');",
      "// import { x } from 'electron';",
      "/* import 'node:os' */",
      "const s = 'http://example.org'; export const t = 1;",
      "import * as ns from 'zod';",
    ].join('\n');
    expect(scanImports(src)).toEqual([
      { specifier: './a', line: 1, typeOnly: false },
      { specifier: 'node:fs', line: 2, typeOnly: true },
      { specifier: '../c', line: 3, typeOnly: true },
      { specifier: './e', line: 7, typeOnly: false },
      { specifier: './f', line: 8, typeOnly: false },
      { specifier: './side-effect', line: 9, typeOnly: false },
      { specifier: './dyn', line: 10, typeOnly: false },
      { specifier: 'path', line: 11, typeOnly: false },
      { specifier: 'zod', line: 15, typeOnly: false },
    ]);
  });
  it('a mixed value/type import is a value import', () => {
    expect(scanImports("import { type A, b } from './x';")[0]!.typeOnly).toBe(false);
  });
  it('recognises Node built-ins with and without the node: prefix', () => {
    for (const s of ['node:fs', 'fs', 'fs/promises', 'worker_threads', 'path']) expect(isNodeBuiltin(s), s).toBe(true);
    for (const s of ['zod', 'piscina', './fs', 'electron']) expect(isNodeBuiltin(s), s).toBe(false);
  });
  it('finds Node globals outside comments and strings', () => {
    const src = "const a = process.env.X; // process.exit()\nconst b = 'Buffer'; const c = Buffer.from('x');\nobj.process(); const processed = 1;";
    expect(scanNodeGlobals(src)).toEqual([{ name: 'process', line: 1 }, { name: 'Buffer', line: 2 }]);
  });
  it('maps paths to layers', () => {
    expect(layerOf('src-workers/engine/models/gru.ts')).toBe('engine');
    expect(layerOf('src-workers/tasks/pool.ts')).toBe('workers');
    expect(layerOf('src-main/core/store.ts')).toBe('core');
    expect(layerOf('src-main/cli/lw.ts')).toBe('main');
    expect(layerOf('src-main/electron/main.ts')).toBe('electron');
    expect(layerOf('src-renderer/App.vue')).toBe('renderer');
    expect(layerOf('scripts/bench.ts')).toBe(null);
  });
});

describe('checkLayers on a fixture project', () => {
  let root: string;
  const files: Record<string, string> = {
    // allowed
    'src-shared/config.ts': "import { z } from 'zod';\nimport type { X } from './types';\nexport const a = 1;",
    'src-shared/types.ts': 'export type X = number;',
    'src-workers/engine/train.ts': "import { lagGrid } from '../../src-shared/config';\nimport { m } from './models/m';",
    'src-workers/engine/models/m.ts': 'export const m = 1;',
    'src-workers/engine/models/m.test.ts': "import { readFileSync } from 'node:fs';", // tests are not checked
    'src-workers/tasks/pool.ts': "import { Piscina } from 'piscina';\nimport { cpus } from 'node:os';\nimport { t } from '../engine/train';",
    'src-main/core/store.ts': "import Database from 'better-sqlite3';\nimport { a } from '../../src-shared/config';",
    'src-main/cli/lw.ts': "import { s } from '../core/store';\nimport { p } from '../../src-workers/tasks/pool';",
    'src-main/electron/main.ts': "import { app } from 'electron';\nimport { s } from '../core/store';",
    'src-preload/index.ts': "import { contextBridge } from 'electron';\nimport type { X } from '../src-shared/types';",
    'src-renderer/App.vue': "<script setup lang=\"ts\">\nimport { ref } from 'vue';\nimport { CONFIG_FIELDS } from '../src-shared/config';\n</script>",
    // violations, one per file
    'src-shared/bad-node.ts': "import { readFileSync } from 'node:fs';",
    'src-shared/bad-pkg.ts': "import { Piscina } from 'piscina';",
    'src-shared/bad-up.ts': "import { t } from '../src-workers/engine/train';",
    'src-shared/bad-global.ts': 'export const env = process.env.HOME;',
    'src-workers/engine/bad-fs.ts': "const fs = await import('fs');",
    'src-workers/engine/bad-tasks.ts': "import { p } from '../tasks/pool';",
    'src-workers/engine/bad-buffer.ts': "export const b = Buffer.from('x');",
    'src-workers/tasks/bad-main.ts': "import { s } from '../../src-main/core/store';",
    'src-main/core/bad-electron.ts': "import { ipcMain } from 'electron';",
    'src-main/core/bad-cli.ts': "import { x } from '../cli/lw';",
    'src-main/cli/bad-electron.ts': "import { app } from 'electron/main';",
    'src-renderer/bad-main.ts': "import { s } from '../src-main/core/store';",
    'src-renderer/bad-workers.ts': "import type { P } from '../src-workers/tasks/pool';",
    'src-renderer/bad-node.ts': "import path from 'path';",
    'src-renderer/bad-electron.ts': "import { ipcRenderer } from 'electron';",
    'src-preload/bad-main.ts': "import { s } from '../src-main/core/store';",
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lw-layers-'));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports exactly the bad files, one violation each, with a reason', () => {
    const { files: n, violations } = checkLayers(root);
    expect(n).toBe(Object.keys(files).length - 1); // the test file is skipped
    const bad = Object.keys(files).filter((f) => f.split('/').pop()!.startsWith('bad-')).sort();
    expect(violations.map((v) => v.file).sort()).toEqual(bad);
    const by = Object.fromEntries(violations.map((v) => [v.file, v]));
    expect(by['src-shared/bad-node.ts']!.reason).toBe('src-shared must not use Node built-ins');
    expect(by['src-shared/bad-pkg.ts']!.reason).toContain('only plain-JavaScript packages');
    expect(by['src-shared/bad-up.ts']!.reason).toBe('src-shared must not import src-workers/engine');
    expect(by['src-shared/bad-global.ts']!.reason).toContain("Node global 'process'");
    expect(by['src-workers/engine/bad-fs.ts']!.reason).toBe('src-workers/engine must not use Node built-ins');
    expect(by['src-workers/engine/bad-tasks.ts']!.reason).toContain('must not import src-workers (outside engine)');
    expect(by['src-workers/engine/bad-buffer.ts']!.reason).toContain("'Buffer'");
    expect(by['src-workers/tasks/bad-main.ts']!.reason).toContain('must not import src-main/core');
    expect(by['src-main/core/bad-electron.ts']!.reason).toBe('src-main/core must not import Electron');
    expect(by['src-main/core/bad-cli.ts']!.reason).toContain('must not import src-main (cli, server)');
    expect(by['src-main/cli/bad-electron.ts']!.reason).toContain('must not import Electron');
    expect(by['src-renderer/bad-main.ts']!.reason).toBe('src-renderer must not import src-main/core');
    expect(by['src-renderer/bad-workers.ts']!.reason).toContain('must not import src-workers');
    expect(by['src-renderer/bad-node.ts']!.reason).toBe('src-renderer must not use Node built-ins');
    expect(by['src-renderer/bad-electron.ts']!.reason).toBe('src-renderer must not import Electron');
    expect(by['src-preload/bad-main.ts']!.reason).toBe('src-preload must not import src-main/core');
    expect(by['src-shared/bad-node.ts']!.line).toBe(1);
    expect(formatViolations([by['src-shared/bad-node.ts']!])).toBe(
      "  src-shared/bad-node.ts:1  imports 'node:fs': src-shared must not use Node built-ins",
    );
  });
});

describe('the project itself', () => {
  it('keeps its layering', () => {
    const { files, violations } = checkLayers(fileURLToPath(new URL('../../..', import.meta.url)));
    expect(files).toBeGreaterThan(10);
    expect(formatViolations(violations)).toBe('');
  });
});
