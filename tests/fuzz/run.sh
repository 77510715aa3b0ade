#!/usr/bin/env bash
# Builds moir's libFuzzer targets (clang-14, -fsanitize=fuzzer,address,undefined) and runs each
# for SECONDS (default 60), one at a time, on one core, seeded from real files (make_seeds.py).
# A finding is written to BUILD/fuzz/findings/<target>-crash-... and makes the script fail.
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]   # TARGET: fuzz_npy fuzz_onnx fuzz_ir fuzz_tflite
#                                                  # fuzz_text_formats fuzz_mxnet (default: all)
#
# Environment: MOIR_FUZZ_BUILD (default build-fuzz), MOIR_FUZZ_JOBS (build jobs, default 2),
# MOIR_SEED_BUILD (a build whose test run left real files in test_scratch/ to seed from; default build).
# The corpus each run grows is kept in BUILD/fuzz/corpus/<target> and reused by the next run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${MOIR_FUZZ_BUILD:-$root/build-fuzz}"
seconds="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_npy fuzz_onnx fuzz_ir fuzz_tflite fuzz_text_formats fuzz_mxnet)

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DCMAKE_CXX_COMPILER=clang++-14 -DMOIR_FUZZ=ON -DMOIR_BUILD_TESTS=OFF -DMOIR_BUILD_TOOLS=OFF \
    -DMOIR_BUILD_EXAMPLES=OFF -DMOIR_INSTALL=OFF >/dev/null
cmake --build "$build" -j"${MOIR_FUZZ_JOBS:-2}" --target "${targets[@]}"

seeds="$build/fuzz/seeds"
python3 "$root/tests/fuzz/make_seeds.py" "$seeds" "$root" "${MOIR_SEED_BUILD:-$root/build}"
mkdir -p "$build/fuzz/findings"
status=0
for t in "${targets[@]}"; do
    corpus="$build/fuzz/corpus/$t"
    mkdir -p "$corpus"
    echo "== $t: ${seconds}s"
    log="$build/fuzz/$t.log"
    if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz/findings/$t-" "$corpus" "$seeds/$t" >"$log" 2>&1; then
        status=1
        echo "$t: FINDING (see $log and $build/fuzz/findings/)"
        grep -m5 -E "ERROR|runtime error|uncaught|deadly" "$log" || true
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" | sed "s/^/$t: /" || true
done
exit $status
