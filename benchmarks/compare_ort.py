#!/usr/bin/python3
"""moir versus onnxruntime on the three PaddleOCR models, same machine, same run.

For each model and thread count, runs `moir bench --json` and `node tools/ort_bench.js` on the same
.npy input (uniform random in [0, 1), fixed seed), with the same thread count (onnxruntime:
intraOpNumThreads, interOpNumThreads = 1), warm-up and iteration count, interleaved: moir, ort,
moir, ort ... for --rounds rounds. The median of each side's per-round medians is reported, as a
markdown table with the CPU model name, then each runtime's speed-up from the fewest threads measured
to each larger count (how much a second core gives on this machine: on a shared VM, less than 2x).

    /usr/bin/python3 benchmarks/compare_ort.py [--moir build/moir] [--threads 1 2] [--rounds 3]
                                               [--iterations 30] [--warmup 5] [--models cls rec det]

Needs tools/setup.sh to have run (onnxruntime-node and the PaddleOCR models in third_party/npm).
Timings on a loaded machine are noisy: compare only numbers from the same run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models", "assets")
MODELS = {
    "cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx", (1, 3, 48, 192)),
    "rec": ("ch_PP-OCRv4_rec_infer.onnx", (1, 3, 48, 320)),
    "det": ("ch_PP-OCRv4_det_infer.onnx", (1, 3, 640, 640)),
}


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def run_json(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("command failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout, r.stderr))
    for line in reversed(r.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    sys.exit("no JSON from: %s\n%s" % (" ".join(cmd), r.stdout))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moir", default=os.path.join(ROOT, "build", "moir"), help="the moir executable")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per side")
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--models", nargs="+", default=["cls", "rec", "det"], choices=sorted(MODELS))
    a = ap.parse_args()
    if not os.path.exists(a.moir):
        sys.exit("no moir executable at %s (build the moir_cli target, or pass --moir)" % a.moir)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models:
            file, shape = MODELS[name]
            onnx = os.path.join(ASSETS, file)
            if not os.path.exists(onnx):
                sys.exit("missing %s: run tools/setup.sh first" % onnx)
            x = os.path.join(tmp, name + ".npy")
            np.save(x, np.random.default_rng(2026).random(shape, dtype=np.float32))
            for threads in a.threads:
                common = ["--iterations", str(a.iterations), "--warmup", str(a.warmup), "--threads", str(threads)]
                moir_cmd = [a.moir, "bench", "--model", onnx, "--input", "x=" + x, "--json"] + common
                ort_cmd = ["node", os.path.join(ROOT, "tools", "ort_bench.js"), "--model", onnx, "--input", "x=" + x] + common
                moir_ms, ort_ms, arch = [], [], "?"
                for _ in range(a.rounds):
                    m = run_json(moir_cmd)
                    moir_ms.append(m["median_ms"])
                    arch = m.get("arch", "?")
                    ort_ms.append(run_json(ort_cmd)["median_ms"])
                mm, om = statistics.median(moir_ms), statistics.median(ort_ms)
                rows.append((name, threads, mm, om, mm / om if om else float("nan"), arch))
                print("%s, %d thread(s): moir %s ms, ort %s ms" % (
                    name, threads, ", ".join("%.2f" % v for v in moir_ms), ", ".join("%.2f" % v for v in ort_ms)),
                    file=sys.stderr)

    print("CPU: %s (%d logical CPUs)\n" % (cpu_name(), os.cpu_count() or 0))
    print("| model | threads | moir median ms | ort median ms | moir/ort | moir arch |")
    print("|---|---:|---:|---:|---:|---|")
    for name, threads, mm, om, ratio, arch in rows:
        print("| %s | %d | %.3f | %.3f | %.2f | %s |" % (name, threads, mm, om, ratio, arch))
    print("\n%d interleaved rounds of %d iterations (after %d warm-up) per side; median of the round medians."
          % (a.rounds, a.iterations, a.warmup))
    # thread scaling: latency at the fewest threads measured over latency at each larger count
    base = {}
    for name, threads, mm, om, _, _ in rows:
        if name not in base or threads < base[name][0]:
            base[name] = (threads, mm, om)
    scaling = [(name, threads, base[name][1] / mm, base[name][2] / om)
               for name, threads, mm, om, _, _ in rows if threads != base[name][0] and mm and om]
    if scaling:
        print("\n| model | speed-up | moir | onnxruntime |")
        print("|---|---|---:|---:|")
        for name, threads, ms, os_ in scaling:
            print("| %s | %d -> %d threads | %.2fx | %.2fx |" % (name, base[name][0], threads, ms, os_))


if __name__ == "__main__":
    main()
