#!/usr/bin/env bash
# Ad-hoc: paper/quick epochs under global kernel-shape overrides (candidate defaults), one JSON each.
set -u
R="$1"; mkdir -p "$R"
run() { local name="$1"; shift; echo "=== $name: $*"; local t0=$SECONDS
  timeout -k 5 80 bash .gpu-bundle/run.sh --backend webgpu "$@" --no-diagnostics --out "$R/$name.json" > "$R/$name.log" 2>&1 || echo "    FAILED"
  echo "    ($((SECONDS - t0)) s)"; grep -A7 '^ model' "$R/$name.log" | sed 's/^/    | /'; }
P="--preset paper --epochs 2 --warmup 1"
run paper-default $P
run paper-u1 $P --gpu-unroll 1
run paper-s2u1 $P --gpu-seqs 2 --gpu-unroll 1
run paper-s1u1 $P --gpu-seqs 1 --gpu-unroll 1
run paper-s2 $P --gpu-seqs 2
run paper-default-again $P
Q="--preset quick --epochs 3 --warmup 1"
run quick-default $Q
run quick-u1 $Q --gpu-unroll 1
run quick-s2u1 $Q --gpu-seqs 2 --gpu-unroll 1
run quick-s1u1 $Q --gpu-seqs 1 --gpu-unroll 1
