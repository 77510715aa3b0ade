#!/usr/bin/env python3
"""How much INT8 costs one 1x1 convolution, and how much SmoothQuant-style scaling would win back.

For each named convolution of an ONNX model, this script collects the layer's real input
activations on a folder of .npy inputs (moir convert --output cuts the model at the layer's input,
moir run runs the cut model), reads the layer's FP32 weights from moir's FP32 IR (BatchNorm already
folded in), and reports the relative RMS error of the layer's output, sqrt(mean((y_q - y)^2) /
mean(y^2)), for:

  - per-tensor u8 activations (FakeQuantize's formula over the observed min/max) with per-output-
    channel symmetric weights of 8 bits ([-127, 127]) and 7 bits ([-64, 64], --overflow_fix), as
    moir's quantizer writes them;
  - the same after migrating each input channel k by s_k = max|x_k|^a / max|w_k|^(1-a)
    (x_k / s_k into the activations, w_k * s_k into the weights: SmoothQuant), for each --alphas a.

It simulates the arithmetic in numpy (float64); it does not change or run an INT8 model. The
ratio max/median of the per-channel input ranges is printed too: the wide-ranged layers are those
one per-tensor scale serves badly.

    /usr/bin/python3 tools/int8_layer_error.py --model REC.onnx --input_shape [1,3,48,320] \\
        --data CALIBRATION_DIR --layers p2o.Conv.28 p2o.Conv.32

Needs numpy and the onnx Python package (both in /usr/bin/python3 on the project machines)
and a build of moir (--moir, default build/moir).
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("failed (exit %d): %s\n%s" % (r.returncode, " ".join(cmd), r.stdout[-3000:]))
    return r.stdout


def conv_input_tensor(onnx_path, layer):
    """The name of the activation input of ONNX node `layer` (a Conv)."""
    import onnx  # only here: the rest needs numpy alone
    m = onnx.load(onnx_path)
    for n in m.graph.node:
        if n.name == layer:
            if n.op_type != "Conv":
                sys.exit("%s: node %s is a %s, not a Conv" % (onnx_path, layer, n.op_type))
            return n.input[0]
    sys.exit("%s: no node named %s" % (onnx_path, layer))


def ir_conv_weights(xml_path, layer):
    """The f32 (or f16) weights of the Convolution whose name is `layer` or starts with `layer/`."""
    x = open(xml_path, encoding="utf-8").read()
    blob = np.fromfile(os.path.splitext(xml_path)[0] + ".bin", dtype=np.uint8)
    layers = {m.group(1): m.group(0) for m in re.finditer(r'<layer id="(\d+)"[^>]*>.*?</layer>', x, re.S)}
    m = re.search(r'<layer id="(\d+)" name="%s(?:/[^"]*)?" type="Convolution"' % re.escape(layer), x)
    if not m:
        sys.exit("%s: no Convolution named %s" % (xml_path, layer))
    edges = re.findall(r'<edge from-layer="(\d+)" from-port="\d+" to-layer="(\d+)" to-port="(\d+)"', x)
    src = [f for f, t, p in edges if t == m.group(1) and p == "1"]
    c = layers.get(src[0], "") if src else ""
    if 'type="Const"' not in c:
        sys.exit("%s: the weights of %s are not a constant (an INT8 IR? give the FP32 one)" % (xml_path, layer))
    off, size = int(re.search(r'offset="(\d+)"', c).group(1)), int(re.search(r'size="(\d+)"', c).group(1))
    shape = [int(v) for v in re.search(r'shape="([^"]*)"', c).group(1).split(",")]
    et = re.search(r'element_type="(\w+)"', c).group(1)
    w = blob[off:off + size].view(np.float32 if et == "f32" else np.float16).astype(np.float64)
    return w.reshape(shape)


def fake_quantize(x, lo, hi):
    s = (hi - lo) / 255.0
    return np.clip(np.round((x - lo) / s), 0, 255) * s + lo


def quantize_weights(w, top):
    s = np.abs(w).max(axis=1, keepdims=True) / top
    s[s == 0] = 1.0
    return np.round(w / s) * s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="the ONNX model")
    ap.add_argument("--input_shape", required=True, help="as moir convert takes it, e.g. [1,3,48,320]")
    ap.add_argument("--data", required=True, help="a folder of .npy inputs (e.g. calibration lines)")
    ap.add_argument("--layers", nargs="+", required=True, help="ONNX names of 1x1 Conv nodes")
    ap.add_argument("--alphas", nargs="+", type=float, default=[0.5, 0.75, 1.0])
    ap.add_argument("--count", type=int, default=40, help="inputs used (the first, sorted)")
    ap.add_argument("--moir", default=os.path.join(ROOT, "build", "moir"))
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.data, "*.npy")))[:args.count]
    if not files:
        sys.exit("%s: no .npy files" % args.data)
    with tempfile.TemporaryDirectory() as tmp:
        run([args.moir, "convert", "--input_model", args.model, "--input_shape", args.input_shape,
             "--output_dir", tmp, "--model_name", "fp32"])
        inputs = os.path.join(tmp, "inputs")
        os.makedirs(inputs)
        for f in files:
            os.symlink(os.path.abspath(f), os.path.join(inputs, os.path.basename(f)))
        print("| layer | W | input range max/median | 8-bit | 7-bit | " +
              " | ".join("a = %.2f: 8-bit / 7-bit" % a for a in args.alphas) + " |")
        print("|---|---|---:|---:|---:|" + "---:|" * len(args.alphas))
        for layer in args.layers:
            w = ir_conv_weights(os.path.join(tmp, "fp32.xml"), layer)
            if w.ndim != 4 or w.shape[2:] != (1, 1):
                sys.exit("%s: %s is not a 1x1 convolution (weights %s)" % (args.model, layer, list(w.shape)))
            w = w.reshape(w.shape[0], w.shape[1])
            tensor = conv_input_tensor(args.model, layer)
            cut = "cut_%d" % args.layers.index(layer)
            run([args.moir, "convert", "--input_model", args.model, "--input_shape", args.input_shape,
                 "--output", tensor, "--output_dir", tmp, "--model_name", cut])
            out = os.path.join(tmp, cut + "_out")
            os.makedirs(out)
            run([args.moir, "run", "-m", os.path.join(tmp, cut + ".xml"), "-i", inputs, "-o", out, "-t", "2"])
            acts = sorted(glob.glob(os.path.join(out, "*", "*.npy")))
            x = np.concatenate([np.load(f).astype(np.float64).reshape(w.shape[1], -1) for f in acts], axis=1)
            y = w @ x
            def err(yq):
                return np.sqrt(((yq - y) ** 2).mean() / (y ** 2).mean())
            spread = x.max(axis=1) - x.min(axis=1)
            row = [err(quantize_weights(w, t) @ fake_quantize(x, x.min(), x.max())) for t in (127, 64)]
            for a in args.alphas:
                s = np.maximum(np.abs(x).max(axis=1) ** a / (np.abs(w).max(axis=0) ** (1 - a) + 1e-12), 1e-6)
                xs, ws = x / s[:, None], w * s[None, :]
                q = fake_quantize(xs, xs.min(), xs.max())
                row += [err(quantize_weights(ws, 127) @ q), err(quantize_weights(ws, 64) @ q)]
            cells = ["%.4f" % v for v in row[:2]] + ["%.4f / %.4f" % (row[i], row[i + 1]) for i in range(2, len(row), 2)]
            print("| %s | %dx%d | %.1f | %s |" % (layer, w.shape[0], w.shape[1],
                                                  spread.max() / max(np.median(spread), 1e-12), " | ".join(cells)))
    print("\nrelative RMS error of the layer's output on %d inputs of %s" % (len(files), args.data))


if __name__ == "__main__":
    main()
