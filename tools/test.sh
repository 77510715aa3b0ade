#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a test report:
#   1. tools/setup.sh installs the Debian packages and the pinned npm packages (models, onnxruntime);
#   2. configure and build moir, its command-line tool and its tests (Release, Ninja, all cores);
#   3. run every test with CTest.
# Usage: bash tools/test.sh        (BUILD_DIR=build by default)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${BUILD_DIR:-build}"
bash tools/setup.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
