#!/usr/bin/env bash
# Builds moir's libFuzzer targets (clang-14, -fsanitize=fuzzer,address,undefined) and runs each
# for SECONDS (default 60), one at a time, in one process on one core (no -jobs, which would move
# the log to fuzz-N.log), at the lowest priority (nice 19), seeded from real files (make_seeds.py),
# with inputs capped per target (-max_len below: the seeds fit, short inputs keep executions fast).
# A finding is written to BUILD/fuzz/findings/<target>-crash-... and makes the script fail.
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]   # SECONDS 0: build only. TARGET: fuzz_npy fuzz_onnx fuzz_ir fuzz_tflite
#                                                  # fuzz_text_formats fuzz_mxnet fuzz_caffemodel
#                                                  # fuzz_kaldi fuzz_tfjs fuzz_tf_bundle (default: all)
#
# Environment: MOIR_FUZZ_BUILD (default build-fuzz), MOIR_FUZZ_JOBS (build jobs, default 2),
# MOIR_FUZZ_PROGRAM=fuzz_all (build only that program, one translation unit, and run each target
# through it: the header-only targets, the default list then; what CI does, tools/test.sh),
# MOIR_SEED_BUILD (a build whose test run left real files in test_scratch/ to seed from; default build).
# The corpus each run grows is kept in BUILD/fuzz/corpus/<target> and reused by the next run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${MOIR_FUZZ_BUILD:-$root/build-fuzz}"
seconds="${1:-60}"
shift || true
targets=("$@")
program="${MOIR_FUZZ_PROGRAM:-}"
header_only=(fuzz_npy fuzz_tflite fuzz_text_formats fuzz_mxnet fuzz_caffemodel fuzz_kaldi fuzz_tfjs fuzz_tf_bundle)
if [[ ${#targets[@]} -eq 0 ]]; then
    if [[ -n "$program" ]]; then targets=("${header_only[@]}"); else targets=(fuzz_onnx fuzz_ir "${header_only[@]}"); fi
fi
# the longest input each target is given (bytes); targets not listed take the longest seed's length
declare -A max_len=([fuzz_npy]=8192 [fuzz_tflite]=262144 [fuzz_text_formats]=49152 [fuzz_mxnet]=16384
                    [fuzz_caffemodel]=16384 [fuzz_kaldi]=36864 [fuzz_tfjs]=32768 [fuzz_tf_bundle]=40960)

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DCMAKE_CXX_COMPILER=clang++-14 -DMOIR_FUZZ=ON -DMOIR_BUILD_TESTS=OFF -DMOIR_BUILD_TOOLS=OFF \
    -DMOIR_BUILD_EXAMPLES=OFF -DMOIR_INSTALL=OFF >/dev/null
if [[ -n "$program" ]]; then
    cmake --build "$build" -j"${MOIR_FUZZ_JOBS:-2}" --target "$program"
else
    cmake --build "$build" -j"${MOIR_FUZZ_JOBS:-2}" --target "${targets[@]}"
fi
[[ "$seconds" != 0 ]] || exit 0

seeds="$build/fuzz/seeds"
python3 "$root/tests/fuzz/make_seeds.py" "$seeds" "$root" "${MOIR_SEED_BUILD:-$root/build}"
mkdir -p "$build/fuzz/findings"
status=0
for t in "${targets[@]}"; do
    corpus="$build/fuzz/corpus/$t"
    mkdir -p "$corpus"
    echo "== $t: ${seconds}s"
    log="$build/fuzz/$t.log"
    len=()
    [[ -n "${max_len[$t]:-}" ]] && len=(-max_len="${max_len[$t]}")
    if ! MOIR_FUZZ_TARGET="$t" nice -n 19 "$build/fuzz/${program:-$t}" -max_total_time="$seconds" "${len[@]}" -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz/findings/$t-" "$corpus" "$seeds/$t" >"$log" 2>&1; then
        status=1
        echo "$t: FINDING (see $log and $build/fuzz/findings/)"
        grep -m5 -E "ERROR|runtime error|uncaught|deadly" "$log" || true
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" | sed "s/^/$t: /" || true
done
exit $status
