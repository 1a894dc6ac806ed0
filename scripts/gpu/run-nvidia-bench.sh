#!/usr/bin/env bash
# The WebGPU benchmark on a Linux machine with an NVIDIA GPU (issue 6):
#
#   scripts/gpu/run-nvidia-bench.sh [--node-tarball FILE] [--vulkan-dir DIR] [--no-cpu] [--quick-only] [--no-tune]
#                                   [-- extra flags for the paper run, e.g. --epochs 1 --batches 4]
#
# Needs: the NVIDIA driver with its Vulkan ICD (/usr/share/vulkan/icd.d/ or
# /etc/vulkan/icd.d/nvidia_icd.json, part of the driver packages), a checkout
# of this repository with its node_modules (or network access for `npm ci`).
# Brings what may be missing on a GPU server:
#   - Node >= 20.19: `node` on PATH, else a Node tarball (node-v20.*-linux-x64.tar.xz) given with
#     --node-tarball or lying beside this script or in the repository root; unpacked under .cache/;
#   - the Vulkan loader (libvulkan.so.1): the system's, else one in --vulkan-dir or beside this
#     script, else Debian chromium's (/usr/lib/chromium); put on LD_LIBRARY_PATH (read when a process
#     starts) without touching VK_ICD_FILENAMES, so the loader finds the NVIDIA driver.
# Then runs, from the repository root:
#   npm run bench -- --backend cpu    --preset quick --no-memory     (the CPU baseline; skip with --no-cpu)
#   npm run bench -- --backend webgpu --preset quick
#   npm run bench -- --backend webgpu --preset paper [extra flags]   (default: --epochs 3 --warmup 1)
#   npm run bench:gpu-tune -- --preset paper --profile               (kernel shapes; skip with --no-tune)
#   npm run bench -- --backend webgpu --preset paper [extra flags] --gpu-tuning bench-results/bench-gpu-tune.json
# and prints the GPU (nvidia-smi -L), the adapter Dawn chose and where the JSON files are:
#   bench-results/bench-cpu.json, bench-webgpu.json, bench-webgpu-paper.json, bench-gpu-tune.json,
#   bench-webgpu-paper-tuned.json
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

NODE_TARBALL=""
VULKAN_DIR=""
RUN_CPU=1
RUN_PAPER=1
RUN_TUNE=1
PAPER_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --node-tarball) NODE_TARBALL="$2"; shift 2 ;;
    --vulkan-dir) VULKAN_DIR="$2"; shift 2 ;;
    --no-cpu) RUN_CPU=0; shift ;;
    --quick-only) RUN_PAPER=0; shift ;;
    --no-tune) RUN_TUNE=0; shift ;;
    --) shift; PAPER_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "run-nvidia-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#PAPER_ARGS[@]} -eq 0 ] && PAPER_ARGS=(--epochs 3 --warmup 1)

say() { echo "run-nvidia-bench: $*" >&2; }
die() { say "$*"; exit 1; }

# --- the GPU -----------------------------------------------------------------
command -v nvidia-smi >/dev/null 2>&1 || die "nvidia-smi not found: is the NVIDIA driver installed?"
GPUS="$(nvidia-smi -L)" || die "nvidia-smi -L failed: the driver does not see a GPU"
say "GPU(s):"
echo "$GPUS" | sed 's/^/  /' >&2
ICD=""
for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
  for f in "$d"/nvidia*.json; do [ -f "$f" ] && ICD="$f" && break 2; done
done
if [ -n "$ICD" ]; then
  say "NVIDIA Vulkan ICD: $ICD"
else
  say "warning: no NVIDIA Vulkan ICD manifest (nvidia_icd.json) in /etc/vulkan/icd.d or /usr/share/vulkan/icd.d;"
  say "         WebGPU will not see the GPU (install the driver's Vulkan part, e.g. libnvidia-gl-<version>)"
fi

# --- Node >= 20.19 -------------------------------------------------------------
node_ok() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null
}
if ! command -v node >/dev/null 2>&1 || ! node_ok node; then
  if [ -z "$NODE_TARBALL" ]; then
    for f in "$HERE"/node-v*-linux-*.tar.* "$ROOT"/node-v*-linux-*.tar.*; do [ -f "$f" ] && NODE_TARBALL="$f" && break; done
  fi
  [ -n "$NODE_TARBALL" ] || die "Node >= 20.19 is needed: put it on PATH or give --node-tarball node-v20.x-linux-x64.tar.xz"
  DEST="$ROOT/.cache/node"
  rm -rf "$DEST" && mkdir -p "$DEST"
  tar -xf "$NODE_TARBALL" -C "$DEST" --strip-components=1 || die "cannot unpack $NODE_TARBALL"
  export PATH="$DEST/bin:$PATH"
  node_ok node || die "the Node in $NODE_TARBALL is older than 20.19"
fi
say "node $(node --version) ($(command -v node))"

# --- the Vulkan loader -----------------------------------------------------------
has_system_loader() {
  if command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then return 0; fi
  local d
  for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu /lib64 /usr/local/lib; do
    [ -e "$d/libvulkan.so.1" ] && return 0
  done
  return 1
}
if has_system_loader; then
  say "Vulkan loader: the system's"
else
  LOADER_DIR=""
  for d in "$VULKAN_DIR" "$HERE" /usr/lib/chromium; do
    [ -n "$d" ] && [ -e "$d/libvulkan.so.1" ] && LOADER_DIR="$d" && break
  done
  [ -n "$LOADER_DIR" ] || die "no Vulkan loader (libvulkan.so.1): install libvulkan1, or give --vulkan-dir DIR holding libvulkan.so.1"
  export LD_LIBRARY_PATH="$LOADER_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "Vulkan loader: $LOADER_DIR/libvulkan.so.1 (on LD_LIBRARY_PATH)"
fi

# --- dependencies ------------------------------------------------------------------
if [ ! -d node_modules/webgpu ] || [ ! -d node_modules/tsx ]; then
  say "installing the locked dependencies (npm ci)…"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

# --- the benchmarks -----------------------------------------------------------------
if [ "$RUN_CPU" = 1 ]; then
  say "CPU baseline: npm run bench -- --backend cpu --preset quick --no-memory"
  npm run --silent bench -- --backend cpu --preset quick --no-memory
fi
say "npm run bench -- --backend webgpu --preset quick"
npm run --silent bench -- --backend webgpu --preset quick
if [ "$RUN_PAPER" = 1 ]; then
  say "npm run bench -- --backend webgpu --preset paper ${PAPER_ARGS[*]}"
  npm run --silent bench -- --backend webgpu --preset paper "${PAPER_ARGS[@]}"
  case " ${PAPER_ARGS[*]} " in
    *" --gpu-seqs"*|*" --gpu-wg"*|*" --gpu-unroll"*|*" --gpu-tuning"*) RUN_TUNE=0; say "kernel shapes given for the paper run: no sweep" ;;
  esac
  if [ "$RUN_TUNE" = 1 ]; then
    say "kernel-shape sweep: npm run bench:gpu-tune -- --preset paper --profile"
    rm -f bench-results/bench-gpu-tune.json
    if npm run --silent bench:gpu-tune -- --preset paper --profile && [ -f bench-results/bench-gpu-tune.json ]; then
      say "the paper epoch with each architecture's best shape (--no-diagnostics: the pass does not depend on it)"
      npm run --silent bench -- --backend webgpu --preset paper "${PAPER_ARGS[@]}" --no-diagnostics \
        --gpu-tuning bench-results/bench-gpu-tune.json --out bench-results/bench-webgpu-paper-tuned.json \
        || say "the tuned paper run failed (see above)"
    else
      say "the kernel-shape sweep failed (see above): no tuned run"; RUN_TUNE=0
    fi
  fi
fi

ADAPTER="$(node -e 'try { console.log(JSON.parse(require("fs").readFileSync("bench-results/bench-webgpu.json", "utf8")).adapter ?? "?") } catch { console.log("?") }')"
echo
echo "GPU: $(echo "$GPUS" | head -1)"
echo "WebGPU adapter used: $ADAPTER"
case "$ADAPTER" in
  *[Nn][Vv][Ii][Dd][Ii][Aa]*|*[Hh]100*|*[Hh]200*|*[Aa]100*) ;;
  *) echo "warning: the adapter does not look like the NVIDIA GPU (a software adapter?): check the Vulkan ICD" ;;
esac
echo "results:"
[ "$RUN_CPU" = 1 ] && echo "  $ROOT/bench-results/bench-cpu.json"
echo "  $ROOT/bench-results/bench-webgpu.json"
[ "$RUN_PAPER" = 1 ] && echo "  $ROOT/bench-results/bench-webgpu-paper.json"
[ "$RUN_PAPER" = 1 ] && [ "$RUN_TUNE" = 1 ] && echo "  $ROOT/bench-results/bench-gpu-tune.json" && echo "  $ROOT/bench-results/bench-webgpu-paper-tuned.json"
exit 0
