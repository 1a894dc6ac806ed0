/**
 * Option reading shared by the benchmark scripts (`--flag value` or
 * `--flag=value`): one tokenizer and one set of checks, each problem one
 * line on stderr and exit code 2.
 */
import { ARCH_NAMES, type ArchName } from '../src-shared/config';
import { isPresetName, type PresetName } from '../src-shared/presets';

export interface OptionReader {
  /** the flag being read, e.g. `--epochs` */
  readonly flag: string;
  value(): string;
  /** an integer >= min */
  int(min: number): number;
  /** one of the allowed words */
  choice<T extends string>(allowed: readonly T[]): T;
  preset(): PresetName;
  /** a comma-separated list of known architectures */
  models(): ArchName[];
}

export function failWith(prog: string): (msg: string) => never {
  return (msg) => {
    process.stderr.write(`${prog}: ${msg}\n`);
    process.exit(2);
  };
}

/**
 * Walk argv; `handle(reader)` reads the current flag's value(s) and returns
 * false for a flag it does not know (then: "unknown option").
 */
export function readOptions(prog: string, argv: string[], handle: (r: OptionReader) => boolean): void {
  const fail = failWith(prog);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const flag = eq >= 0 ? a.slice(0, eq) : a;
    const inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    const reader: OptionReader = {
      flag,
      value,
      int(min) {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < min) fail(`${flag} must be an integer >= ${min} (got ${v})`);
        return n;
      },
      choice(allowed) {
        const v = value();
        if (!(allowed as readonly string[]).includes(v)) fail(`${flag} must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)} (got ${v})`);
        return v as (typeof allowed)[number];
      },
      preset() {
        const v = value();
        if (!isPresetName(v)) return fail(`${flag} must be smoke, quick or paper (got ${v})`);
        return v;
      },
      models() {
        const list = value().split(',').map((s) => s.trim()).filter(Boolean);
        for (const m of list) if (!(ARCH_NAMES as readonly string[]).includes(m)) fail(`${flag}: unknown model '${m}' (known: ${ARCH_NAMES.join(', ')})`);
        return list as ArchName[];
      },
    };
    if (!handle(reader)) fail(`unknown option ${a}`);
  }
}
