/**
 * The WebGPU runtime every GPU model is written against (DESIGN.md §3):
 * one device per thread, float32 storage buffers, host ↔ device copies,
 * compute kernels with a fixed binding convention, and error reporting.
 *
 *   const ctx = await acquireGpu();                  // cached per thread
 *   const buf = createStorage(ctx, n, 'hs');         // zero-filled f32 storage buffer
 *   writeFloats(ctx, buf, hostArray);                // host → device (f64 input is rounded)
 *   const k = new Kernel(ctx, 'lstm-forward', wgsl, 5);
 *   const enc = ctx.device.createCommandEncoder();
 *   k.encode(enc, [groupsX, groupsY], [buf0, …, buf4], [B, T, …]);
 *   submit(ctx, enc);
 *   await readRegions(ctx, [{ buf, n, into: yhat }]); // device → host; throws any GPU error
 *
 * Binding convention of `Kernel`: bindings 0 … nStorage−1 of group 0 are
 * `var<storage, read_write> …: array<f32>` (or array<u32>) in that order,
 * except the indices listed in `readOnly`, declared `var<storage, read>`
 * (WebGPU forbids binding one buffer to two WRITABLE bindings of a dispatch,
 * so a buffer bound twice must be read-only in all but one); when
 * the encode passes uniforms, binding nStorage is
 * `var<uniform> u: <struct of 4-byte fields>` (at most 64 u32/f32 words,
 * given as numbers: integers are written as u32 unless listed in `f32Words`).
 *
 * Errors: WGSL compilation errors throw at Kernel construction is not
 * possible synchronously, so they are collected (with the compiler's
 * messages and line numbers) and thrown by the next readRegions() / flush();
 * device loss and uncaptured validation errors likewise. The compiler's
 * messages are asked for (getCompilationInfo) only inside flush(), which
 * awaits them: dawn.node aborts the whole process when a thread or the
 * process ends while such a promise is unresolved (seen with SwiftShader
 * under load when the pool terminated a worker that had made kernels since
 * its last flush), so none may be left pending between calls.
 */
/// <reference types="@webgpu/types" />
import type { GpuAdapterDescription, GpuContext, GpuLimits } from './types';
import { isSoftwareAdapter } from '../select';
import { useHeadlessNvidiaDriver } from './nvidia-headless';
import { GpuProfiler, type GpuProfile } from './profiler';
import { COPY_DST, COPY_SRC, MAP_MODE_READ, MAP_READ, SHADER_STAGE_COMPUTE, STORAGE, UNIFORM } from './usage-flags';

/** Bytes per uniform slot (WebGPU's minUniformBufferOffsetAlignment is at most 256). */
const UNIFORM_SLOT = 256;
const UNIFORM_SLOTS_PER_ARENA = 256;

interface ContextState {
  /**
   * The GPU instance and adapter, referenced for the device's lifetime:
   * dawn.node destroys the instance when its JS object is collected, and
   * a device whose instance is gone crashes the process (seen with
   * SwiftShader: aborts and segfaults inside queue work).
   */
  keepAlive: unknown[];
  errors: string[];
  /** kernels made since the last flush, whose compiler messages flush() collects */
  unchecked: { label: string; code: string; module: GPUShaderModule }[];
  arenas: GPUBuffer[];
  slot: number;
  staging: GPUBuffer | null;
  lost: string | null;
  /** the device has 'timestamp-query' (profiler.ts) */
  timestamps: boolean;
  /** the open profile (startGpuProfile … takeGpuProfile), else null */
  profiler: GpuProfiler | null;
}

const states = new WeakMap<GPUDevice, ContextState>();

function state(ctx: GpuContext): ContextState {
  const s = states.get(ctx.device);
  if (!s) throw new Error('webgpu runtime: this device was not opened by acquireGpu/openGpu');
  return s;
}

let cached: Promise<GpuContext> | null = null;

/**
 * The thread's GPU context (one device per worker thread, DESIGN.md §3).
 * Rejects with a plain reason when no adapter or device is available. A
 * failed open is not cached, and neither is a device once it is lost (a
 * driver reset, or destroyed): the next call opens a fresh one, so one bad
 * moment does not fail every later run of this worker.
 */
export function acquireGpu(): Promise<GpuContext> {
  if (!cached) {
    const p = openGpu();
    cached = p;
    p.then(
      (ctx) => { void ctx.device.lost.then(() => { if (cached === p) cached = null; }); },
      () => { if (cached === p) cached = null; },
    );
  }
  return cached;
}

/** Open a fresh adapter + device (tests; normally use acquireGpu). */
export async function openGpu(): Promise<GpuContext> {
  let mod: { create(flags: string[]): GPU };
  try {
    mod = (await import('webgpu')) as unknown as { create(flags: string[]): GPU };
  } catch (err) {
    throw new Error(`WebGPU is unavailable: the webgpu module could not be loaded (${(err as Error).message})`);
  }
  useHeadlessNvidiaDriver(); // effective on the main thread; the pool and the probe apply it there for workers
  // timestamps unrounded (Dawn rounds them to 65.5 µs by default, a browser's guard against timing attacks): the
  // benchmarks' per-kernel profiles (profiler.ts) time passes of a few µs
  const gpu = mod.create(['disable-dawn-features=timestamp_quantization']);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('WebGPU is unavailable: no adapter (no Vulkan driver, or none that Dawn accepts)');
  const L = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
    maxBufferSize: L.maxBufferSize,
    maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
    maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
  };
  // timestamps for the benchmarks' per-kernel profiles (profiler.ts), where the adapter has them
  const timestamps = adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: timestamps ? ['timestamp-query'] : [] });
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const named = { description: info.description ?? '', vendor: info.vendor ?? '', architecture: info.architecture ?? '' };
  const desc: GpuAdapterDescription = { ...named, fallback: isSoftwareAdapter({ fallback: info.isFallbackAdapter === true, ...named }) };
  const limits: GpuLimits = {
    maxWorkgroupStorageBytes: device.limits.maxComputeWorkgroupStorageSize,
    maxInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    maxWorkgroupSizeX: device.limits.maxComputeWorkgroupSizeX,
    maxStorageBindingBytes: device.limits.maxStorageBufferBindingSize,
    maxBufferBytes: device.limits.maxBufferSize,
    maxStorageBuffersPerStage: device.limits.maxStorageBuffersPerShaderStage,
    maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
  };
  const st: ContextState = {
    keepAlive: [gpu, adapter], errors: [], unchecked: [], arenas: [], slot: 0, staging: null, lost: null, timestamps, profiler: null,
  };
  states.set(device, st);
  device.addEventListener('uncapturederror', (ev) => {
    st.errors.push((ev as GPUUncapturedErrorEvent).error.message);
  });
  void device.lost.then((l) => { st.lost = `the GPU device was lost (${l.reason}): ${l.message}`; });
  return { device, adapter: desc, limits };
}

/** The adapter's name for messages. */
export function adapterName(ctx: GpuContext): string {
  const a = ctx.adapter;
  return a.description || [a.vendor, a.architecture].filter((s) => s !== '').join(' ') || 'an unnamed adapter';
}

/**
 * A zero-filled float32 (or u32) storage buffer of `floats` 4-byte words
 * (at least 4). Throws a RangeError naming the buffer when it exceeds what
 * the device can bind.
 */
export function createStorage(ctx: GpuContext, floats: number, label: string): GPUBuffer {
  const bytes = Math.max(16, Math.ceil(Math.max(0, floats) / 4) * 16);
  const limit = Math.min(ctx.limits.maxStorageBindingBytes, ctx.limits.maxBufferBytes);
  if (bytes > limit) {
    throw new RangeError(
      `GPU buffer '${label}' needs ${(bytes / 2 ** 20).toFixed(1)} MiB but ${adapterName(ctx)} binds at most ` +
      `${(limit / 2 ** 20).toFixed(1)} MiB per buffer: reduce batch_size, T or H`,
    );
  }
  return ctx.device.createBuffer({ label, size: bytes, usage: STORAGE | COPY_SRC | COPY_DST });
}

let convert: Float32Array = new Float32Array(0);

/** Host → device: dst[dstOff + i] = src[srcOff + i] for i < n (float64 input is rounded to float32). */
export function writeFloats(
  ctx: GpuContext, dst: GPUBuffer, src: Float32Array | Float64Array, srcOff = 0, n = src.length - srcOff, dstOff = 0,
): void {
  if (n <= 0) return;
  if (src instanceof Float32Array) {
    ctx.device.queue.writeBuffer(dst, dstOff * 4, src, srcOff, n);
    return;
  }
  if (convert.length < n) convert = new Float32Array(Math.max(n, convert.length * 2));
  for (let i = 0; i < n; i++) convert[i] = src[srcOff + i]!;
  ctx.device.queue.writeBuffer(dst, dstOff * 4, convert, 0, n);
}

/** Host → device for u32 words. */
export function writeWords(ctx: GpuContext, dst: GPUBuffer, src: Uint32Array | Int32Array, dstOff = 0): void {
  ctx.device.queue.writeBuffer(dst, dstOff * 4, src, 0, src.length);
}

/** dst[dstOff … +n) = 0 on the device (encoded, so it is ordered with the kernels of `enc`). */
export function encodeClear(enc: GPUCommandEncoder, dst: GPUBuffer, dstOff: number, n: number): void {
  if (n > 0) enc.clearBuffer(dst, dstOff * 4, Math.ceil(n) * 4);
}

export interface ReadRegion {
  buf: GPUBuffer;
  /** first float of the region */
  off?: number;
  n: number;
  /** host array receiving the n floats at intoOff (float64 arrays get the float32 values) */
  into: Float32Array | Float64Array;
  intoOff?: number;
}

/** Submit a command encoder (and start a new uniform-slot cycle). */
export function submit(ctx: GpuContext, enc: GPUCommandEncoder): void {
  state(ctx).profiler?.beforeSubmit(enc);
  ctx.device.queue.submit([enc.finish()]);
  state(ctx).slot = 0;
}

/**
 * Device → host for several regions with ONE copy pass and ONE map: the
 * regions are copied into a staging buffer, mapped, and distributed. Waits
 * for all work submitted before it, then throws any GPU error seen so far.
 */
export async function readRegions(ctx: GpuContext, regions: ReadRegion[], enc?: GPUCommandEncoder): Promise<void> {
  const st = state(ctx);
  let total = 0;
  for (const r of regions) total += r.n;
  const bytes = Math.max(16, Math.ceil(total / 4) * 16);
  let staging = st.staging;
  if (!staging || staging.size < bytes || staging.mapState !== 'unmapped') {
    staging?.destroy();
    staging = ctx.device.createBuffer({ label: 'staging', size: Math.max(bytes, (staging?.size ?? 0) * 2), usage: MAP_READ | COPY_DST });
    st.staging = staging;
  }
  const e = enc ?? ctx.device.createCommandEncoder();
  let at = 0;
  for (const r of regions) {
    if (r.n > 0) e.copyBufferToBuffer(r.buf, (r.off ?? 0) * 4, staging, at * 4, r.n * 4);
    at += r.n;
  }
  submit(ctx, e);
  try {
    await staging.mapAsync(MAP_MODE_READ, 0, bytes);
  } catch (err) {
    await flush(ctx);
    throw err;
  }
  const data = new Float32Array(staging.getMappedRange(0, bytes), 0, total);
  at = 0;
  for (const r of regions) {
    const o = r.intoOff ?? 0;
    if (r.into instanceof Float32Array) r.into.set(data.subarray(at, at + r.n), o);
    else for (let i = 0; i < r.n; i++) r.into[o + i] = data[at + i]!;
    at += r.n;
  }
  staging.unmap();
  await flush(ctx);
}

/** Wait for the queue and throw the first GPU error (compilation, validation, device loss) since the last call. */
export async function flush(ctx: GpuContext): Promise<void> {
  const st = state(ctx);
  await ctx.device.queue.onSubmittedWorkDone();
  const made = st.unchecked.splice(0);
  if (made.length > 0) {
    const compileErrors = await Promise.all(made.map(compilationErrors));
    st.errors.unshift(...compileErrors.filter((e): e is string => e !== null));
  }
  if (st.lost) throw new Error(st.lost);
  if (st.errors.length > 0) {
    const errs = st.errors.splice(0);
    throw new Error(gpuErrorMessage(errs));
  }
}

/**
 * The message of the GPU errors collected since the last check. Out-of-memory
 * errors (a GPUOutOfMemoryError, or the driver's VK_ERROR_OUT_OF_DEVICE_MEMORY
 * in a validation message) get the remedies a user can apply.
 */
export function gpuErrorMessage(errs: readonly string[]): string {
  const text = errs.join('\n');
  if (/out[ _-]?of[ _-]?(device[ _-]?)?memory/i.test(text)) {
    return `WebGPU out of memory: the run's buffers do not fit in the GPU's memory next to the other runs on it; `
      + `allow fewer concurrent GPU runs (--gpu-runs, Settings), or use a smaller batch_size, T or H\n${text}`;
  }
  return `WebGPU error: ${text}`;
}

/** A 256-byte uniform slot for the next dispatch of the current submit. */
function uniformSlot(ctx: GpuContext, words: ArrayLike<number>, f32Words: ReadonlySet<number> | undefined): { buffer: GPUBuffer; offset: number } {
  const st = state(ctx);
  if (words.length > UNIFORM_SLOT / 4) throw new RangeError(`webgpu runtime: at most ${UNIFORM_SLOT / 4} uniform words (got ${words.length})`);
  const arenaIdx = Math.floor(st.slot / UNIFORM_SLOTS_PER_ARENA);
  while (st.arenas.length <= arenaIdx) {
    st.arenas.push(ctx.device.createBuffer({ label: 'uniforms', size: UNIFORM_SLOT * UNIFORM_SLOTS_PER_ARENA, usage: UNIFORM | COPY_DST }));
  }
  const buffer = st.arenas[arenaIdx]!;
  const offset = (st.slot % UNIFORM_SLOTS_PER_ARENA) * UNIFORM_SLOT;
  st.slot++;
  const raw = new ArrayBuffer(UNIFORM_SLOT);
  const u = new Uint32Array(raw);
  const f = new Float32Array(raw);
  for (let i = 0; i < words.length; i++) {
    const v = words[i]!;
    if (f32Words?.has(i)) f[i] = v;
    else {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`webgpu runtime: uniform word ${i} = ${v} is not a u32 (list it in f32Words)`);
      u[i] = v;
    }
  }
  // Written before the submit that uses it; each dispatch of one submit has its own slot.
  ctx.device.queue.writeBuffer(buffer, offset, u, 0, UNIFORM_SLOT / 4);
  return { buffer, offset };
}

/** A kernel's compiler errors with line numbers and the offending source lines, or null when it compiled. */
async function compilationErrors(k: { label: string; code: string; module: GPUShaderModule }): Promise<string | null> {
  const errors = (await k.module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (errors.length === 0) return null;
  const lines = k.code.split('\n');
  const msgs = errors.map((m) => `  error at line ${m.lineNum}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ''}`);
  return `kernel ${k.label} failed to compile:\n${msgs.join('\n')}`;
}

/**
 * A compute pipeline with the binding convention above, compiled once.
 * `entry` is the WGSL entry point (default 'main').
 */
export class Kernel {
  readonly label: string;
  private readonly pipeline: GPUComputePipeline;
  private readonly layout: GPUBindGroupLayout;
  private readonly nStorage: number;
  private readonly uniform: boolean;

  constructor(
    private readonly ctx: GpuContext, label: string, code: string,
    nStorage: number, opts: { uniform?: boolean; entry?: string; readOnly?: readonly number[] } = {},
  ) {
    this.label = label;
    this.nStorage = nStorage;
    this.uniform = opts.uniform ?? true;
    if (nStorage > ctx.limits.maxStorageBuffersPerStage) {
      throw new RangeError(`kernel ${label}: ${nStorage} storage bindings, the device allows ${ctx.limits.maxStorageBuffersPerStage}`);
    }
    const device = ctx.device;
    const entries: GPUBindGroupLayoutEntry[] = [];
    const ro = new Set(opts.readOnly ?? []);
    for (let i = 0; i < nStorage; i++) {
      entries.push({ binding: i, visibility: SHADER_STAGE_COMPUTE, buffer: { type: ro.has(i) ? 'read-only-storage' : 'storage' } });
    }
    if (this.uniform) entries.push({ binding: nStorage, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'uniform' } });
    const st = state(ctx);
    const module = device.createShaderModule({ label, code });
    this.layout = device.createBindGroupLayout({ label, entries });
    this.pipeline = device.createComputePipeline({
      label,
      layout: device.createPipelineLayout({ bindGroupLayouts: [this.layout] }),
      compute: { module, entryPoint: opts.entry ?? 'main' },
    });
    // A WGSL error also raises an uncaptured validation error; the next
    // flush adds the compiler's messages with line numbers and source lines.
    st.unchecked.push({ label, code, module });
  }

  /**
   * Encode one dispatch in its own compute pass of `enc`. `buffers` are bound
   * to 0 … nStorage−1 (whole buffers); `uniforms` fill binding nStorage.
   */
  encode(
    enc: GPUCommandEncoder, groups: readonly number[], buffers: readonly GPUBuffer[],
    uniforms: ArrayLike<number> = [], f32Words?: ReadonlySet<number>,
  ): void {
    if (buffers.length !== this.nStorage) throw new Error(`kernel ${this.label}: ${buffers.length} buffers given, ${this.nStorage} declared`);
    const [gx = 1, gy = 1, gz = 1] = groups;
    const maxG = this.ctx.limits.maxWorkgroupsPerDimension;
    if (gx > maxG || gy > maxG || gz > maxG) throw new RangeError(`kernel ${this.label}: dispatch (${gx}, ${gy}, ${gz}) exceeds ${maxG} workgroups per dimension`);
    if (gx < 1 || gy < 1 || gz < 1) return;
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    if (this.uniform) {
      const { buffer, offset } = uniformSlot(this.ctx, uniforms, f32Words);
      entries.push({ binding: this.nStorage, resource: { buffer, offset, size: UNIFORM_SLOT } });
    }
    const group = this.ctx.device.createBindGroup({ layout: this.layout, entries });
    const timestampWrites = state(this.ctx).profiler?.timestampWrites(this.label);
    const pass = enc.beginComputePass({ label: this.label, ...(timestampWrites ? { timestampWrites } : {}) });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(gx, gy, gz);
    pass.end();
  }
}

/**
 * The dispatch of ⌈n / wg⌉ workgroups of `wg` threads (one invocation per
 * element), folded into rows of at most the device's per-dimension limit:
 * [gx, gy]; the kernel's flat index is (g.y · gx + g.x) in workgroups, i.e.
 * g.y · (gx · wg) + global x in invocations.
 */
export function flatGrid(ctx: GpuContext, n: number, wg: number): [number, number] {
  const groups = Math.ceil(n / wg);
  const gx = Math.min(groups, ctx.limits.maxWorkgroupsPerDimension);
  return [gx, Math.ceil(groups / gx)];
}

/**
 * Start timing every kernel pass on this device (profiler.ts); false, and
 * nothing timed, when the device has no 'timestamp-query'. Benchmarks only.
 */
export function startGpuProfile(ctx: GpuContext): boolean {
  const st = state(ctx);
  if (!st.timestamps) return false;
  st.profiler?.dispose();
  st.profiler = new GpuProfiler(ctx.device);
  return true;
}

/** End the open profile: the GPU time per kernel label since startGpuProfile (null when none was open). */
export async function takeGpuProfile(ctx: GpuContext): Promise<GpuProfile | null> {
  const st = state(ctx);
  const p = st.profiler;
  if (!p) return null;
  st.profiler = null;
  try {
    await ctx.device.queue.onSubmittedWorkDone();
    return await p.collect();
  } finally {
    p.dispose();
  }
}

/** Release a context's runtime buffers (the device itself is destroyed). */
export function closeGpu(ctx: GpuContext): void {
  const st = states.get(ctx.device);
  if (st) {
    for (const b of st.arenas) b.destroy();
    st.staging?.destroy();
    st.profiler?.dispose();
    st.profiler = null;
    st.unchecked.length = 0;
  }
  ctx.device.destroy();
}
