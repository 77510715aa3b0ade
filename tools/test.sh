#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a test report:
#   1. tools/setup.sh installs the Debian packages and the pinned npm packages (models, onnxruntime);
#   2. configure and build moir, its command-line tool, examples and tests (Release, Ninja, all cores);
#   3. run every test with CTest;
#   4. build the ONNX conformance suite and the unit tests of files and IR with AddressSanitizer
#      + UndefinedBehaviorSanitizer and run them;
#   5. fuzz every header-only parser (tests/fuzz, clang's libFuzzer + ASan + UBSan) for
#      MOIR_FUZZ_SECONDS (default 10) each, seeded from the real files step 3 wrote.
# Usage: bash tools/test.sh        (BUILD_DIR=build by default; MOIR_SKIP_SANITIZE=1 skips steps 4 and 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${BUILD_DIR:-build}"
bash tools/setup.sh
# the tests, the tool and the examples are always configured ON, whatever an earlier configure of the
# same folder (the demo's, say) left in its cache; ctest fails when no test ran.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOIR_BUILD_TESTS=ON -DMOIR_BUILD_TOOLS=ON \
    -DMOIR_BUILD_EXAMPLES=ON -DMOIR_MULTIPLE_HEADERS=ON
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$(nproc)"
if [[ "${MOIR_SKIP_SANITIZE:-0}" != "1" ]]; then
    build_abs="$(cd "$BUILD_DIR" && pwd)"
    # the fuzz program (clang 14, one translation unit: tests/fuzz/fuzz_all.cpp) compiles meanwhile
    MOIR_FUZZ_PROGRAM=fuzz_all MOIR_FUZZ_BUILD="$build_abs-fuzz" MOIR_FUZZ_JOBS=1 \
        bash tests/fuzz/run.sh 0 >"$BUILD_DIR-fuzz.log" 2>&1 &
    fuzz_build=$!
    echo "== ONNX conformance and unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
    # -O1 -g1: the usual sanitizer build (line numbers in reports), and quicker to compile than -O2 -g;
    # the avx2 kernels only (FP32 and INT8; the AVX-512 ones were 9 of this build's 19 CPU minutes)
    cmake -S . -B "$BUILD_DIR-asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DMOIR_SANITIZE=ON \
        -DMOIR_BUILD_TOOLS=OFF -DMOIR_BUILD_EXAMPLES=OFF -DMOIR_COMPILED_WITH_FRONTENDS=OFF \
        -DMOIR_COMPILED_ARCHES=avx2
    # unit tests that need no frontend but ONNX (this build compiles no other into moir::compiled):
    # files and robustness (test_io, about 280 CPU s to build under ASan) and IR; the whole suite does
    # not fit CI's budget (its test programs take 26 CPU minutes to build in Release, 3 to 4.5 times
    # that under ASan)
    asan_tests=(test_io test_ir)
    cmake --build "$BUILD_DIR-asan" -j "$(nproc)" --target onnx_backend "${asan_tests[@]}"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
    "$BUILD_DIR-asan/tests/onnx_backend" --expected tests/conformance/expected_failures.txt
    for t in "${asan_tests[@]}"; do
        (cd "$BUILD_DIR-asan" && "tests/$t")
    done
    unset ASAN_OPTIONS UBSAN_OPTIONS
    echo "== fuzz: each header-only parser for ${MOIR_FUZZ_SECONDS:-10} s (tests/fuzz/run.sh)"
    wait "$fuzz_build" || { cat "$BUILD_DIR-fuzz.log"; exit 1; }
    MOIR_FUZZ_PROGRAM=fuzz_all MOIR_FUZZ_BUILD="$build_abs-fuzz" MOIR_SEED_BUILD="$build_abs" \
        bash tests/fuzz/run.sh "${MOIR_FUZZ_SECONDS:-10}"
fi
