/**
 * Where the result files of an import are (SCIENCE.md §8). Files are known by
 * their names; the seed of a file is its nearest `seed_<S>` folder (or the
 * imported folder's / archive's own name), so every layout the reference
 * produces is read:
 *
 *   nested   <root>/seed_<S>/<model>/<model>_summary.csv, <root>/seed_<S>/cli_args.csv …
 *   flat     <root>/seed_<S>/<model>_summary.csv …       (one folder per seed)
 *   flat     <root>/<model>_summary.csv, <root>/cli_args.csv   (one seed; the seed from cli_args.csv)
 *
 * with any wrapping folders above (an archive of the results folder). Files
 * with other names (plots, logs, our aggregate/ folder, the reference's
 * sample spills) are ignored and never read.
 */
import { ARCH_NAMES, type ArchName } from '../../../src-shared/config';
import { fail } from './errors';
import type { SourceEntry } from './source';

/** Per-run files: the reference's (§8) and ours (master fit, status). */
export type RunFileKind = 'curve' | 'gate' | 'summary' | 'muUnits' | 'tau' | 'envelope' | 'hn' | 'constTau' | 'master' | 'status';
/** Per-seed files. */
export type SeedFileKind = 'cliArgs' | 'hnSummary';

export const RUN_FILE_NAMES: Readonly<Record<RunFileKind, (m: ArchName) => string>> = {
  curve: (m) => `${m}_learning_curve.csv`,
  gate: (m) => `gate_stats_${m}.csv`,
  summary: (m) => `${m}_summary.csv`,
  muUnits: (m) => `${m}_mu_units.csv`,
  tau: (m) => `${m}_tau_from_mu_units.csv`,
  envelope: (m) => `${m}_envelope_fits.json`,
  hn: (m) => `${m}_H_N.csv`,
  constTau: () => 'const_tau_const.json',
  master: (m) => `${m}_master_fit.json`,
  status: (m) => `${m}_status.json`,
};

const SEED_FILE_NAMES: Readonly<Record<string, SeedFileKind>> = { 'cli_args.csv': 'cliArgs', 'H_N_summary.csv': 'hnSummary' };

/** name → (kind, model) for every run file name */
const BY_NAME: ReadonlyMap<string, { kind: RunFileKind; arch: ArchName }> = (() => {
  const m = new Map<string, { kind: RunFileKind; arch: ArchName }>();
  for (const arch of ARCH_NAMES) {
    for (const [kind, name] of Object.entries(RUN_FILE_NAMES) as [RunFileKind, (a: ArchName) => string][]) {
      if (kind === 'constTau' && arch !== 'const') continue;
      m.set(name(arch), { kind, arch });
    }
  }
  return m;
})();

const SEED_DIR = /^seed_(\d{1,15})$/;

export interface RunFiles {
  arch: ArchName;
  /** the folder of the run's files, relative to the root ('' for the root) */
  dir: string;
  files: Partial<Record<RunFileKind, SourceEntry>>;
}

export interface SeedGroup {
  /** from the folder name; null when no seed_<S> folder holds the files (flat: the seed comes from cli_args.csv) */
  seed: number | null;
  /** the seed folder relative to the root ('' for the root) */
  dir: string;
  files: Partial<Record<SeedFileKind, SourceEntry>>;
  runs: Map<ArchName, RunFiles>;
}

export interface Layout {
  /** in seed order (ascending); the unseeded group, if any, first */
  groups: SeedGroup[];
  /** entries not read (other names) */
  ignored: number;
}

function dirOf(path: string): string {
  const k = path.lastIndexOf('/');
  return k < 0 ? '' : path.slice(0, k);
}

/** The seed of a path: its nearest seed_<S> folder, else the root's own name, else null; and that folder. */
function seedOf(path: string, rootName: string): { seed: number | null; dir: string } {
  const segs = path.split('/').slice(0, -1);
  for (let k = segs.length - 1; k >= 0; k--) {
    const m = SEED_DIR.exec(segs[k]!);
    if (m) return { seed: Number(m[1]), dir: segs.slice(0, k + 1).join('/') };
  }
  const m = SEED_DIR.exec(rootName);
  if (m) return { seed: Number(m[1]), dir: '' };
  return { seed: null, dir: '' };
}

export function classify(entries: readonly SourceEntry[], rootName: string): Layout {
  const groups = new Map<number | null, SeedGroup>();
  let ignored = 0;
  const group = (seed: number | null, dir: string): SeedGroup => {
    let g = groups.get(seed);
    if (!g) groups.set(seed, (g = { seed, dir, files: {}, runs: new Map() }));
    return g;
  };
  const where = (e?: SourceEntry) => (e ? e.path : '');

  for (const e of entries) {
    const name = e.path.slice(e.path.lastIndexOf('/') + 1);
    const seedKind = SEED_FILE_NAMES[name];
    const run = BY_NAME.get(name);
    if (!seedKind && !run) {
      ignored++;
      continue;
    }
    const { seed, dir } = seedOf(e.path, rootName);
    const g = group(seed, dir);
    if (g.dir !== dir) fail(e.path, `seed ${seed} appears in two folders (${g.dir || 'the top level'} and ${dir || 'the top level'})`);
    if (seedKind) {
      const prev = g.files[seedKind];
      if (prev) fail(e.path, `a second ${name} for ${seed === null ? 'the same results' : `seed ${seed}`} (the other is ${where(prev)})`);
      g.files[seedKind] = e;
      continue;
    }
    const { kind, arch } = run!;
    const parent = dirOf(e.path);
    const parentName = parent.slice(parent.lastIndexOf('/') + 1);
    if ((ARCH_NAMES as readonly string[]).includes(parentName) && parentName !== arch) {
      fail(e.path, `a file of model ${arch} in the folder of model ${parentName}`);
    }
    let r = g.runs.get(arch);
    if (!r) g.runs.set(arch, (r = { arch, dir: parent, files: {} }));
    const prev = r.files[kind];
    if (prev) fail(e.path, `a second ${name} for ${seed === null ? `model ${arch}` : `seed ${seed}, model ${arch}`} (the other is ${where(prev)})`);
    if (parent !== r.dir) {
      fail(e.path, `the files of ${arch}${seed === null ? '' : `, seed ${seed}`} are in two places (${r.dir || 'the top level'} and ${parent || 'the top level'})`);
    }
    r.files[kind] = e;
  }

  const unseeded = groups.get(null);
  const seeded = [...groups.values()].filter((g) => g.seed !== null).sort((a, b) => a.seed! - b.seed!);
  if (unseeded && unseeded.runs.size > 0 && seeded.length > 0) {
    const first = [...unseeded.runs.values()][0]!;
    const f = Object.values(first.files)[0]!;
    fail(f.path, `result files both outside and inside seed_<S> folders (${seeded.map((g) => g.dir).join(', ')}): import one results folder at a time`);
  }
  return { groups: unseeded ? [unseeded, ...seeded] : seeded, ignored };
}
