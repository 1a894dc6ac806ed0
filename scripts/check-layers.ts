/**
 * Layering check (DESIGN.md §1): scans every import of the source folders and
 * fails with a list when one crosses a layer boundary.
 *
 *   engine     src-workers/engine   plain JS: itself and src-shared only; no Node built-ins
 *   shared     src-shared           plain JS: itself only (+ zod); no Node built-ins
 *   workers    src-workers/*        Node allowed; no Electron; not src-main, renderer, preload
 *   core       src-main/core        Node allowed; no Electron; not cli/server/electron/renderer/preload
 *   main       src-main/* (cli, server)  no Electron; not src-main/electron, renderer, preload
 *   electron   src-main/electron    Electron allowed; not the renderer
 *   preload    src-preload          Electron allowed; src-shared only; no Node built-ins
 *   renderer   src-renderer         browser: no Node built-ins, no Electron; not src-main,
 *                                   src-workers, src-preload (types and values come from src-shared)
 *
 * Test files (*.test.*, *.spec.*) run under Node in vitest and are not checked.
 * Usage: `npm run check:layers` (exit 1 on violations).
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Layer = 'engine' | 'shared' | 'workers' | 'core' | 'main' | 'electron' | 'preload' | 'renderer';

export interface ImportRef {
  specifier: string;
  line: number;
  typeOnly: boolean;
}

export interface LayerViolation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

/** npm packages that are plain JavaScript and may be used by engine and shared code. */
export const PURE_PACKAGES: readonly string[] = ['zod'];

const SOURCE_ROOTS = ['src-shared', 'src-workers', 'src-main', 'src-preload', 'src-renderer'];
const SOURCE_EXT = /\.(ts|mts|cts|tsx|js|mjs|cjs|vue)$/;
const TEST_FILE = /\.(test|spec)\.[a-z]+$/;

export function layerOf(relPath: string): Layer | null {
  const p = relPath.split(sep).join('/');
  if (p.startsWith('src-workers/engine/')) return 'engine';
  if (p.startsWith('src-shared/')) return 'shared';
  if (p.startsWith('src-workers/')) return 'workers';
  if (p.startsWith('src-main/core/')) return 'core';
  if (p.startsWith('src-main/electron/')) return 'electron';
  if (p.startsWith('src-main/')) return 'main';
  if (p.startsWith('src-preload/')) return 'preload';
  if (p.startsWith('src-renderer/')) return 'renderer';
  return null;
}

/** Blank out comments (keeping line breaks and string literals) so imports in comments are ignored. */
function stripComments(src: string): string {
  return src.replace(/("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m, str: string | undefined) =>
    str !== undefined ? m : m.replace(/[^\n]/g, ' '),
  );
}

/** Blank out comments and string literals (for identifier scans). */
function stripCommentsAndStrings(src: string): string {
  return src.replace(/"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** Node-only globals that plain-JavaScript layers must not touch. */
const NODE_GLOBALS = /(?<![.\w$])(process|Buffer|__dirname|__filename|require|setImmediate)\b/g;

/** Uses of Node-only globals (process, Buffer, __dirname, require…) in a source text. */
export function scanNodeGlobals(source: string): { name: string; line: number }[] {
  const text = stripCommentsAndStrings(source);
  const out: { name: string; line: number }[] = [];
  for (let m; (m = NODE_GLOBALS.exec(text)); ) out.push({ name: m[1]!, line: text.slice(0, m.index).split('\n').length });
  return out;
}

/** Every import / export-from / dynamic import / require of a source text. */
export function scanImports(source: string): ImportRef[] {
  const text = stripComments(source);
  const refs: ImportRef[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  const stat = /\b(import|export)\s+(type\s+)?(?:([\w*{}\s,$]+?)\s+from\s+)?(['"])([^'"\n]+)\4/g;
  for (let m; (m = stat.exec(text)); ) {
    const clause = m[3] ?? '';
    const braces = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const allTypes = braces !== null && braces[1]!.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    refs.push({ specifier: m[5]!, line: lineAt(m.index), typeOnly: m[2] !== undefined || allTypes });
  }
  const dyn = /\b(?:import|require)\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;
  for (let m; (m = dyn.exec(text)); ) refs.push({ specifier: m[2]!, line: lineAt(m.index), typeOnly: false });
  return refs.sort((a, b) => a.line - b.line);
}

const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));

export function isNodeBuiltin(spec: string): boolean {
  if (spec.startsWith('node:')) return true;
  return BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!);
}

function isElectron(spec: string): boolean {
  return spec === 'electron' || spec.startsWith('electron/');
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const LAYER_DIR: Record<Layer, string> = {
  engine: 'src-workers/engine',
  shared: 'src-shared',
  workers: 'src-workers (outside engine)',
  core: 'src-main/core',
  main: 'src-main (cli, server)',
  electron: 'src-main/electron',
  preload: 'src-preload',
  renderer: 'src-renderer',
};

/** Layers each layer may import by relative path. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  engine: ['engine', 'shared'],
  shared: ['shared'],
  workers: ['workers', 'engine', 'shared'],
  core: ['core', 'workers', 'engine', 'shared'],
  main: ['main', 'core', 'workers', 'engine', 'shared'],
  electron: ['electron', 'main', 'core', 'workers', 'engine', 'shared'],
  preload: ['preload', 'shared'],
  renderer: ['renderer', 'shared'],
};

const NO_BUILTINS: ReadonlySet<Layer> = new Set(['engine', 'shared', 'preload', 'renderer']);
const ELECTRON_OK: ReadonlySet<Layer> = new Set(['electron', 'preload']);
const PURE_ONLY: ReadonlySet<Layer> = new Set(['engine', 'shared']);

/** Why one import from `fromRel` breaks the layering, or null. */
export function checkImport(root: string, fromRel: string, ref: ImportRef): string | null {
  const from = layerOf(fromRel);
  if (!from) return null;
  const spec = ref.specifier;
  const where = LAYER_DIR[from];
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = relative(root, resolve(root, dirname(fromRel), spec));
    if (target.startsWith('..')) return `${where} must not import files outside the project`;
    const to = layerOf(target);
    if (to === null) {
      return PURE_ONLY.has(from) || from === 'renderer' || from === 'preload'
        ? `${where} must not import ${target.split(sep).join('/')} (outside the source layers)`
        : null;
    }
    if (!MAY_IMPORT[from].includes(to)) return `${where} must not import ${LAYER_DIR[to]}`;
    return null;
  }
  if (isElectron(spec)) return ELECTRON_OK.has(from) ? null : `${where} must not import Electron`;
  if (isNodeBuiltin(spec)) {
    if (ref.typeOnly && !PURE_ONLY.has(from)) return null;
    return NO_BUILTINS.has(from) ? `${where} must not use Node built-ins` : null;
  }
  if (PURE_ONLY.has(from) && !PURE_PACKAGES.includes(packageName(spec))) {
    return `${where} may use only plain-JavaScript packages (${PURE_PACKAGES.join(', ')}), not ${packageName(spec)}`;
  }
  return null;
}

function* sourceFiles(root: string): Generator<string> {
  const walk = function* (dir: string): Generator<string> {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries.sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) yield* walk(p);
      else if (SOURCE_EXT.test(name) && !TEST_FILE.test(name) && !name.endsWith('.d.ts')) yield p;
    }
  };
  for (const r of SOURCE_ROOTS) yield* walk(join(root, r));
}

export function checkLayers(root: string): { files: number; violations: LayerViolation[] } {
  const violations: LayerViolation[] = [];
  let files = 0;
  for (const abs of sourceFiles(root)) {
    files++;
    const rel = relative(root, abs);
    const relPosix = rel.split(sep).join('/');
    const text = readFileSync(abs, 'utf8');
    for (const ref of scanImports(text)) {
      const reason = checkImport(root, rel, ref);
      if (reason) violations.push({ file: relPosix, line: ref.line, specifier: ref.specifier, reason });
    }
    const layer = layerOf(rel);
    if (layer && PURE_ONLY.has(layer)) {
      for (const g of scanNodeGlobals(text)) {
        violations.push({ file: relPosix, line: g.line, specifier: g.name, reason: `${LAYER_DIR[layer]} must not use the Node global '${g.name}'` });
      }
    }
  }
  return { files, violations };
}

export function formatViolations(vs: readonly LayerViolation[]): string {
  return vs.map((v) => `  ${v.file}:${v.line}  ${v.reason.includes('Node global') ? 'uses' : 'imports'} '${v.specifier}': ${v.reason}`).join('\n');
}

function isMain(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const root = resolve(process.argv[2] ?? '.');
  const { files, violations } = checkLayers(root);
  if (violations.length > 0) {
    process.stderr.write(`check-layers: ${violations.length} import${violations.length === 1 ? '' : 's'} break the layering (DESIGN.md §1):\n${formatViolations(violations)}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`check-layers: ${files} files, layering OK\n`);
  }
}
