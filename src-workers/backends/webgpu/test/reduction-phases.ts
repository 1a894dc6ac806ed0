/**
 * Static workgroup-memory check of the weight-gradient reduction kernels
 * (reductions-wgsl.ts), which use vec4 and pointers and so are outside the
 * dynamic detector's subset (race-detector.ts). Used by races.test.ts.
 *
 * The body of `main` is cut at its workgroupBarriers into phases. The kernels
 * have at most one loop containing barriers, the row loop
 * `for (var r = …)` directly in main; around it the phases are: the ones
 * before it, the one entering it (last pre-loop segment + head of the body),
 * the ones inside, the one wrapping round the back edge (tail + head), the
 * one leaving it (tail + first post-loop segment), the ones after it (and,
 * with no barrier in the body, pre + body + post). Within a phase:
 *  - no workgroup array may be both written and read (the kernels never read
 *    a slot they write before a barrier, so this is exact for them and
 *    conservative in general);
 *  - the writes to an array, evaluated for every invocation of the
 *    workgroup (index `lid + Ku`, `Ku + lid` or `l.y * Wu + l.x`, optionally
 *    guarded by `if (lid + Ku < Nu) { … }` on the line), must hit distinct
 *    slots within the array and fill it (the phase after reads all of it).
 * A barrier anywhere else (in an `if`, in another loop, in a helper
 * function), an access through a pointer, or a compound assignment to a
 * workgroup array throws: the phase model would not hold.
 */
interface Access { arr: string; write: boolean; line: number; text: string }

/** The accesses of one line to the workgroup arrays `arrays`. */
function accesses(line: string, ln: number, arrays: readonly string[]): Access[] {
  const out: Access[] = [];
  for (const a of arrays) {
    if (new RegExp(`&\\s*${a}\\b`).test(line)) throw new Error(`reduction phases: pointer to ${a} at line ${ln}: ${line.trim()}`);
    for (const m of line.matchAll(new RegExp(`\\b${a}\\[`, 'g'))) {
      let depth = 0, k = m.index! + a.length;
      for (; k < line.length; k++) { if (line[k] === '[') depth++; else if (line[k] === ']' && --depth === 0) break; }
      const after = line.slice(k + 1);
      if (/^\s*([-+*/%&|^]|<<|>>)=/.test(after)) throw new Error(`reduction phases: compound assignment to ${a} at line ${ln}: ${line.trim()}`);
      // a write: `a[…] = ` at the start of a statement (possibly after `if (…) {` or `{`)
      const write = /^\s*=[^=]/.test(after) && /(^\s*$|[{;]\s*$)/.test(line.slice(0, m.index));
      out.push({ arr: a, write, line: ln, text: line.trim() });
    }
  }
  return out;
}

/**
 * The slots the writes `w` (one phase, one array) hit over all invocations:
 * each at most once, all of the array's `n` slots.
 */
function slotProblems(arr: string, w: readonly Access[], n: number, threads: number, wx: number): string[] {
  const hits = new Uint16Array(n);
  const problems: string[] = [];
  for (const x of w) {
    const m = new RegExp(`^(?:if \\(lid \\+ (\\d+)u < (\\d+)u\\) \\{ )?${arr}\\[([^\\]]+)\\] = `).exec(x.text);
    const idx = m?.[3] ?? '';
    let f: ((lid: number) => number) | null = null;
    let k: RegExpExecArray | null;
    if ((k = /^lid(?: \+ (\d+)u)?$/.exec(idx)) || (k = /^(\d+)u \+ lid$/.exec(idx))) { const c = Number(k[1] ?? 0); f = (lid) => lid + c; }
    else if ((k = /^l\.y \* (\d+)u \+ l\.x$/.exec(idx)) && Number(k[1]) === wx) f = (lid) => lid; // y·WX + x is the local index
    if (!m || !f) { problems.push(`${arr}: write slot not understood at line ${x.line}: ${x.text}`); continue; }
    for (let lid = 0; lid < threads; lid++) {
      if (m[1] !== undefined && !(lid + Number(m[1]) < Number(m[2]))) continue;
      const slot = f(lid);
      if (slot >= n) problems.push(`${arr}: slot ${slot} ≥ ${n} written at line ${x.line}`);
      else if (hits[slot]++) problems.push(`${arr}: slot ${slot} written twice (line ${x.line})`);
    }
  }
  const missing = hits.reduce((c, v) => c + (v ? 0 : 1), 0);
  if (missing) problems.push(`${arr}: ${missing} of ${n} slots not written in a phase that writes it`);
  return problems.slice(0, 8);
}

const braces = (l: string): number => (l.match(/\{/g) ?? []).length - (l.match(/\}/g) ?? []).length;

/** The problems of one reduction kernel (empty: clean); throws outside the supported structure. */
export function reductionPhaseProblems(code: string): string[] {
  const lines = code.split('\n').map((l) => l.replace(/\/\/.*$/, ''));
  const decl = [...code.matchAll(/^var<workgroup> (\w+): array<(?:f32|vec4<f32>), (\d+)>;$/gm)];
  const arrays = decl.map((m) => m[1]!);
  if (arrays.length !== (code.match(/var<workgroup>/g) ?? []).length) throw new Error('reduction phases: workgroup declaration not understood');
  const size = new Map(decl.map((m) => [m[1]!, Number(m[2])]));
  const ws = /@workgroup_size\((\d+)(?:, (\d+))?\)/.exec(code);
  if (!ws) throw new Error('reduction phases: no @workgroup_size');
  const wx = Number(ws[1]), wy = Number(ws[2] ?? 1);
  const start = lines.findIndex((l) => /^fn main\(/.test(l));
  if (start < 0) throw new Error('reduction phases: no fn main');
  // main's extent, the row loop, and where the barriers are (brace depth)
  let end = -1, loop = -1, loopEnd = -1;
  for (let i = start, depth = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const before = depth;
    depth += braces(l);
    if (i > start && before === 1 && /^\s*for \(var r = /.test(l)) {
      if (loop >= 0) throw new Error('reduction phases: two row loops');
      loop = i;
    }
    if (loop >= 0 && loopEnd < 0 && i > loop && depth === 1) loopEnd = i;
    if (/\b(workgroupBarrier|storageBarrier)\(/.test(l)) {
      if (/storageBarrier/.test(l)) throw new Error(`reduction phases: storageBarrier at line ${i + 1} (not modelled)`);
      const inLoopBody = loop >= 0 && loopEnd < 0 && i > loop;
      if (!(before === 1 || (inLoopBody && before === 2)) || !/^\s*workgroupBarrier\(\);$/.test(l)) {
        throw new Error(`reduction phases: barrier at line ${i + 1} outside main's body and the row loop's body`);
      }
    }
    if (depth === 0 && i > start) { end = i; break; }
  }
  if (end < 0) throw new Error('reduction phases: main not closed');
  for (let i = 0; i < lines.length; i++) {
    if ((i < start || i > end) && /Barrier\(/.test(lines[i]!)) throw new Error(`reduction phases: barrier outside main at line ${i + 1}`);
  }
  const cut = (a: number, b: number): number[][] => {
    const segs: number[][] = [[]];
    for (let i = a; i < b; i++) {
      if (/workgroupBarrier\(\)/.test(lines[i]!)) segs.push([]);
      else segs[segs.length - 1]!.push(i);
    }
    return segs;
  };
  let phases: number[][];
  if (loop >= 0) {
    const pre = cut(start + 1, loop);
    const body = cut(loop + 1, loopEnd);
    const post = cut(loopEnd + 1, end);
    const head = body[0]!, tail = body[body.length - 1]!;
    const preLast = pre[pre.length - 1]!, postFirst = post[0]!;
    phases = body.length === 1
      ? [...pre.slice(0, -1), [...preLast, ...head, ...postFirst], [...tail, ...head], ...post.slice(1)]
      : [...pre.slice(0, -1), [...preLast, ...head], ...body.slice(1, -1), [...tail, ...head], [...tail, ...postFirst], ...post.slice(1)];
  } else {
    phases = cut(start + 1, end);
  }
  const problems: string[] = [];
  let nAcc = 0;
  for (const ph of phases) {
    const acc = ph.flatMap((i) => accesses(lines[i]!, i + 1, arrays));
    nAcc += acc.length;
    for (const a of arrays) {
      const w = acc.filter((x) => x.arr === a && x.write), r = acc.filter((x) => x.arr === a && !x.write);
      if (w.length && r.length) problems.push(`${a}: written (line ${w[0]!.line}) and read (line ${r[0]!.line}) in one phase`);
      if (w.length) problems.push(...slotProblems(a, w, size.get(a)!, wx * wy, wx));
    }
  }
  if (arrays.length && nAcc === 0) throw new Error('reduction phases: workgroup arrays declared but no access found');
  return problems;
}
