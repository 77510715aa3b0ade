#!/usr/bin/python3
"""End-to-end test of examples/ocr (build/ocr): convert the three PaddleOCR models with
`moir convert`, render a 640x640 page with three known lines (tools/render_text.py det --raw),
read it with the pipeline and require each line read exactly, in order, inside the box it was
drawn in. Also: the page turned by 180 degrees reads the same (the classifier turns the crops
back), the page as a 600x500 PPM reads the same (det input resized to multiples of 32), --help
works, and a missing model is an error naming the file. Exit 0 when all hold, 1 otherwise (each failure printed).

  /usr/bin/python3 tests/examples/ocr_pipeline.py --build build
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.path.join(ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models", "assets")
LINES = ["Hello OCR 2026", "moir reads (this) line.", "price: $12.50, 40%"]


def sh(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="build folder holding moir and ocr")
    args = ap.parse_args()
    out = os.path.join(args.build, "test_scratch", "ocr_pipeline")
    os.makedirs(out, exist_ok=True)
    moir, ocr = os.path.join(args.build, "moir"), os.path.join(args.build, "ocr")
    failures = []

    def check(ok, what):
        print("%s: %s" % ("ok" if ok else "FAILED", what))
        if not ok:
            failures.append(what)

    # the IRs: det and rec with dynamic spatial dims (the pipeline picks the sizes), cls at 48x192
    for name, onnx, shape in (("det", "ch_PP-OCRv4_det_infer.onnx", None), ("rec", "ch_PP-OCRv4_rec_infer.onnx", None),
                              ("cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", "[1,3,48,192]")):
        cmd = [moir, "convert", "--input_model", os.path.join(ASSETS, onnx), "--output_dir", out, "--model_name", name]
        rc, so, se = sh(cmd + (["--input_shape", shape] if shape else []))
        if rc != 0:
            print("moir convert %s failed:\n%s%s" % (name, so, se))
            return 1
    page, boxes = os.path.join(out, "page.npy"), os.path.join(out, "page.json")
    rc, so, se = sh(["/usr/bin/python3", os.path.join(ROOT, "tools", "render_text.py"), "det", "--raw", "--size", "640",
                     "--lines"] + LINES + ["--out", page, "--boxes", boxes])
    if rc != 0:
        print("render_text.py failed:\n" + se)
        return 1
    base = [ocr, "--det", os.path.join(out, "det.xml"), "--cls", os.path.join(out, "cls.xml"), "--rec",
            os.path.join(out, "rec.xml"), "--keys", os.path.join(ASSETS, "ppocr_keys_v1.txt")]
    rc, so, se = sh(base + [page])
    print(so + se)
    check(rc == 0, "ocr exits 0")
    rows = [line.split(" ", 5) for line in so.splitlines()]
    check(len(rows) == len(LINES), "one output line per rendered line (%d, got %d)" % (len(LINES), len(rows)))
    with open(boxes) as f:
        drawn = json.load(f)["lines"]
    for i, (text, d) in enumerate(zip(LINES, drawn)):
        if i >= len(rows) or len(rows[i]) < 6:
            check(False, "line %d present" % i)
            continue
        x0, y0, x1, y1 = map(int, rows[i][:4])
        check(rows[i][5] == text, "line %d read exactly: %r (got %r)" % (i, text, rows[i][5]))
        l, t, r, b = d["box"]
        tol = max(4, int(0.15 * (b - t)))  # PIL's text box counts side bearings the detector does not see
        check(x0 <= l + tol and y0 <= t + tol and x1 >= r - tol and y1 >= b - tol,
              "line %d box %s holds the drawn text %s (within %d px)" % (i, [x0, y0, x1, y1], d["box"], tol))
        check((x1 - x0) <= (r - l) * 1.5 and (y1 - y0) <= (b - t) * 3,
              "line %d box %s is not much larger than the text %s" % (i, [x0, y0, x1, y1], d["box"]))

    # a page whose one line is upside down: cls turns the crop back before rec reads it
    rc, so, se = sh(["/usr/bin/python3", "-c",
                     "import numpy as np,sys; x=np.load(sys.argv[1]); np.save(sys.argv[2], x[:, :, ::-1, ::-1].copy())",
                     page, os.path.join(out, "flipped.npy")])
    rc, so, se = sh(base + [os.path.join(out, "flipped.npy")])
    print(so + se)
    texts = [line.split(" ", 5)[5] for line in so.splitlines() if len(line.split(" ", 5)) == 6]
    check(rc == 0 and sorted(texts) == sorted(LINES), "the page turned by 180 degrees reads the same lines: %r" % texts)

    # the same page as a binary PPM cut to 600x500 (not multiples of 32: det's input is resized)
    ppm = os.path.join(out, "page.ppm")
    rc, so, se = sh(["/usr/bin/python3", "-c",
                     "import numpy as np,sys; from PIL import Image; x=np.load(sys.argv[1])[0].transpose(1,2,0);"
                     "Image.fromarray(x[:500,:600].astype(np.uint8)).save(sys.argv[2])", page, ppm])
    rc, so, se = sh(base + [ppm])
    print(so + se)
    texts = [line.split(" ", 5)[5] for line in so.splitlines() if len(line.split(" ", 5)) == 6]
    check(rc == 0 and texts == LINES, "the page as a 600x500 PPM reads the same lines: %r" % texts)

    rc, so, _ = sh([ocr, "--help"])
    check(rc == 0 and "usage: ocr" in so, "ocr --help")
    rc, _, se = sh(base[:2] + [os.path.join(out, "nope.xml")] + base[3:] + [page])
    check(rc == 1 and "nope.xml" in se, "a missing det model fails naming the file: %r" % se.strip())
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
