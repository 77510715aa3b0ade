#!/usr/bin/python3
"""Accuracy of the PaddleOCR models on moir (FP32, FP16, INT8 IRs) and onnxruntime FP32.

On text the project renders itself (tools/render_text.py, Debian's DejaVu and Liberation fonts),
deterministically from seeds:

  rec  N held-out text lines (--count, --seed): exact line match %, character accuracy %
       (1 - sum of edit distances / sum of label lengths, in Unicode characters) and mean
       inference time per line, per variant;
  cls  the same kind of lines at 48x192, every second one upside down (--cls_count): share of
       lines whose orientation (0/180) is found, per variant;
  det  a few rendered pages (--pages): IoU of the thresholded (> 0.3) probability maps of each
       variant against moir FP32's.

Also writes a calibration set for INT8 (--calib_count lines from --calib_seed, labels kept apart)
whose texts are disjoint from the held-out lines. Variants: onnxruntime FP32 (npm
onnxruntime-node, tools/ort_run.js, one node process per model and set), moir FP32 and FP16 IRs
(made here by `moir convert`, FP16 with --compress_to_fp16), and moir INT8 when --int8 REC.xml
(and --int8_cls / --int8_det) gives IRs, or --make_int8 asks `moir convert --data_type INT8
--calibration_data` to make the rec one from the calibration set. Every variant is optional (--variants).

Prints a markdown table; --json writes the numbers; --check asserts the regression bounds the
ctest uses (see --help). Run with Debian's /usr/bin/python3 (numpy, PIL) after building
`moir_cli` and `example_ocr_accuracy`. Exit status 0, or 1 with the failing step named.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models", "assets")
ONNX = {
    "rec": "ch_PP-OCRv4_rec_infer.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "det": "ch_PP-OCRv4_det_infer.onnx",
}
SHAPES = {"rec": "[1,3,48,320]", "cls": "[1,3,48,192]", "det": "[1,3,640,640]"}
INPUT = "x"  # the input name of all three PaddleOCR models
DET_THRESHOLD = 0.3


class Failure(Exception):
    pass


def run(cmd, what, capture=True):
    """Runs a command; returns its stdout; raises Failure naming `what` on a non-zero exit."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise Failure("%s failed (exit %d): %s\n%s" % (what, p.returncode, " ".join(cmd), (p.stderr or "").strip()[-2000:]))
    return p.stdout


def render(args, sub, out_dir, *extra):
    cmd = [sys.executable, os.path.join(ROOT, "tools", "render_text.py"), sub] + list(extra)
    run(cmd + (["--out_dir", out_dir] if sub == "lines" else []), "render_text.py " + sub)


def read_labels(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def make_sets(args):
    """The held-out rec and cls lines, the det pages and the disjoint calibration set."""
    sets = os.path.join(args.out, "sets")
    rec_dir, cls_dir = os.path.join(sets, "rec"), os.path.join(sets, "cls")
    calib_dir, det_dir = os.path.join(sets, "calibration"), os.path.join(sets, "det")
    for d in (rec_dir, cls_dir, calib_dir, det_dir):
        shutil.rmtree(d, ignore_errors=True)
    render(args, "lines", rec_dir, "--count", str(args.count), "--seed", str(args.seed), "--charset", "mixed")
    render(args, "lines", cls_dir, "--count", str(args.cls_count), "--seed", str(args.seed + 1), "--charset", "mixed",
           "--width", "192", "--rotate_odd")
    held_out = {row[1] for row in read_labels(os.path.join(rec_dir, "labels.txt"))}
    held_out |= {row[1] for row in read_labels(os.path.join(cls_dir, "labels.txt"))}
    # calibration: another seed; lines whose text is also held out are dropped, so the sets are disjoint
    render(args, "lines", calib_dir, "--count", str(args.calib_count), "--seed", str(args.calib_seed), "--charset", "mixed")
    calib = read_labels(os.path.join(calib_dir, "labels.txt"))
    dropped = 0
    with open(os.path.join(sets, "calibration_labels.txt"), "w", encoding="utf-8") as f:
        for name, text in calib:
            if text in held_out:
                os.remove(os.path.join(calib_dir, name + ".npy"))
                dropped += 1
            else:
                f.write("%s\t%s\n" % (name, text))
    os.remove(os.path.join(calib_dir, "labels.txt"))  # the folder holds model inputs only
    # det pages: four held-out texts each, rendered at 640x640 with PaddleOCR's det normalization
    texts = [row[1] for row in read_labels(os.path.join(rec_dir, "labels.txt"))]
    for k in range(args.pages):
        lines = [texts[(4 * k + i) % len(texts)] for i in range(4)]
        run([sys.executable, os.path.join(ROOT, "tools", "render_text.py"), "det", "--size", "640", "--lines"] + lines +
            ["--out", os.path.join(det_dir, "page_%02d.npy" % k)], "render_text.py det")
    return {"rec": rec_dir, "cls": cls_dir, "det": det_dir, "calibration": calib_dir,
            "calibration_lines": len(calib) - dropped, "calibration_dropped": dropped}


def convert(args, task, variant, calib_dir=None):
    """Converts one PaddleOCR model to IR; returns the .xml path."""
    out = os.path.join(args.out, "ir")
    os.makedirs(out, exist_ok=True)
    name = "%s_%s" % (task, variant)
    cmd = [args.moir, "convert", "--input_model", os.path.join(ASSETS, ONNX[task]), "--output_dir", out,
           "--model_name", name, "--input_shape", SHAPES[task]]
    if variant == "fp16":
        cmd.append("--compress_to_fp16")
    if variant == "int8":
        cmd += ["--data_type", "INT8", "--calibration_data", calib_dir] + shlex.split(args.int8_args or "")
    run(cmd, "moir convert (%s %s)" % (task, variant))
    return os.path.join(out, name + ".xml")


def accuracy(args, task, lines_dir, model=None, outputs=None):
    cmd = [args.accuracy, task, "--lines", lines_dir]
    if task == "rec":
        cmd += ["--keys", os.path.join(ASSETS, "ppocr_keys_v1.txt")]
    cmd += ["--model", model, "--threads", str(args.threads)] if model else ["--outputs", outputs]
    return json.loads(run(cmd, "ocr_accuracy %s (%s)" % (task, model or outputs)))


def ort_outputs(args, task, inputs):
    """Runs onnxruntime over a folder of inputs; returns (outputs folder, mean ms per input)."""
    out = os.path.join(args.out, "ort", task)
    shutil.rmtree(out, ignore_errors=True)
    timing = out + "_timing.json"
    run(["node", os.path.join(ROOT, "tools", "ort_run.js"), "--model", os.path.join(ASSETS, ONNX[task]),
         "--input", "%s=%s/" % (INPUT, inputs), "--output_dir", out, "--threads", str(args.threads),
         "--timing", timing], "onnxruntime (%s)" % task)
    with open(timing) as f:
        return out, json.load(f)["mean_ms"]


def moir_maps(args, model, pages, name):
    out = os.path.join(args.out, "maps", name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    run([args.moir, "run", "--model", model, "--input", "%s=%s/" % (INPUT, pages), "--output_dir", out,
         "--threads", str(args.threads)], "moir run (det %s)" % name)
    return out


def load_maps(folder):
    maps = {}
    for page in sorted(os.listdir(folder)):
        files = [f for f in os.listdir(os.path.join(folder, page)) if f.endswith(".npy")]
        if len(files) != 1:
            raise Failure("%s/%s: expected one det output .npy, found %d" % (folder, page, len(files)))
        maps[page] = np.load(os.path.join(folder, page, files[0]))
    if not maps:
        raise Failure("%s: no det outputs" % folder)
    return maps


def iou(maps, reference):
    """Mean and minimum over pages of |A and B| / |A or B| of the maps thresholded at 0.3."""
    values = []
    for page, ref in reference.items():
        if page not in maps or maps[page].shape != ref.shape:
            raise Failure("det map of %s missing or of another shape" % page)
        a, b = maps[page] > DET_THRESHOLD, ref > DET_THRESHOLD
        union = np.logical_or(a, b).sum()
        values.append(1.0 if union == 0 else np.logical_and(a, b).sum() / union)
    return float(np.mean(values)), float(np.min(values))


def fmt(v, digits=2):
    return "-" if v is None else ("%.*f" % (digits, v))


def main(argv=None):
    p = argparse.ArgumentParser(prog="ocr_accuracy.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="build folder with moir and ocr_accuracy (default build/)")
    p.add_argument("--out", help="work folder (default BUILD/ocr_accuracy_work)")
    p.add_argument("--count", type=int, default=200, help="held-out rec lines (default 200)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the held-out sets (default 2026; cls uses seed+1)")
    p.add_argument("--cls_count", type=int, help="cls lines, half upside down (default: --count)")
    p.add_argument("--calib_count", type=int, default=100, help="calibration lines (default 100)")
    p.add_argument("--calib_seed", type=int, default=777, help="seed of the calibration set (default 777)")
    p.add_argument("--pages", type=int, default=3, help="det pages (default 3)")
    p.add_argument("--threads", type=int, default=1, help="threads per runtime (default 1)")
    p.add_argument("--variants", default="ort,fp32,fp16",
                   help="comma-separated, of ort, fp32, fp16 (default all three; int8 joins with --int8/--make_int8)")
    p.add_argument("--tasks", default="rec,cls,det", help="comma-separated, of rec, cls, det (default all)")
    p.add_argument("--int8", metavar="REC.xml", help="an INT8 rec IR to measure as well")
    p.add_argument("--int8_cls", metavar="CLS.xml", help="an INT8 cls IR")
    p.add_argument("--int8_det", metavar="DET.xml", help="an INT8 det IR")
    p.add_argument("--make_int8", action="store_true",
                   help="make the INT8 rec IR with moir convert --data_type INT8 --calibration_data "
                        "OUT/sets/calibration (rec inputs, disjoint from the held-out lines)")
    p.add_argument("--int8_args", metavar="FLAGS",
                   help="extra moir convert flags for --make_int8, e.g. \"--calibration_method minmax\"")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--check", action="store_true",
                   help="assert: moir FP32 rec character accuracy within 0.5 points of onnxruntime's and at "
                        "least --min_char_accuracy; FP16 within 1 point of FP32; INT8 (when given) at most 0.3 points "
                        "under FP32; cls FP32 and FP16 within 5 "
                        "points of onnxruntime; det IoU of onnxruntime and FP16 vs FP32 at least 0.95 "
                        "(whichever of these were measured); exit 1 naming each failed bound")
    p.add_argument("--min_char_accuracy", type=float, default=98.5,
                   help="--check floor for moir FP32 rec character accuracy, %% (default 98.5: measured 99.60 on the "
                        "20 lines of seed 2026 and 99.65 on 200; one error in 20 lines costs about 0.4)")
    args = p.parse_args(argv)
    args.out = args.out or os.path.join(args.build, "ocr_accuracy_work")
    args.cls_count = args.cls_count or args.count
    args.moir = os.path.join(args.build, "moir")
    args.accuracy = os.path.join(args.build, "ocr_accuracy")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    try:
        for v in variants:
            if v not in ("ort", "fp32", "fp16", "int8"):
                raise Failure("unknown variant %r (ort, fp32, fp16)" % v)
        for t in tasks:
            if t not in ("rec", "cls", "det"):
                raise Failure("unknown task %r (rec, cls, det)" % t)
        if args.count < 1 or args.cls_count < 1 or args.pages < 1:
            raise Failure("--count, --cls_count and --pages must be positive")
        for exe in (args.moir, args.accuracy):
            if not os.access(exe, os.X_OK):
                raise Failure("%s not found: build it (cmake --build %s --target moir_cli example_ocr_accuracy)" % (exe, args.build))
        for f in list(ONNX.values()) + ["ppocr_keys_v1.txt"]:
            if not os.path.isfile(os.path.join(ASSETS, f)):
                raise Failure("%s missing: run tools/setup.sh" % os.path.join(ASSETS, f))
        given_int8 = {"rec": args.int8, "cls": args.int8_cls, "det": args.int8_det}
        for t, path in given_int8.items():
            if path and not os.path.isfile(path):
                raise Failure("--int8%s %s: no such file" % ("" if t == "rec" else "_" + t, path))
        if (any(given_int8.values()) or args.make_int8) and "int8" not in variants:
            variants.append("int8")

        t0 = time.time()
        sets = make_sets(args)
        models = {}  # (task, variant) -> IR path
        for t in tasks:
            for v in variants:
                if v in ("fp32", "fp16"):
                    models[(t, v)] = convert(args, t, v)
                elif v == "int8" and given_int8[t]:
                    models[(t, v)] = given_int8[t]
                elif v == "int8" and args.make_int8 and t == "rec":
                    models[(t, v)] = convert(args, t, v, sets["calibration"])
        if "det" in tasks and "fp32" not in variants:
            models[("det", "fp32")] = convert(args, "det", "fp32")  # the det reference

        results = {"count": args.count, "cls_count": args.cls_count, "pages": args.pages, "seed": args.seed,
                   "calib_seed": args.calib_seed, "calibration_lines": sets["calibration_lines"],
                   "calibration_dropped_as_held_out": sets["calibration_dropped"], "threads": args.threads,
                   "rec": {}, "cls": {}, "det": {}}
        for t in ("rec", "cls"):
            if t not in tasks:
                continue
            for v in variants:
                if v == "ort":
                    outputs, ms = ort_outputs(args, t, sets[t])
                    r = accuracy(args, t, sets[t], outputs=outputs)
                    r["mean_ms"] = ms
                elif (t, v) in models:
                    r = accuracy(args, t, sets[t], model=models[(t, v)])
                else:
                    continue
                results[t][v] = r
        if "det" in tasks:
            ref = load_maps(moir_maps(args, models[("det", "fp32")], sets["det"], "fp32"))
            for v in variants:
                if v == "ort":
                    folder, _ = ort_outputs(args, "det", sets["det"])
                elif (("det", v) in models) and v != "fp32":
                    folder = moir_maps(args, models[("det", v)], sets["det"], v)
                elif v == "fp32":
                    results["det"][v] = {"iou_mean": 1.0, "iou_min": 1.0}
                    continue
                else:
                    continue
                mean, low = iou(load_maps(folder), ref)
                results["det"][v] = {"iou_mean": mean, "iou_min": low}
        results["seconds"] = time.time() - t0

        names = {"ort": "onnxruntime FP32", "fp32": "moir FP32", "fp16": "moir FP16", "int8": "moir INT8"}
        print("%d held-out rec lines (seed %d), %d cls lines (half upside down), %d det pages; %d thread(s)\n"
              % (args.count, args.seed, args.cls_count, args.pages, args.threads))
        print("| variant | rec exact line % | rec char accuracy % | rec ms/line | cls accuracy % | det IoU vs moir FP32 (mean / min) |")
        print("|---|---:|---:|---:|---:|---:|")
        for v in variants:
            rec, cls, det = results["rec"].get(v), results["cls"].get(v), results["det"].get(v)
            print("| %s | %s | %s | %s | %s | %s |" % (
                names[v], fmt(rec and rec["exact_pct"], 1), fmt(rec and rec["char_accuracy_pct"]),
                fmt(rec and rec.get("mean_ms")), fmt(cls and cls["accuracy_pct"], 1),
                "-" if not det else "%.4f / %.4f" % (det["iou_mean"], det["iou_min"])))
        print("\ncalibration set: %d lines (seed %d; %d dropped as held-out texts), in %s"
              % (sets["calibration_lines"], args.calib_seed, sets["calibration_dropped"], sets["calibration"]))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)

        if args.check:
            failed = []

            def bound(ok, text):
                print("check: %s: %s" % ("ok" if ok else "FAILED", text))
                if not ok:
                    failed.append(text)

            rec = results["rec"]
            if "fp32" in rec:
                a = rec["fp32"]["char_accuracy_pct"]
                bound(a >= args.min_char_accuracy, "moir FP32 char accuracy %.2f%% >= %.2f%%" % (a, args.min_char_accuracy))
                if "ort" in rec:
                    b = rec["ort"]["char_accuracy_pct"]
                    bound(abs(a - b) <= 0.5, "moir FP32 char accuracy %.2f%% within 0.5 points of onnxruntime's %.2f%%" % (a, b))
                if "fp16" in rec:
                    b = rec["fp16"]["char_accuracy_pct"]
                    bound(abs(a - b) <= 1.0, "moir FP16 char accuracy %.2f%% within 1 point of FP32's %.2f%%" % (b, a))
                if "int8" in rec:  # issue 6's target (on at least 200 held-out lines)
                    b = rec["int8"]["char_accuracy_pct"]
                    bound(a - b <= 0.3, "moir INT8 char accuracy %.2f%% at most 0.3 points under FP32's %.2f%%" % (b, a))
            cls = results["cls"]
            for v in ("fp32", "fp16"):
                if v in cls and "ort" in cls:
                    a, b = cls[v]["accuracy_pct"], cls["ort"]["accuracy_pct"]
                    bound(abs(a - b) <= 5.0, "cls %s accuracy %.1f%% within 5 points of onnxruntime's %.1f%%" % (v, a, b))
            for v in ("ort", "fp16"):
                if v in results["det"]:
                    m = results["det"][v]["iou_min"]
                    bound(m >= 0.95, "det %s map IoU vs moir FP32 %.4f >= 0.95 on every page" % (v, m))
            if failed:
                raise Failure("%d check(s) failed: %s" % (len(failed), "; ".join(failed)))
    except Failure as e:
        print("ocr_accuracy.py: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
