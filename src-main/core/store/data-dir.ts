/**
 * Where the workstation keeps its database (DESIGN.md §4): `--data-dir` when
 * given, else $LW_DATA_DIR, else $XDG_DATA_HOME/learnability-workstation
 * (only an absolute XDG_DATA_HOME counts, as the XDG Base Directory
 * specification says), else ~/.local/share/learnability-workstation. The
 * Electron app passes its `userData` folder as the explicit directory.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export const APP_DIR_NAME = 'learnability-workstation';
export const DATABASE_FILE = 'workstation.db';

export interface DataDirSources {
  /** the --data-dir option (or Electron's userData) */
  dataDir?: string | null | undefined;
  /** environment (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  /** home directory (default os.homedir()) */
  home?: string;
  /** base for relative paths (default process.cwd()) */
  cwd?: string;
}

export type DataDirSource = 'option' | 'LW_DATA_DIR' | 'XDG_DATA_HOME' | 'home';

/** The data directory (absolute) and which rule chose it. Creates nothing. */
export function resolveDataDir(src: DataDirSources = {}): { dir: string; source: DataDirSource } {
  const env = src.env ?? process.env;
  const cwd = src.cwd ?? process.cwd();
  const given = src.dataDir?.trim();
  if (given) return { dir: resolve(cwd, given), source: 'option' };
  const lw = env.LW_DATA_DIR?.trim();
  if (lw) return { dir: resolve(cwd, lw), source: 'LW_DATA_DIR' };
  const xdg = env.XDG_DATA_HOME?.trim();
  if (xdg && isAbsolute(xdg)) return { dir: join(xdg, APP_DIR_NAME), source: 'XDG_DATA_HOME' };
  return { dir: join(src.home ?? homedir(), '.local', 'share', APP_DIR_NAME), source: 'home' };
}

/** The database file inside a data directory. */
export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE);
}

/** Create the data directory (and its parents) if needed, readable by the user only; returns it. */
export function ensureDataDir(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return dataDir;
}
