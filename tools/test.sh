#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a test report:
#   1. tools/setup.sh installs the Debian packages and the pinned npm packages (models, onnxruntime);
#   2. configure and build moir, its command-line tool, examples and tests (Release, Ninja, all cores);
#   3. run every test with CTest;
#   4. build the ONNX conformance suite with AddressSanitizer + UndefinedBehaviorSanitizer and run it.
# Usage: bash tools/test.sh        (BUILD_DIR=build by default; MOIR_SKIP_SANITIZE=1 skips step 4)
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
    echo "== ONNX conformance under AddressSanitizer + UndefinedBehaviorSanitizer"
    # -O1 -g1: the usual sanitizer build (line numbers in reports), and quicker to compile than -O2 -g
    cmake -S . -B "$BUILD_DIR-asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DMOIR_SANITIZE=ON \
        -DMOIR_BUILD_TOOLS=OFF -DMOIR_BUILD_EXAMPLES=OFF -DMOIR_COMPILED_WITH_FRONTENDS=OFF
    cmake --build "$BUILD_DIR-asan" -j "$(nproc)" --target onnx_backend
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$BUILD_DIR-asan/tests/onnx_backend" --expected tests/conformance/expected_failures.txt
fi
