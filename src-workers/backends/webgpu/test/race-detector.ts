/**
 * Dynamic data-race detector for the persistent WGSL kernels (gated, LSTM and
 * GRU forward / backward / tangent, the weight transpose), used by
 * races.test.ts.
 *
 * Why: the parity tests run on SwiftShader, which executes a workgroup one
 * subgroup after another and never makes one subgroup's workgroup-memory
 * write visible to another before the next barrier; a missing barrier
 * between a read and a later overwrite (write-after-read) therefore computes
 * the right numbers there and wrong ones on a real GPU. This detector checks
 * the memory-model rules themselves, independently of any device.
 *
 * What it models (WGSL memory model, for one dispatch):
 *  - workgroupBarrier() is an execution barrier for the workgroup and orders
 *    WORKGROUP memory only; storageBarrier() is an execution barrier that
 *    orders STORAGE memory only. Nothing orders different workgroups.
 *  - workgroup arrays: two accesses to one element by different invocations
 *    with no workgroupBarrier between them, one of them a write, are a race
 *    (RAW / WAR / WAW); so are out-of-bounds indices, and reads of an element
 *    no invocation has written yet (WGSL zero-initialises workgroup memory,
 *    but the kernels never rely on it, so such a read is a logic error);
 *  - read_write storage: conflicting accesses (≥ 1 write) by different
 *    invocations are a race when they come from different workgroups
 *    (STORAGE-CROSS-WORKGROUP), from one barrier phase (STORAGE-SAME-PHASE),
 *    or from phases separated only by workgroupBarriers
 *    (STORAGE-WORKGROUPBARRIER-ONLY); a storageBarrier between them orders
 *    them. Writes to read-only bindings are reported too;
 *  - every invocation of a workgroup must reach the same barrier (uniform
 *    control flow), else NON-UNIFORM-BARRIER.
 *
 * How: the kernel is transpiled LINE BY LINE (line numbers kept) into a JS
 * generator per invocation; barriers become `yield`. A scheduler runs the
 * invocations of one workgroup to their next barrier in turn, checks they
 * all reached the same one and advances the phase. Workgroup arrays and
 * storage buffers are Proxies recording (workgroup, invocation, phase) per
 * element. Storage reads of never-written elements return deterministic
 * noise. The check is exhaustive for the concrete run (B, T, kernel shape):
 * in our kernels, indices and barrier control flow do not depend on data
 * (data branches guard private arithmetic only).
 *
 * Supported WGSL (the subset our generators emit; anything else THROWS an
 * UnsupportedWgslError, it is never skipped or approximated silently):
 *  - top level: `const NAME[: u32|f32] = <literal>;`, one-line
 *    `struct NAME { f: u32, … }`, `@group(0) @binding(n) var<storage, read|read_write>
 *    NAME: array<f32>;`, one `var<uniform>`, `var<workgroup> NAME: array<f32, N>;`,
 *    `@compute @workgroup_size(N)` (one dimension), `fn` with a one-line signature;
 *  - entry point `main` with @builtin parameters (workgroup_id, local_invocation_id,
 *    global_invocation_id, num_workgroups: vec3<u32>, used through .x/.y/.z;
 *    local_invocation_index: u32);
 *  - statements: let / var (scalar u32 / f32, or private `array<f32, N>`), for,
 *    while, if / else, return, break, continue, assignments, workgroupBarrier(),
 *    storageBarrier(), calls of the kernel's own functions and of exp, abs,
 *    sqrt, min, max, select, fma;
 *  - arithmetic on u32 / f32 scalars; a division is integer or float by the
 *    type of its divisor (WGSL has no implicit conversions), which must be
 *    known: a u32 / f32 name, a suffixed literal (4u, 1.0), a call of a float
 *    function or a parenthesised expression of them; otherwise it throws.
 * Not modelled: u32 wrap-around (never relied on by the kernels; a negative
 * storage index throws, a negative workgroup index is OUT-OF-BOUNDS), f32
 * rounding (values never steer indices), vectors, pointers, atomics.
 */

/** The kinds of finding; see the module comment. */
export type FindingKind =
  | 'RAW' | 'WAR' | 'WAW' | 'OUT-OF-BOUNDS' | 'UNINITIALISED-READ' | 'NON-UNIFORM-BARRIER' | 'WRITE-TO-READONLY'
  | 'STORAGE-CROSS-WORKGROUP' | 'STORAGE-SAME-PHASE' | 'STORAGE-WORKGROUPBARRIER-ONLY';

export interface Finding {
  kind: FindingKind;
  /** the WGSL line (1-based) of the access that completed the race, null if unknown */
  line: number | null;
  /** that line's text, trimmed */
  source: string;
  /** the workgroup array or storage buffer involved ('' for barrier findings) */
  target: string;
  /** element, invocations (workgroup, local id) and phases (delimiting barriers' lines) */
  detail: string;
}

/** One run of a kernel: the dispatch the detector simulates. */
export interface RaceRun {
  /** batch size: the uniform B, and the workgroup count ⌈B / S⌉ unless `grid` is given */
  B: number;
  /** sequence length: the uniform T */
  T: number;
  /** sequences per workgroup; default the kernel's `const S` (or `cS`) */
  S?: number;
  /** an explicit grid of workgroups (the weight transpose), instead of ⌈B / S⌉ × 1 */
  grid?: { x: number; y?: number };
  /** further uniform fields (B and T come from above); missing fields are 0 */
  uniforms?: Readonly<Record<string, number>>;
  /** also return the per-phase access table (debugging aid) */
  profile?: boolean;
}

export interface RaceStats {
  workgroups: number;
  invocations: number;
  /** barrier phases per workgroup (the last workgroup's) */
  phases: number;
  wgReads: number;
  wgWrites: number;
  /** accesses to read_write storage */
  storageAccesses: number;
}

export interface RaceReport {
  findings: Finding[];
  stats: RaceStats;
  /** with `profile`: per phase (delimiting barrier lines), per workgroup array, who writes / reads */
  phases: string[];
  /** per read_write storage buffer: how many distinct elements were written */
  written: Record<string, number>;
}

/** A kernel outside the supported subset: the detector refuses it rather than guess. */
export class UnsupportedWgslError extends Error {
  constructor(readonly line: number, readonly text: string, why: string) {
    super(`race detector: unsupported WGSL at line ${line} (${why}): ${text.trim()}`);
    this.name = 'UnsupportedWgslError';
  }
}

interface Binding { name: string; rw: boolean }
type ScalarType = 'u32' | 'f32';

export interface TranspiledKernel {
  /** body of `new Function('__env', js)`, returning the generator function `main` */
  js: string;
  /** lines of `js` before the first kernel line */
  preludeLines: number;
  workgroupArrays: Array<{ name: string; size: number }>;
  bindings: Binding[];
  workgroupSize: number;
  /** the uniform struct's fields (all u32) and the uniform variable's name */
  uniformFields: string[];
  uniformName: string;
  /** barrier site → WGSL line */
  barrierLines: Map<number, number>;
  /** `const S` / `cS` of the kernel, if declared */
  seqsPerWorkgroup: number | null;
}

/** Math the transpiled code calls (WGSL builtins over JS numbers). */
const RUNTIME_FNS = ['exp', 'abs', 'sqrt', 'min', 'max', 'select', 'fma'] as const;
const FLOAT_FNS = new Set(['exp', 'sqrt']);
const PRELUDE = [
  'const exp = Math.exp, abs = Math.abs, sqrt = Math.sqrt, min = Math.min, max = Math.max;',
  'const select = (f, t, c) => (c ? t : f);',
  'const fma = (a, b, c) => a * b + c;',
];
const BUILTINS = new Set(['workgroup_id', 'local_invocation_id', 'global_invocation_id', 'num_workgroups', 'local_invocation_index']);
const STATEMENT_WORDS = new Set(['if', 'for', 'while', 'return', 'workgroupBarrier', 'storageBarrier']);
/** Tokens that only appear in WGSL we do not model. */
const FORBIDDEN = /\b(vec[234]\w*|mat\d\w*|ptr|atomic\w*|bitcast|i32|f16|bool|loop|switch|continuing|discard|array|override|alias|enable|requires|texture\w*|sampler\w*|arrayLength|fn|struct|const)\b|[@?#$`'"\\]/;
const FLOAT_LITERAL = /^(\d+\.\d*|\.\d+)(e[+-]?\d+)?$/;

function matchBracket(s: string, open: number): number {
  const o = s[open]!, c = o === '(' ? ')' : ']';
  let depth = 0;
  for (let k = open; k < s.length; k++) {
    if (s[k] === o) depth++;
    else if (s[k] === c && --depth === 0) return k;
  }
  return -1;
}

function matchBracketBack(s: string, close: number): number {
  const c = s[close]!, o = c === ')' ? '(' : '[';
  let depth = 0;
  for (let k = close; k >= 0; k--) {
    if (s[k] === c) depth++;
    else if (s[k] === o && --depth === 0) return k;
  }
  return -1;
}

/** Every array element in the kernels is f32: `name[…]` → a float literal (for typing only). */
function collapseIndexing(expr: string): string {
  for (let k = expr.search(/\w\[/); k >= 0; k = expr.search(/\w\[/)) {
    const open = k + 1, close = matchBracket(expr, open);
    if (close < 0) return expr;
    let start = k;
    while (start > 0 && /\w/.test(expr[start - 1]!)) start--;
    expr = `${expr.slice(0, start)}1.0${expr.slice(close + 1)}`;
  }
  return expr;
}

/** Top-level comma-separated arguments. */
function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0, from = 0;
  for (let k = 0; k < args.length; k++) {
    const c = args[k];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) { out.push(args.slice(from, k)); from = k + 1; }
  }
  out.push(args.slice(from));
  return out;
}

/**
 * Rewrites the integer divisions of one (comment-free, transformed) line as
 * Math.floor(dividend / divisor): the dividend is the multiplicative chain
 * left of `/`, the divisor the operand right of it.
 */
function rewriteDivisions(l: string, typeOf: (operand: string) => ScalarType | null, fail: (why: string) => never): string {
  if (/\//.test(l.replace(/ \/ /g, ''))) fail('a division not written `a / b`');
  for (let from = 0; ;) {
    const at = l.indexOf(' / ', from);
    if (at < 0) return l;
    // divisor: an identifier / literal with member, call and index suffixes, or a parenthesised group
    let e = at + 3;
    if (l[e] === '(') e = matchBracket(l, e) + 1;
    else {
      const m = /^[\w.]+/.exec(l.slice(e));
      if (!m) fail('division by a non-operand');
      e += m[0].length;
      while (l[e] === '(' || l[e] === '[') e = matchBracket(l, e) + 1;
    }
    if (e <= 0) fail('unbalanced brackets');
    const divisor = l.slice(at + 3, e);
    const t = typeOf(divisor);
    if (t === null) fail(`division whose type cannot be told (divisor ${divisor})`);
    if (t === 'f32') { from = e; continue; }
    // dividend: terms joined by * / % going left
    let s = at;
    for (;;) {
      let k = s - 1;
      while (k >= 0 && l[k] === ' ') k--;
      if (l[k] === ')' || l[k] === ']') {
        k = matchBracketBack(l, k) - 1;
        if (k < -1) fail('unbalanced brackets');
      }
      while (k >= 0 && /[\w.]/.test(l[k]!)) k--;
      s = k + 1;
      let j = k;
      while (j >= 0 && l[j] === ' ') j--;
      if (j >= 0 && /[*/%]/.test(l[j]!) && l[j + 1] === ' ' && l[j - 1] === ' ') s = j;
      else break;
    }
    while (l[s] === ' ' || l[s] === '*' || l[s] === '/' || l[s] === '%') s++;
    const before = l.slice(0, s).trimEnd();
    if (/[\w*/%.)\]]$/.test(before) && !/\breturn$/.test(before)) fail('dividend not delimited');
    const replaced = `Math.floor(${l.slice(s, at)} / ${divisor})`;
    l = l.slice(0, s) + replaced + l.slice(e);
    from = s + replaced.length;
  }
}

/** WGSL → JS, one output line per input line (see the module comment for the subset). */
export function transpileWgsl(code: string): TranspiledKernel {
  const lines = code.split('\n');
  const strip = (s: string): string => s.replace(/\/\/.*$/, '').replace(/\s+$/, '');
  const workgroupArrays: TranspiledKernel['workgroupArrays'] = [];
  const bindings: Binding[] = [];
  const barrierLines = new Map<number, number>();
  const consts = new Map<string, { value: number; type: ScalarType }>();
  const fnReturns = new Map<string, ScalarType | null>();
  let workgroupSize = 0;
  let uniformFields: string[] = [];
  let uniformName = '';
  let uniformStruct = '';
  const structs = new Map<string, string[]>();

  // functions, their bodies and which (transitively) contain a barrier
  const fnBodies = new Map<string, string>();
  {
    let cur: string | null = null;
    for (const raw of lines) {
      const l = strip(raw);
      const m = /^fn (\w+)\(/.exec(l);
      if (m) { cur = m[1]!; fnBodies.set(cur, ''); continue; }
      if (cur !== null) fnBodies.set(cur, `${fnBodies.get(cur)!}${l}\n`);
      if (l.startsWith('}')) cur = null;
    }
  }
  const barrierFns = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const [f, body] of fnBodies) {
      if (barrierFns.has(f)) continue;
      if (/\b(workgroupBarrier|storageBarrier)\(/.test(body) || [...barrierFns].some((g) => new RegExp(`\\b${g}\\(`).test(body))) {
        barrierFns.add(f);
        changed = true;
      }
    }
  }
  const userFns = new Set(fnBodies.keys());

  let site = 0;
  let depth = 0; // brace depth: 0 at top level
  let locals = new Map<string, ScalarType | 'conflict'>();
  let vecParams = new Set<string>();
  let scalarParams = new Map<string, ScalarType>();

  const typeOfName = (name: string): ScalarType | null => {
    const loc = locals.get(name);
    if (loc) return loc === 'conflict' ? null : loc;
    const sp = scalarParams.get(name);
    if (sp) return sp;
    return consts.get(name)?.type ?? null;
  };
  /** The type of an expression, when it is plain: all u32 operands → u32, any float operand → f32, else null. */
  const typeOfExpr = (expr: string): ScalarType | null => {
    const body = collapseIndexing(expr.trim());
    if (/^\d+u$/.test(body)) return 'u32';
    if (FLOAT_LITERAL.test(body)) return 'f32';
    const call = /^(\w+)\((.*)\)$/.exec(body);
    if (call && matchBracket(body, call[1]!.length) === body.length - 1) {
      if (FLOAT_FNS.has(call[1]!)) return 'f32';
      if (fnReturns.has(call[1]!)) return fnReturns.get(call[1]!) ?? null;
      if (call[1] === 'select') return typeOfExpr(`(${splitArgs(call[2]!).slice(0, 2).join(', ')})`); // not the bool condition
      if (call[1] === 'min' || call[1] === 'max' || call[1] === 'abs' || call[1] === 'fma') return typeOfExpr(`(${call[2]!})`);
      return null;
    }
    let sawFloat = false, allU32 = true, any = false;
    for (const m of body.matchAll(/(\d+\.\d*(?:e[+-]?\d+)?|\d+u\b|\b\d+\b|[A-Za-z_]\w*(?:\.\w+)?)/g)) {
      const tok = m[1]!;
      if (FLOAT_FNS.has(tok) || RUNTIME_FNS.includes(tok as typeof RUNTIME_FNS[number])) continue;
      any = true;
      if (FLOAT_LITERAL.test(tok)) { sawFloat = true; continue; }
      if (/^\d+u$/.test(tok)) continue;
      if (/^\d+$/.test(tok)) { allU32 = false; continue; } // abstract int: takes the other side's type
      const dot = tok.indexOf('.');
      if (dot > 0) {
        const base = tok.slice(0, dot);
        if (vecParams.has(base) || base === uniformName) continue; // builtins and uniforms are u32
        allU32 = false;
        continue;
      }
      if (fnReturns.has(tok)) { if (fnReturns.get(tok) === 'f32') sawFloat = true; continue; }
      const t = typeOfName(tok);
      if (t === 'f32') sawFloat = true;
      else if (t !== 'u32') allU32 = false;
    }
    if (sawFloat) return 'f32';
    return any && allU32 ? 'u32' : null;
  };

  const out = lines.map((raw, ln) => {
    const lineNo = ln + 1;
    const fail = (why: string): never => { throw new UnsupportedWgslError(lineNo, raw, why); };
    let l = strip(raw);
    if (!l.trim()) return '';
    let m: RegExpExecArray | null;

    if (depth === 0) {
      // ---- top level ----
      if ((m = /^struct (\w+) \{(.*)\}$/.exec(l))) {
        const fields = m[2]!.split(',').map((f) => f.trim()).filter(Boolean);
        for (const f of fields) if (!/^\w+: u32$/.test(f)) fail('struct fields must be u32');
        structs.set(m[1]!, fields.map((f) => f.split(':')[0]!.trim()));
        return '';
      }
      if ((m = /^@group\(0\) @binding\((\d+)\) var<storage, (read|read_write)> (\w+): array<f32>;$/.exec(l))) {
        bindings.push({ name: m[3]!, rw: m[2] === 'read_write' });
        return '';
      }
      if ((m = /^@group\(0\) @binding\((\d+)\) var<uniform> (\w+): (\w+);$/.exec(l))) {
        if (uniformName) fail('a second uniform');
        uniformName = m[2]!;
        uniformStruct = m[3]!;
        return '';
      }
      if ((m = /^var<workgroup> (\w+): array<f32, (\w+)>;$/.exec(l))) {
        const size = /^\d+u?$/.test(m[2]!) ? Number(m[2]!.replace(/u$/, '')) : consts.get(m[2]!)?.value;
        if (size === undefined || !Number.isInteger(size)) fail('workgroup array size');
        workgroupArrays.push({ name: m[1]!, size: size! });
        return '';
      }
      if ((m = /^@compute @workgroup_size\((\w+)\)$/.exec(l))) {
        const n = /^\d+u?$/.test(m[1]!) ? Number(m[1]!.replace(/u$/, '')) : consts.get(m[1]!)?.value;
        if (n === undefined || !(n >= 1)) fail('workgroup size');
        workgroupSize = n!;
        return '';
      }
      if ((m = /^const (\w+)(?:: (u32|f32))? = (-?[\d.]+(?:e[+-]?\d+)?u?);$/.exec(l))) {
        const lit = m[3]!;
        const type: ScalarType = m[2] === 'u32' || lit.endsWith('u') ? 'u32' : m[2] === 'f32' || FLOAT_LITERAL.test(lit.replace(/^-/, '')) ? 'f32' : fail('const of unknown type');
        const value = Number(lit.replace(/u$/, ''));
        if (!Number.isFinite(value)) fail('const value');
        consts.set(m[1]!, { value, type });
        return `const ${m[1]} = ${value};`;
      }
      if ((m = /^fn main\((.*)\) \{$/.exec(l))) {
        depth = 1;
        locals = new Map();
        vecParams = new Set();
        scalarParams = new Map();
        const params = m[1]!.split(',').map((p) => {
          const pm = /^\s*@builtin\((\w+)\) (\w+): (vec3<u32>|u32)\s*$/.exec(p);
          if (!pm || !BUILTINS.has(pm[1]!)) fail('entry-point parameter');
          if ((pm![3] === 'u32') !== (pm![1] === 'local_invocation_index')) fail('builtin type');
          if (pm![3] === 'u32') scalarParams.set(pm![2]!, 'u32'); else vecParams.add(pm![2]!);
          return `${pm![2]} = __bi.${pm![1]}`;
        });
        return `function* main(__bi) { const ${params.join(', ')};`;
      }
      if ((m = /^fn (\w+)\((.*)\)(?: -> (u32|f32))? \{$/.exec(l))) {
        depth = 1;
        locals = new Map();
        vecParams = new Set();
        scalarParams = new Map();
        fnReturns.set(m[1]!, (m[3] as ScalarType | undefined) ?? null);
        const params = m[2]!.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
          const pm = /^(\w+): (u32|f32)$/.exec(p);
          if (!pm) fail('function parameter (scalar u32 / f32 only)');
          scalarParams.set(pm![1]!, pm![2] as ScalarType);
          return pm![1]!;
        });
        return `function${barrierFns.has(m[1]!) ? '*' : ''} ${m[1]}(${params.join(', ')}) {`;
      }
      return fail('top-level declaration');
    }

    // ---- function body ----
    depth += (l.match(/\{/g) ?? []).length - (l.match(/\}/g) ?? []).length;
    if (depth < 0) fail('unbalanced braces');
    // private arrays (zero-initialised in WGSL)
    l = l.replace(/\bvar (\w+): array<f32, (\w+)>;/g, (_s, name: string, n: string) => {
      if (!/^\d+u?$/.test(n) && !consts.has(n)) fail('private array size');
      return `let ${name} = new Float64Array(${n.replace(/u$/, '')});`;
    });
    // declarations: record the type of scalars, drop annotations
    for (const dm of l.matchAll(/\b(?:var|let) (\w+)(?:: (u32|f32))?(?: = ([^;]*))?;/g)) {
      const t = (dm[2] as ScalarType | undefined) ?? (dm[3] !== undefined ? typeOfExpr(dm[3]) : null);
      if (dm[3] === undefined && !dm[2]) continue;
      const prev = locals.get(dm[1]!);
      if (t === null || (prev !== undefined && prev !== t)) locals.set(dm[1]!, 'conflict');
      else locals.set(dm[1]!, t);
    }
    l = l.replace(/\bvar (\w+): (u32|f32);/g, 'let $1 = 0;');
    l = l.replace(/\b(var|let) (\w+)(?:: (?:u32|f32))? = /g, 'let $2 = ');
    if (FORBIDDEN.test(l.replace(/new Float64Array\(/g, ''))) fail('type, keyword or character outside the supported subset');
    if (/\bvar\b/.test(l)) fail('var form');
    if (/:/.test(l)) fail('annotation or label');
    // unary & / * (pointers)
    for (const pm of l.matchAll(/[&*]/g)) {
      const before = l.slice(0, pm.index).trimEnd();
      const prevCh = before[before.length - 1];
      if (l[pm.index! + 1] === '&' || l[pm.index! - 1] === '&' || l[pm.index! + 1] === '=') continue;
      if (prevCh === undefined || !/[\w)\]]/.test(prevCh) || /\breturn$/.test(before)) fail('pointer operation');
    }
    // member access: builtins' .x/.y/.z and uniform fields only
    for (const mm of l.matchAll(/\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)/g)) {
      if (vecParams.has(mm[1]!) && /^[xyz]$/.test(mm[2]!)) continue;
      if (mm[1] === uniformName && (structs.get(uniformStruct) ?? []).includes(mm[2]!)) continue;
      fail(`member access ${mm[0]}`);
    }
    // calls
    for (const cm of l.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
      const f = cm[1]!;
      if (STATEMENT_WORDS.has(f) || userFns.has(f) || (RUNTIME_FNS as readonly string[]).includes(f) || f === 'Float64Array') continue;
      fail(`call of ${f}`);
    }
    // integer / float division, then literal suffixes
    l = rewriteDivisions(l, typeOfExpr, fail);
    l = l.replace(/\b(\d+)u\b/g, '$1');
    // barriers and barrier-containing calls
    l = l.replace(/\bworkgroupBarrier\(\)/g, () => { site++; barrierLines.set(site, lineNo); return `(yield ['wg', ${site}])`; });
    l = l.replace(/\bstorageBarrier\(\)/g, () => { site++; barrierLines.set(site, lineNo); return `(yield ['st', ${site}])`; });
    if (/Barrier\b/.test(l.replace(/\(yield \['(wg|st)', \d+\]\)/g, ''))) fail('barrier form');
    for (const f of barrierFns) l = l.replace(new RegExp(`(?<![\\w*.])${f}\\(`, 'g'), `yield* ${f}(`);
    return l;
  });
  if (depth !== 0) throw new UnsupportedWgslError(lines.length, '', 'unterminated function');
  if (!workgroupSize) throw new UnsupportedWgslError(1, '', 'no @compute @workgroup_size');
  if (!fnBodies.has('main')) throw new UnsupportedWgslError(1, '', 'no fn main');
  if (uniformName) {
    const f = structs.get(uniformStruct);
    if (!f) throw new UnsupportedWgslError(1, '', `uniform struct ${uniformStruct} not declared`);
    uniformFields = f;
  }
  const names = [...workgroupArrays.map((a) => a.name), ...bindings.map((b) => b.name), ...(uniformName ? [uniformName] : [])];
  const prelude = [...PRELUDE, `const { ${names.join(', ')} } = __env;`];
  const js = `${prelude.join('\n')}\n${out.join('\n')}\nreturn main;`;
  const sm = /^const c?S(?:: u32)? = (\d+)u;$/m.exec(code);
  return {
    js, preludeLines: prelude.length, workgroupArrays, bindings, workgroupSize, uniformFields, uniformName, barrierLines,
    seqsPerWorkgroup: sm ? Number(sm[1]) : null,
  };
}

/** Lines V8 puts before the body of `new Function(...)` (2 today); measured, not assumed. */
const FUNCTION_HEADER_LINES = ((): number | null => {
  const probe = new Function('return new Error().stack;') as () => string;
  const m = /<anonymous>:(\d+):\d+/.exec(probe());
  return m ? Number(m[1]) - 1 : null;
})();

/** Deterministic pseudo-random value in (−0.5, 0.5) for a never-written storage element. */
function noise(buf: number, i: number): number {
  let x = (Math.imul(i + 1, 2654435761) ^ Math.imul(buf + 7, 40503)) >>> 0;
  x ^= x >>> 15; x = Math.imul(x, 2246822519) >>> 0; x ^= x >>> 13;
  return (x / 4294967296) - 0.5;
}

type BarrierKind = 'wg' | 'st';
type Invocation = Generator<[BarrierKind, number], void, void>;
interface BuiltinValues {
  local_invocation_id: { x: number; y: number; z: number };
  workgroup_id: { x: number; y: number; z: number };
  global_invocation_id: { x: number; y: number; z: number };
  num_workgroups: { x: number; y: number; z: number };
  local_invocation_index: number;
}
/** One storage access: invocation, barrier phase, storage epoch (storageBarriers passed). */
interface StorageAccess { wg: number; lid: number; phase: number; epoch: number }

const MAX_FINDINGS = 200;

/** Run one kernel over all its workgroups and report every race found. */
export function analyseRaces(code: string, run: RaceRun): RaceReport {
  const p = transpileWgsl(code);
  const factory = new Function('__env', p.js) as (env: Record<string, unknown>) => (bi: BuiltinValues) => Invocation;
  const lines = code.split('\n');
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const stats: RaceStats = { workgroups: 0, invocations: 0, phases: 0, wgReads: 0, wgWrites: 0, storageAccesses: 0 };
  // the current invocation: workgroup, local id, control phase (any barrier),
  // workgroup-memory phase (workgroupBarriers), storage epoch (storageBarriers)
  let cur = { wg: 0, lid: 0, phase: 0, wgPhase: 0, epoch: 0 };
  const phaseSites: Array<[number, number]> = []; // phase → [opening site, closing site] (0: entry / exit, −1: open)

  const wgslLine = (): number | null => {
    if (FUNCTION_HEADER_LINES === null) return null;
    const m = /<anonymous>:(\d+):\d+/.exec(new Error().stack ?? '');
    return m ? Number(m[1]) - FUNCTION_HEADER_LINES - p.preludeLines : null;
  };
  const barrierAt = (s: number): string => `barrier@${p.barrierLines.get(s) ?? '?'}`;
  const phaseDesc = (ph: number): string => {
    const s = phaseSites[ph];
    if (!s) return `phase ${ph}`;
    return `phase ${ph} (${s[0] ? barrierAt(s[0]) : 'entry'} → ${s[1] > 0 ? barrierAt(s[1]) : s[1] === 0 ? 'exit' : '…'})`;
  };
  const report = (kind: FindingKind, target: string, dedupe: string, detail: () => string): void => {
    const line = wgslLine();
    const key = `${kind}:${target}:${dedupe === 'line' ? line : dedupe}`;
    if (seen.has(key) || findings.length >= MAX_FINDINGS) return;
    seen.add(key);
    findings.push({ kind, line, source: line ? (lines[line - 1] ?? '').trim() : '', target, detail: detail() });
  };
  const inv = (wg: number, lid: number): string => `(wg ${wg}, lid ${lid})`;

  // ---- storage: one set of buffers for the whole dispatch ----
  const storage: Record<string, unknown> = {};
  const stored = new Map<string, Map<number, number>>();
  p.bindings.forEach((b, bi) => {
    const data = new Map<number, number>();
    if (b.rw) stored.set(b.name, data);
    const reads = new Map<number, StorageAccess[]>();
    const writes = new Map<number, StorageAccess[]>();
    const conflicts = (list: StorageAccess[] | undefined, i: number, write: boolean, earlierWrite: boolean): void => {
      if (!list) return;
      for (const e of list) {
        if (e.wg === cur.wg && e.lid === cur.lid) continue;
        const what = (): string => `${b.name}[${i}]: ${write ? 'write' : 'read'} by ${inv(cur.wg, cur.lid)} after ${earlierWrite ? 'write' : 'read'} by ${inv(e.wg, e.lid)}`;
        if (e.wg !== cur.wg) report('STORAGE-CROSS-WORKGROUP', b.name, 'buffer', what);
        else if (e.epoch === cur.epoch && e.phase === cur.phase) report('STORAGE-SAME-PHASE', b.name, 'line', () => `${what()} in ${phaseDesc(e.phase)}`);
        else if (e.epoch === cur.epoch) {
          report('STORAGE-WORKGROUPBARRIER-ONLY', b.name, 'line',
            () => `${what()}; earlier in ${phaseDesc(e.phase)}, now in ${phaseDesc(cur.phase)}: no storageBarrier between`);
        }
      }
    };
    // an invocation's latest access of a kind dominates its earlier ones
    // (phases and epochs only grow), so one entry per invocation and kind
    const record = (map: Map<number, StorageAccess[]>, i: number): void => {
      let list = map.get(i);
      if (!list) { list = []; map.set(i, list); }
      for (const e of list) {
        if (e.wg === cur.wg && e.lid === cur.lid) { e.phase = cur.phase; e.epoch = cur.epoch; return; }
      }
      list.push({ wg: cur.wg, lid: cur.lid, phase: cur.phase, epoch: cur.epoch });
    };
    const index = (prop: string | symbol): number => {
      const i = typeof prop === 'string' ? Number(prop) : NaN;
      if (!Number.isInteger(i) || i < 0) throw new Error(`race detector: storage ${b.name}[${String(prop)}] at WGSL line ${wgslLine() ?? '?'}: not a valid index`);
      return i;
    };
    storage[b.name] = new Proxy({}, {
      get(_t, prop) {
        const i = index(prop);
        if (b.rw) {
          stats.storageAccesses++;
          conflicts(writes.get(i), i, false, true);
          record(reads, i);
        }
        return data.has(i) ? data.get(i) : noise(bi, i);
      },
      set(_t, prop, v: number) {
        const i = index(prop);
        if (!b.rw) { report('WRITE-TO-READONLY', b.name, 'buffer', () => `${b.name}[${i}] by ${inv(cur.wg, cur.lid)}`); return true; }
        stats.storageAccesses++;
        conflicts(writes.get(i), i, true, true);
        conflicts(reads.get(i), i, true, false);
        record(writes, i);
        data.set(i, v);
        return true;
      },
    });
  });
  const uniforms: Record<string, number> = {};
  for (const f of p.uniformFields) uniforms[f] = 0;
  for (const [k, v] of Object.entries(run.uniforms ?? {})) {
    if (!(k in uniforms)) throw new Error(`race detector: the kernel has no uniform field ${k}`);
    uniforms[k] = v;
  }
  if ('B' in uniforms) uniforms['B'] = run.B;
  if ('T' in uniforms) uniforms['T'] = run.T;

  // ---- the dispatch ----
  let gx: number, gy: number;
  if (run.grid) {
    gx = run.grid.x;
    gy = run.grid.y ?? 1;
  } else {
    const S = run.S ?? p.seqsPerWorkgroup;
    if (!S) throw new Error('race detector: sequences per workgroup unknown (no const S in the kernel, no run.S, no run.grid)');
    gx = Math.ceil(run.B / S);
    gy = 1;
  }
  // per phase, per workgroup array: writers and readers (profile)
  const prof = new Map<number, Map<string, Set<string>>>();
  const profNote = (arr: string, what: string): void => {
    if (!run.profile) return;
    let m = prof.get(cur.phase);
    if (!m) { m = new Map(); prof.set(cur.phase, m); }
    let s = m.get(arr);
    if (!s) { s = new Set(); m.set(arr, s); }
    s.add(what);
  };

  const W = p.workgroupSize;
  let phase = 0, wgPhase = 0, epoch = 0;
  for (let wg = 0; wg < gx * gy; wg++) {
    // ---- workgroup memory: fresh per workgroup ----
    const env: Record<string, unknown> = { ...storage };
    if (p.uniformName) env[p.uniformName] = uniforms;
    for (const a of p.workgroupArrays) {
      const val = new Float64Array(a.size);
      // per element: phase and invocation of the last write and of the reads in the
      // current phase (−2: several invocations), whether it was ever written
      const wPh = new Int32Array(a.size).fill(-1), wLid = new Int32Array(a.size).fill(-1);
      const rPh = new Int32Array(a.size).fill(-1), rLid = new Int32Array(a.size).fill(-1);
      const written = new Uint8Array(a.size);
      const index = (prop: string | symbol): number => {
        const i = typeof prop === 'string' ? Number(prop) : NaN;
        if (Number.isInteger(i) && i >= 0 && i < a.size) return i;
        report('OUT-OF-BOUNDS', a.name, 'line', () => `${a.name}[${String(prop)}] (size ${a.size}) by ${inv(cur.wg, cur.lid)} in ${phaseDesc(cur.phase)}`);
        return -1;
      };
      env[a.name] = new Proxy(val, {
        get(_t, prop) {
          const i = index(prop);
          if (i < 0) return NaN;
          stats.wgReads++;
          const L = cur.lid, ph = cur.wgPhase;
          profNote(a.name, wLid[i] === L ? 'R-own' : 'R-others');
          if (!written[i]) report('UNINITIALISED-READ', a.name, 'line', () => `${a.name}[${i}] by ${inv(cur.wg, L)} in ${phaseDesc(cur.phase)}`);
          if (wPh[i] === ph && wLid[i] !== L) {
            report('RAW', a.name, 'line', () => `${a.name}[${i}] read by ${inv(cur.wg, L)}, written by lid ${wLid[i]} in the same ${phaseDesc(cur.phase)}`);
          }
          if (rPh[i] !== ph) { rPh[i] = ph; rLid[i] = L; } else if (rLid[i] !== L) rLid[i] = -2;
          return val[i];
        },
        set(_t, prop, v: number) {
          const i = index(prop);
          if (i < 0) return true;
          stats.wgWrites++;
          const L = cur.lid, ph = cur.wgPhase;
          profNote(a.name, 'W');
          if (rPh[i] === ph && rLid[i] !== L) {
            report('WAR', a.name, 'line', () => `${a.name}[${i}] written by ${inv(cur.wg, L)}, read by ${rLid[i] === -2 ? 'several invocations' : `lid ${rLid[i]}`} in the same ${phaseDesc(cur.phase)}`);
          }
          if (wPh[i] === ph && wLid[i] !== L) report('WAW', a.name, 'line', () => `${a.name}[${i}] written by lids ${wLid[i]} and ${L} (wg ${cur.wg}) in the same ${phaseDesc(cur.phase)}`);
          wPh[i] = ph; wLid[i] = L; written[i] = 1;
          val[i] = v;
          return true;
        },
      });
    }
    const main = factory(env);
    const wx = wg % gx, wy = Math.floor(wg / gx);
    const threads = Array.from({ length: W }, (_, lid) => main({
      local_invocation_id: { x: lid, y: 0, z: 0 },
      workgroup_id: { x: wx, y: wy, z: 0 },
      global_invocation_id: { x: wx * W + lid, y: wy, z: 0 },
      num_workgroups: { x: gx, y: gy, z: 1 },
      local_invocation_index: lid,
    }));
    stats.workgroups++;
    stats.invocations += W;
    let startSite = 0;
    const firstPhase = phase;
    for (;;) {
      phaseSites[phase] = [startSite, -1];
      const res = threads.map((th, lid) => { cur = { wg, lid, phase, wgPhase, epoch }; return th.next(); });
      const done = res.filter((r) => r.done).length;
      if (done === res.length) { phaseSites[phase]![1] = 0; break; }
      const sites = new Set(res.map((r) => (r.done ? 'exit' : barrierAt((r.value as [BarrierKind, number])[1]))));
      if (done > 0 || sites.size > 1) {
        report('NON-UNIFORM-BARRIER', '', `${wg}:${phase}`, () => `workgroup ${wg}, ${phaseDesc(phase)}: invocations reach ${[...sites].join(', ')}`);
        break;
      }
      const [kind, s] = res[0]!.value as [BarrierKind, number];
      phaseSites[phase]![1] = s;
      startSite = s;
      // every barrier starts a control phase; workgroupBarrier orders workgroup
      // memory only, storageBarrier storage only
      phase++;
      if (kind === 'wg') wgPhase++; else epoch++;
    }
    stats.phases = phase - firstPhase + 1;
    // the next workgroup shares no phase or epoch with this one
    phase++; wgPhase++; epoch++;
  }

  const phases: string[] = [];
  if (run.profile) {
    const byKey = new Map<string, Map<string, Set<string>>>();
    for (const [ph, m] of [...prof.entries()].sort((a, b) => a[0] - b[0])) {
      const sp = phaseSites[ph];
      const key = sp ? `${sp[0] ? `L${p.barrierLines.get(sp[0])}` : 'entry'} → ${sp[1] > 0 ? `L${p.barrierLines.get(sp[1])}` : 'exit'}` : '?';
      let km = byKey.get(key);
      if (!km) { km = new Map(); byKey.set(key, km); }
      for (const [arr, kinds] of m) km.set(arr, new Set([...(km.get(arr) ?? []), ...kinds]));
    }
    for (const [k, m] of byKey) phases.push(`${k.padEnd(16)} ${[...m].map(([a, ks]) => `${a}:${[...ks].sort().join('+')}`).join('  ')}`);
  }
  const written: Record<string, number> = {};
  for (const [name, data] of stored) written[name] = data.size;
  return { findings, stats, phases, written };
}

/** The findings of one run (empty: race-free for that run). */
export function detectRaces(code: string, run: RaceRun): Finding[] {
  return analyseRaces(code, run).findings;
}

export function formatFinding(f: Finding): string {
  return `${f.kind} at line ${f.line ?? '?'} \`${f.source}\`: ${f.detail}`;
}
