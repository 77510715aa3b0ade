#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a test report:
#   1. tools/setup.sh installs the Debian packages and the pinned npm packages (models, onnxruntime);
#   2. configure and build moir, its command-line tool, examples and tests (Release, Ninja, all cores),
#      all but the unit test programs of step 3;
#   3. run those tests with CTest;
#   4. build the unit test programs of the library's core (ONNX conformance, files and robustness, IR,
#      ops, kernels, passes, runtime, protobuf) ONCE, with AddressSanitizer +
#      UndefinedBehaviorSanitizer, and run them with CTest (label unit); the ones that run the moir tool
#      run step 2's;
#   5. fuzz every header-only parser (tests/fuzz, clang's libFuzzer + ASan + UBSan) for
#      MOIR_FUZZ_SECONDS (default 10) each, seeded from the real files step 3 wrote.
# Usage: bash tools/test.sh        (BUILD_DIR=build by default; MOIR_SKIP_SANITIZE=1 skips steps 4 and 5
#                                   and builds and runs every unit test program in Release instead)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${BUILD_DIR:-build}"
sanitize=1
[[ "${MOIR_SKIP_SANITIZE:-0}" != "1" ]] || sanitize=0
# The unit test programs built and run only under the sanitizers (CTest names; the other unit tests,
# those of the frontends, the tool and the models, stay in the Release build). Not all of them: the test
# programs take ~26 CPU minutes to build in Release, ~2.9 times that under ASan + UBSan at -O1 (1.9
# with ASan alone, 2.2 with UBSan alone, 2.0 at -O0, the same at -g0), and moving one costs 1.9 times its
# Release build; these ~7 Release CPU minutes (test TUs that need no frontend but ONNX) add ~7 wall
# minutes on CI's 2 cores, within its 45 (docs/ci.md has the arithmetic).
asan_tests="onnx_backend_conformance;test_io;test_ir;test_ops;test_kernels;test_passes;test_runtime;test_frontends"
bash tools/setup.sh
# the tests, the tool and the examples are always configured ON, whatever an earlier configure of the
# same folder (the demo's, say) left in its cache; ctest fails when no test ran.
release_exclude=""
[[ $sanitize == 0 ]] || release_exclude="$asan_tests"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOIR_BUILD_TESTS=ON -DMOIR_BUILD_TOOLS=ON \
    -DMOIR_BUILD_EXAMPLES=ON -DMOIR_MULTIPLE_HEADERS=ON -DMOIR_UNIT_TESTS=ON -DMOIR_UNIT_TESTS_ONLY= \
    "-DMOIR_UNIT_TESTS_EXCLUDE=$release_exclude"
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$(nproc)"
if [[ $sanitize == 1 ]]; then
    build_abs="$(cd "$BUILD_DIR" && pwd)"
    # the fuzz program (clang 14, one translation unit: tests/fuzz/fuzz_all.cpp) compiles meanwhile
    MOIR_FUZZ_PROGRAM=fuzz_all MOIR_FUZZ_BUILD="$build_abs-fuzz" MOIR_FUZZ_JOBS=1 \
        bash tests/fuzz/run.sh 0 >"$BUILD_DIR-fuzz.log" 2>&1 &
    fuzz_build=$!
    echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer: ${asan_tests//;/ }"
    # -O1 -g1: the usual sanitizer build (line numbers in reports; -g0 compiles no faster); the avx2
    # kernels only (FP32 and INT8; the AVX-512 ones were 9 of this build's 19 CPU minutes); no frontend
    # but ONNX in moir::compiled (test_control_flow, whose one TU reads TFLite, stays in Release: that TU
    # compiling the TFLite frontend took over 270 CPU s under ASan); the tool the tests run is step 2's
    # (MOIR_TEST_TOOL_DIR)
    cmake -S . -B "$BUILD_DIR-asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DMOIR_SANITIZE=ON \
        -DMOIR_BUILD_TESTS=ON -DMOIR_BUILD_TOOLS=OFF -DMOIR_BUILD_EXAMPLES=OFF -DMOIR_COMPILED_WITH_FRONTENDS=OFF \
        -DMOIR_COMPILED_ARCHES=avx2 -DMOIR_UNIT_TESTS=ON "-DMOIR_UNIT_TESTS_ONLY=$asan_tests" \
        -DMOIR_UNIT_TESTS_EXCLUDE= "-DMOIR_TEST_TOOL_DIR=$build_abs"
    cmake --build "$BUILD_DIR-asan" -j "$(nproc)" --target moir_unit_tests
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$BUILD_DIR-asan" -L unit --output-on-failure --no-tests=error -j "$(nproc)"
    echo "== fuzz: each header-only parser for ${MOIR_FUZZ_SECONDS:-10} s (tests/fuzz/run.sh)"
    wait "$fuzz_build" || { cat "$BUILD_DIR-fuzz.log"; exit 1; }
    MOIR_FUZZ_PROGRAM=fuzz_all MOIR_FUZZ_BUILD="$build_abs-fuzz" MOIR_SEED_BUILD="$build_abs" \
        bash tests/fuzz/run.sh "${MOIR_FUZZ_SECONDS:-10}"
fi
