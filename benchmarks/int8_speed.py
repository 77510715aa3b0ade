#!/usr/bin/env python3
"""moir INT8 against moir FP32 on PaddleOCR rec (1x3x48x320) and det (1x3x640x640), same machine,
same run: the latency the INT8 issue's target is stated in (INT8 / FP32 at one thread).

Makes the FP32 IRs with `moir convert`, and the INT8 ones (unless --rec_int8 / --det_int8 name
IRs) with `moir convert --data_type INT8` on calibration inputs it renders itself
(tools/render_text.py: --calib_lines rec lines of seed --calib_seed, --calib_pages det pages of
four of those lines each) and the flags of --int8_args (default "--overflow_fix enable
--smooth_quant 0.5": 7-bit convolution and MatMul weights, which AVX2 CPUs run on the vpmaddubsw
kernels, and channel smoothing for activations whose channels spread widely). Then, for each thread count,
--rounds rounds of `moir bench -n --iterations` over FP32 and INT8 alternately; it prints the median
latency of each model (median over rounds of each round's median), the INT8 / FP32 ratio and the
CPU model. Needs tools/setup.sh (the PaddleOCR models in third_party/npm) and a build of `moir`.

    /usr/bin/python3 benchmarks/int8_speed.py --threads 1 --rounds 3
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models", "assets")
ONNX = {"rec": "ch_PP-OCRv4_rec_infer.onnx", "det": "ch_PP-OCRv4_det_infer.onnx"}
SHAPES = {"rec": "[1,3,48,320]", "det": "[1,3,640,640]"}


def run(cmd, what):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("%s failed (exit %d):\n%s" % (what, r.returncode, r.stdout[-4000:]))
    return r.stdout


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def calibration(args):
    """Renders the rec lines and det pages; returns {task: folder}."""
    rec = os.path.join(args.out, "calib_rec")
    det = os.path.join(args.out, "calib_det")
    render = [sys.executable, os.path.join(ROOT, "tools", "render_text.py")]
    if not os.path.isdir(rec):
        run(render + ["lines", "--count", str(args.calib_lines), "--seed", str(args.calib_seed), "--charset", "mixed",
                      "--out_dir", rec], "render_text.py lines")
    labels = os.path.join(args.out, "calib_rec_labels.txt")  # moved out: the folder holds model inputs only
    if os.path.exists(os.path.join(rec, "labels.txt")):
        os.replace(os.path.join(rec, "labels.txt"), labels)
    with open(labels, encoding="utf-8") as f:
        texts = [line.rstrip("\n").split("\t")[1] for line in f if line.strip()]
    os.makedirs(det, exist_ok=True)
    for k in range(args.calib_pages):
        page = os.path.join(det, "page_%02d.npy" % k)
        if not os.path.exists(page):
            lines = [texts[(4 * k + i) % len(texts)] for i in range(4)]
            run(render + ["det", "--size", "640", "--lines"] + lines + ["--out", page], "render_text.py det")
    return {"rec": rec, "det": det}


def convert(args, task, int8_calib=None):
    name = "%s_%s" % (task, "int8" if int8_calib else "fp32")
    xml = os.path.join(args.out, name + ".xml")
    cmd = [args.moir, "convert", "--input_model", os.path.join(ASSETS, ONNX[task]), "--output_dir", args.out,
           "--model_name", name, "--input_shape", SHAPES[task]]
    if int8_calib:
        cmd += ["--data_type", "INT8", "--calibration_data", int8_calib] + shlex.split(args.int8_args)
    run(cmd, "moir convert (%s)" % name)
    return xml


def bench(args, xml, threads):
    out = run([args.moir, "bench", "-m", xml, "-t", str(threads), "-n", str(args.iterations), "--json"],
              "moir bench " + xml)
    start = out.find("{")
    return json.loads(out[start:])["median_ms"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="build folder with moir (default build/)")
    p.add_argument("--out", default=None, help="work folder (default BUILD/int8_speed_work)")
    p.add_argument("--models", default="rec,det", help="comma-separated, of rec, det (default both)")
    p.add_argument("--threads", type=int, nargs="+", default=[1], help="thread counts (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--iterations", type=int, default=20, help="moir bench -n per round (default 20)")
    p.add_argument("--rec_int8", help="an INT8 rec IR to use instead of making one")
    p.add_argument("--det_int8", help="an INT8 det IR to use instead of making one")
    p.add_argument("--int8_args", default="--overflow_fix enable --smooth_quant 0.5",
                   help='moir convert flags for the INT8 IRs it makes (default "--overflow_fix enable '
                        '--smooth_quant 0.5")')
    p.add_argument("--calib_lines", type=int, default=40, help="rec calibration lines (default 40)")
    p.add_argument("--calib_pages", type=int, default=8, help="det calibration pages (default 8)")
    p.add_argument("--calib_seed", type=int, default=777, help="seed of the calibration lines (default 777)")
    args = p.parse_args()
    args.moir = os.path.join(args.build, "moir")
    args.out = args.out or os.path.join(args.build, "int8_speed_work")
    os.makedirs(args.out, exist_ok=True)
    if not os.path.exists(args.moir):
        sys.exit("no moir in %s: build it first" % args.build)
    tasks = [t for t in args.models.split(",") if t]
    for t in tasks:
        if t not in ONNX:
            sys.exit("unknown model %r (rec, det)" % t)
        if not os.path.exists(os.path.join(ASSETS, ONNX[t])):
            sys.exit("missing %s: run tools/setup.sh" % os.path.join(ASSETS, ONNX[t]))
    given = {"rec": args.rec_int8, "det": args.det_int8}
    calib = calibration(args) if any(not given[t] for t in tasks) else {}
    irs = {}
    for t in tasks:
        irs[(t, "fp32")] = convert(args, t)
        irs[(t, "int8")] = given[t] or convert(args, t, calib[t])
    print("%s, moir bench -n %d, %d alternating rounds (median of the round medians)\n" %
          (cpu_name(), args.iterations, args.rounds))
    print("| model | threads | FP32 ms | INT8 ms | INT8 / FP32 |")
    print("|---|---:|---:|---:|---:|")
    for t in tasks:
        for th in args.threads:
            times = {"fp32": [], "int8": []}
            for _ in range(args.rounds):
                for v in ("fp32", "int8"):
                    times[v].append(bench(args, irs[(t, v)], th))
            f, q = statistics.median(times["fp32"]), statistics.median(times["int8"])
            print("| %s | %d | %.1f | %.1f | %.2f |" % (t, th, f, q, q / f), flush=True)


if __name__ == "__main__":
    main()
