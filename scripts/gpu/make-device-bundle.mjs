#!/usr/bin/env node
// A self-contained WebGPU benchmark for a bare Linux x86-64 machine with an
// NVIDIA GPU and driver but no Node, no npm registry and perhaps no Vulkan
// loader (issue 6: "carrying whatever it needs"):
//
//   node scripts/gpu/make-device-bundle.mjs [--dir .gpu-bundle]
//
// writes (about 30 MB, git-ignored):
//   .gpu-bundle/bench.mjs, parity.mjs,       scripts/bench.ts, scripts/gpu/parity-check.ts,
//               reductions.mjs, tune.mjs,    scripts/bench-gpu-reductions.ts, scripts/bench-gpu-tune.ts and
//               diagnostics-worker.mjs,      the diagnostics' lag thread and scripts/gpu/probe-adapter.ts,
//               probe.mjs                    bundled by esbuild (only `webgpu` external)
//   .gpu-bundle/node_modules/webgpu/         the package's loader and its linux-x64 dawn.node (.xz)
//   .gpu-bundle/node.xz                      this machine's Node binary, xz-compressed
//   .gpu-bundle/lib/libvulkan.so.1           a Vulkan loader (Debian chromium's), used only when the
//                                            target has none
//   .gpu-bundle/run.sh                       unpacks Node (xz, else python3's lzma), finds the driver's
//                                            ICD, names the GPU, runs `node bench.mjs "$@"` (first
//                                            argument `parity`, `reductions` or `tune`: that script
//                                            instead; `all DIR`: the whole measurement, below)
// On the GPU machine, from the folder holding .gpu-bundle:
//   bash .gpu-bundle/run.sh all DIR 540 [A.tar.gz]  the adapter first (probe.mjs; none: NVIDIA's EGL manifest is
//                                           tried), then GPU/CPU parity, whole paper epochs and a diagnostics
//                                           pass with the default kernel shapes, a paper epoch with unrolled
//                                           input/hidden-axis loops (--gpu-unroll auto), a paper epoch with every kernel
//                                           timed (--profile-gpu), the CPU and GPU quick epochs, the kernel-shape
//                                           sweep (S, WG, unroll; --profile), the paper epochs with its best
//                                           shapes, the reductions sweep, within 540 s: each step's JSON and log
//                                           in DIR as soon as it ends (and DIR packed into A.tar.gz after each step)
//   bash .gpu-bundle/run.sh parity
//   bash .gpu-bundle/run.sh reductions --shapes lstm-dU,lstm-dW --sweep
//   bash .gpu-bundle/run.sh --backend webgpu --preset paper --epochs 1 --batches 4 --out OUT.json
// (scripts/gpu/run-nvidia-bench.sh is the same job on a machine with a checkout and npm.)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const dirArg = argv.indexOf('--dir');
const OUT = resolve(ROOT, dirArg >= 0 ? argv[dirArg + 1] : '.gpu-bundle');
const require = createRequire(import.meta.url);

function say(msg) {
  console.log(`make-device-bundle: ${msg}`);
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`make-device-bundle: builds an x86-64 Linux bundle and must run on one (this is ${process.platform}-${process.arch})`);
  process.exit(2);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, 'lib'), { recursive: true });

// 1. the benchmark and the parity check, one ES module each (tsx's esbuild; the WASM kernels are
//    TypeScript modules already)
const esbuild = await import(require.resolve('esbuild', { paths: [dirname(require.resolve('tsx/package.json'))] }));
const ENTRIES = [
  [join('scripts', 'bench.ts'), 'bench.mjs'],
  [join('scripts', 'gpu', 'parity-check.ts'), 'parity.mjs'],
  [join('scripts', 'bench-gpu-reductions.ts'), 'reductions.mjs'],
  [join('scripts', 'bench-gpu-tune.ts'), 'tune.mjs'],
  // the diagnostics' lag threads: bench.mjs finds it beside itself (diagnostics-threads.ts' development path,
  // `new URL('./diagnostics-worker.mjs', import.meta.url)`, which esbuild keeps relative to the bundle)
  [join('src-workers', 'tasks', 'diagnostics-worker.ts'), 'diagnostics-worker.mjs'],
  [join('scripts', 'gpu', 'probe-adapter.ts'), 'probe.mjs'],
];
for (const [entry, out] of ENTRIES) {
  await esbuild.build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu'],
    outfile: join(OUT, out),
    logLevel: 'warning',
  });
}
say(`${ENTRIES.map(([, out]) => out).join(', ')} bundled`);
// every file a bundle opens beside itself (`new URL('./…', import.meta.url)`, e.g. a worker thread's entry) must
// be in the bundle too: found missing on the GPU machine it would fail there, where time is short
for (const [, out] of ENTRIES) {
  for (const m of readFileSync(join(OUT, out), 'utf8').matchAll(/new URL\(\s*["'](\.\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g)) {
    if (!existsSync(join(OUT, m[1]))) {
      console.error(`make-device-bundle: ${out} opens ${m[1]} beside itself, which the bundle lacks (add it to ENTRIES)`);
      process.exit(1);
    }
  }
}

// 2. the webgpu package: its loader and the linux-x64 Dawn binary
const pkgDir = dirname(require.resolve('webgpu/package.json', { paths: [ROOT] }));
const dst = join(OUT, 'node_modules', 'webgpu');
mkdirSync(join(dst, 'dist', 'linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js']) copyFileSync(join(pkgDir, f), join(dst, f));
copyFileSync(join(pkgDir, 'dist', 'linux-x64', 'dawn.node'), join(dst, 'dist', 'linux-x64', 'dawn.node'));
execFileSync('xz', ['-T0', '-6', join(dst, 'dist', 'linux-x64', 'dawn.node')], { stdio: 'inherit' });
say('webgpu package copied (dawn.node compressed)');

// 3. Node itself, compressed
copyFileSync(process.execPath, join(OUT, 'node'));
execFileSync('xz', ['-T0', '-6', join(OUT, 'node')], { stdio: 'inherit' });
say(`node ${process.version} compressed`);

// 4. a Vulkan loader for a target without one
const loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/chromium/libvulkan.so.1'].find((p) => existsSync(p));
if (loader) {
  copyFileSync(loader, join(OUT, 'lib', 'libvulkan.so.1'));
  say(`Vulkan loader from ${loader}`);
} else {
  say('no Vulkan loader on this machine to carry (the target must have its own)');
}

// 5. the launcher
const RUN = `#!/usr/bin/env bash
# Runs the bundled benchmark (scripts/gpu/make-device-bundle.mjs made this folder).
set -euo pipefail
HERE="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
# xz, else python3's lzma module (a GPU image may lack xz-utils)
unxz_to() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2.part"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2.part"; fi
  mv "$2.part" "$2"
}
if [ ! -x "$HERE/node" ]; then unxz_to "$HERE/node.xz" "$HERE/node"; chmod +x "$HERE/node"; fi
DAWN="$HERE/node_modules/webgpu/dist/linux-x64/dawn.node"
if [ ! -f "$DAWN" ]; then unxz_to "$DAWN.xz" "$DAWN"; fi
# The Vulkan loader: the system's, else the carried one.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  export LD_LIBRARY_PATH="$HERE/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# The NVIDIA driver's manifest is left to the loader's search; without a display the scripts themselves
# point the loader at the driver's EGL library (src-workers/backends/webgpu/nvidia-headless.ts); only a
# manifest mounted where the loader would not look (/usr/local/nvidia, containers) is named here.
if [ -z "\${VK_DRIVER_FILES:-}\${VK_ICD_FILENAMES:-}" ] && [ -z "$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null)" ] \
   && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && ! grep -q libGLX_nvidia /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L || echo "(no nvidia-smi)"
echo "node $("$HERE/node" --version); VK_DRIVER_FILES=\${VK_DRIVER_FILES:-unset}"
# paths given to the scripts (--out …) are the caller's: no cd (node finds the bundled webgpu package from
# the scripts' own folder)
CALLER_PWD="$PWD"
# all DIR [SECONDS] [ARCHIVE]: the whole measurement, most important first, within SECONDS (default 540: a
# 10-minute lease call with room to spare); each step gets at most its own cap and what is left, a step that
# would start with too little time left is skipped; every step writes into DIR when it ends (and, with
# ARCHIVE, DIR is packed into that .tar.gz after every step: one file to fetch, whatever stops the run), a
# failing step is logged and the next one runs (exit status: the number of failed or skipped steps)
all() {
  local R="\${1:-gpu-results}" budget="\${2:-540}" pack="\${3:-}" failed=0 start=$SECONDS
  if ! [[ $budget =~ ^[0-9]+$ ]]; then echo "run.sh all DIR [SECONDS] [ARCHIVE.tar.gz]: SECONDS must be a whole number (got '$budget')" >&2; return 2; fi
  case "$R" in /*) ;; *) R="$CALLER_PWD/$R" ;; esac
  case "$pack" in ""|/*) ;; *) pack="$CALLER_PWD/$pack" ;; esac
  mkdir -p "$R"
  command -v timeout >/dev/null 2>&1 || echo "warning: no timeout command: steps are not stopped at their caps"
  # the adapter first (with the headless-NVIDIA rule of the scripts, at most 60 s: a driver may hang); none: try
  # NVIDIA's EGL manifest here, and keep it only if it gives the adapter
  local probe=("$HERE/node" "$HERE/probe.mjs")
  command -v timeout >/dev/null 2>&1 && probe=(timeout -k 5 60 "\${probe[@]}")
  if ! "\${probe[@]}" | tee "$R/probe.log"; then
    local egl; egl=$(ls /usr/lib/x86_64-linux-gnu/libEGL_nvidia.so.0 /usr/local/nvidia/lib64/libEGL_nvidia.so.0 /usr/lib/libEGL_nvidia.so.0 /usr/lib64/libEGL_nvidia.so.0 2>/dev/null | head -n 1 || true)
    if [ -n "$egl" ] && [ -z "\${VK_DRIVER_FILES:-}\${VK_ICD_FILENAMES:-}" ]; then
      printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"1.3.0"}}\\n' "$egl" > "$R/nvidia_egl_icd.json"
      export VK_DRIVER_FILES="$R/nvidia_egl_icd.json" VK_ICD_FILENAMES="$R/nvidia_egl_icd.json"
      echo "retrying with VK_DRIVER_FILES=$VK_DRIVER_FILES"
      if ! "\${probe[@]}" | tee -a "$R/probe.log"; then
        unset VK_DRIVER_FILES VK_ICD_FILENAMES
        echo "warning: still no hardware adapter (the driver list is left as it was): the GPU steps will fail or run on software"
      fi
    fi
  fi
  left() { echo $((budget - (SECONDS - start))); }
  step() { # step NAME CAP_S ARGS…: node ARGS… > DIR/NAME.log, at most min(CAP_S, time left) seconds
    local name="$1" cap="$2"; shift 2
    local t=$(( $(left) < cap ? $(left) : cap ))
    if [ "$t" -lt 20 ]; then echo "=== $name: SKIPPED ($(left) s left)"; failed=$((failed + 1)); return; fi
    echo "=== $name (at most $t s): $*"; local t0=$SECONDS
    local run=("$HERE/node" "$@")
    command -v timeout >/dev/null 2>&1 && run=(timeout -k 5 "$t" "\${run[@]}")
    if "\${run[@]}" > "$R/$name.log" 2>&1; then echo "    ok ($((SECONDS - t0)) s)"
    else echo "    FAILED or stopped ($((SECONDS - t0)) s)"; failed=$((failed + 1)); fi
    tail -n 14 "$R/$name.log" | sed 's/^/    | /'
    if [ -n "$pack" ]; then
      tar czf "$pack.part" --exclude "./$(basename "$pack")" --exclude "./$(basename "$pack").part" -C "$R" . && mv "$pack.part" "$pack"
    fi
    return 0
  }
  # GPU/CPU parity first: the timings below mean nothing if the kernels are wrong on this driver
  step parity 120 "$HERE/parity.mjs"
  # whole paper epochs (inputs resident on the GPU), the diagnostics on the default lag threads
  step paper 180 "$HERE/bench.mjs" --backend webgpu --preset paper --epochs 2 --warmup 1 --diag-seqs 512 --out "$R/bench-webgpu-paper.json"
  # the same epochs with the input/hidden-axis loops unrolled (--gpu-unroll auto) against the default rolled ones
  step paper-unrolled 75 "$HERE/bench.mjs" --backend webgpu --preset paper --epochs 1 --warmup 1 --no-diagnostics --gpu-unroll auto \
    --out "$R/bench-webgpu-paper-unrolled.json"
  # where a paper epoch's time goes: GPU time per kernel (timestamp queries) against the epoch's wall time
  step paper-profile 75 "$HERE/bench.mjs" --backend webgpu --preset paper --epochs 1 --warmup 1 --no-diagnostics --profile-gpu \
    --out "$R/bench-webgpu-paper-profile.json"
  step cpu-quick 60 "$HERE/bench.mjs" --backend cpu --preset quick --epochs 3 --no-memory --out "$R/bench-cpu.json"
  step quick 90 "$HERE/bench.mjs" --backend webgpu --preset quick --epochs 2 --out "$R/bench-webgpu.json"
  # the sweep's --budget leaves the tuned epoch and the reductions their time (about 40 s and 5 s on the H200); the
  # sweep may overrun its budget by the configuration in flight (its own cap: budget + 40)
  local tb=$(( $(left) - 100 )); [ "$tb" -gt 150 ] && tb=150
  rm -f "$R/bench-gpu-tune.json" # never an earlier run's sweep
  if [ "$tb" -ge 20 ]; then step tune $((tb + 40)) "$HERE/tune.mjs" --preset paper --reps 2 --profile --budget "$tb" --out "$R/bench-gpu-tune.json"
  else echo "=== tune: SKIPPED ($(left) s left)"; failed=$((failed + 1)); fi
  if [ -f "$R/bench-gpu-tune.json" ]; then
    step paper-tuned 90 "$HERE/bench.mjs" --backend webgpu --preset paper --epochs 2 --warmup 1 \
      --no-diagnostics --gpu-tuning "$R/bench-gpu-tune.json" --out "$R/bench-webgpu-paper-tuned.json"
  else echo "=== paper-tuned: SKIPPED (no sweep)"; failed=$((failed + 1)); fi
  step reductions 60 "$HERE/reductions.mjs" --shapes lstm-dU,lstm-dW,gru-dU-zr,gated-Wh --sweep
  echo "=== done in $((SECONDS - start)) s: $failed step(s) failed or skipped; results in $R"
  return "$failed"
}
case "\${1:-}" in
  parity) shift; exec "$HERE/node" "$HERE/parity.mjs" "$@" ;;
  reductions) shift; exec "$HERE/node" "$HERE/reductions.mjs" "$@" ;;
  tune) shift; exec "$HERE/node" "$HERE/tune.mjs" "$@" ;;
  all) shift; all "$@"; exit $? ;;
esac
exec "$HERE/node" "$HERE/bench.mjs" "$@"
`;
writeFileSync(join(OUT, 'run.sh'), RUN);
chmodSync(join(OUT, 'run.sh'), 0o755);
say(`done: ${OUT} (bash ${join(OUT, 'run.sh')} --backend webgpu --preset paper …)`);
