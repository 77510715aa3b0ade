#!/usr/bin/env python3
"""Writes a Kaldi nnet1 network from an openWakeWord MLP head (.onnx: Flatten, Gemm, Relu, Sigmoid,
Softmax), for moir's Kaldi tests (the .onnx twin run by onnxruntime is the golden reference).

  onnx_to_nnet1.py --onnx alexa_v0.1.onnx --output alexa.nnet --form text|binary --style affine|split

The head reads [1, K, 96] (K embedding frames); the nnet1 network reads frames [T, 96] and starts
with <Splice> [ 0 1 ... K-1 ], so that its output at frame t is the head on frames t..t+K-1 (rows
whose window passes the last frame see it repeated, as nnet1's Splice clamps). --style affine
writes each Gemm as one <AffineTransform>; --style split as <LinearTransform> (W / s), <Rescale> (s)
and <AddShift> (b) for a random positive s per output (the same function). Needs Debian's python3-onnx and python3-numpy.
"""
import argparse
import struct

import numpy as np
import onnx
from onnx import numpy_helper


class Writer:
    def __init__(self, binary):
        self.binary = binary
        self.out = bytearray(b"\0B" if binary else b"")

    def raw(self, s):
        self.out += s.encode("latin1") if isinstance(s, str) else s

    def token(self, t):
        self.raw(t + " ")

    def int32(self, v):
        self.raw(b"\x04" + struct.pack("<i", int(v)) if self.binary else "%d " % v)

    def float32(self, v):
        self.raw(b"\x04" + struct.pack("<f", float(v)) if self.binary else "%.9g " % v)

    def int_vector(self, v):
        if self.binary:
            self.raw(b"\x04" + struct.pack("<i", len(v)) + np.asarray(v, dtype="<i4").tobytes())
        else:
            self.raw("[ " + " ".join("%d" % x for x in v) + " ]\n")

    def matrix(self, m):
        m = np.asarray(m, dtype=np.float32)
        if self.binary:
            self.token("FM")
            self.int32(m.shape[0])
            self.int32(m.shape[1])
            self.raw(m.astype("<f4").tobytes())
        else:
            self.raw("[\n" + "\n".join("  " + " ".join("%.9g" % x for x in row) for row in m) + " ]\n")

    def vector(self, v):
        v = np.asarray(v, dtype=np.float32)
        if self.binary:
            self.token("FV")
            self.int32(len(v))
            self.raw(v.astype("<f4").tobytes())
        else:
            self.raw("[ " + " ".join("%.9g" % x for x in v) + " ]\n")

    def component(self, kind, out_dim, in_dim):
        self.token("<%s>" % kind)
        self.int32(out_dim)
        self.int32(in_dim)
        if not self.binary:
            self.raw("\n")

    def end(self):
        self.token("<!EndOfComponent>")
        if not self.binary:
            self.raw("\n")


def convert(onnx_path, binary, style, seed=0):
    m = onnx.load(onnx_path)
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    frames, dim = shape[1], shape[2]
    rng = np.random.default_rng(seed)
    w = Writer(binary)
    w.token("<Nnet>")
    if not binary:
        w.raw("\n")
    w.component("Splice", frames * dim, dim)
    w.int_vector(list(range(frames)))
    w.end()
    width = frames * dim
    for node in m.graph.node:
        if node.op_type == "Flatten":
            continue
        if node.op_type == "Gemm":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            assert attrs.get("transB", 0) == 1 and attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0
            W, b = init[node.input[1]], init[node.input[2]]
            o, i = W.shape
            if style == "affine":
                w.component("AffineTransform", o, i)
                w.token("<LearnRateCoef>")
                w.float32(1)
                w.token("<BiasLearnRateCoef>")
                w.float32(1)
                w.token("<MaxNorm>")
                w.float32(0)
                w.matrix(W)
                w.vector(b)
                w.end()
            else:
                s = rng.uniform(0.5, 2.0, o).astype(np.float32)
                w.component("LinearTransform", o, i)
                w.token("<LearnRateCoef>")
                w.float32(1)
                w.matrix(W / s[:, None])
                w.end()
                w.component("Rescale", o, o)
                w.token("<LearnRateCoef>")
                w.float32(1)
                w.vector(s)
                w.end()
                w.component("AddShift", o, o)
                w.token("<LearnRateCoef>")
                w.float32(1)
                w.vector(b)
                w.end()
            width = o
            continue
        kind = {"Relu": "RectifiedLinear", "Sigmoid": "Sigmoid", "Softmax": "Softmax", "Tanh": "Tanh"}[node.op_type]
        w.component(kind, width, width)
        w.end()
    w.token("</Nnet>")
    return bytes(w.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--form", choices=["text", "binary"], default="text")
    ap.add_argument("--style", choices=["affine", "split"], default="affine")
    a = ap.parse_args()
    open(a.output, "wb").write(convert(a.onnx, a.form == "binary", a.style))


if __name__ == "__main__":
    main()
