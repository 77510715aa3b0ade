#!/usr/bin/env python3
"""Writes a Kaldi nnet1 network with two projected LSTM layers and deterministic weights, for moir's
Kaldi tests (tools/kaldi/nnet1_ref.py, an independent NumPy nnet1, gives the golden output).

  lstm_nnet1.py --output lstm.nnet --form text|binary [--seed 7]

The network reads frames [T, 20]: <Splice> [ -1 0 1 ], <AffineTransform> 60 -> 32, <Tanh>,
<LstmProjected> (cell 24, projection 16, <CellClip> 1.0: small, so that clipping happens),
<LstmProjectedStreams> (Kaldi's older name; cell 12, projection 10, no <CellClip>: Kaldi's default
50), <AffineTransform> 10 -> 6, <Softmax>. Weights are seeded normal draws; the forget-gate biases
are +1.5 so that cells accumulate over frames. Needs Debian's python3-numpy (and python3-onnx, which
onnx_to_nnet1.py, whose writer this script uses, imports).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_to_nnet1 import Writer  # noqa: E402  (Kaldi's text and binary tokens, matrices, vectors)


def lstm(w, rng, kind, in_dim, cell, proj, clip):
    w.component(kind, proj, in_dim)
    w.token("<CellDim>")
    w.int32(cell)
    w.token("<LearnRateCoef>")
    w.float32(1)
    w.token("<BiasLearnRateCoef>")
    w.float32(1)
    if clip is not None:
        w.token("<CellClip>")
        w.float32(clip)
        w.token("<DiffClip>")
        w.float32(1)
        w.token("<CellDiffClip>")
        w.float32(0)
        w.token("<GradClip>")
        w.float32(250)
    else:
        w.token("<ClipGradient>")  # the older component's only option
        w.float32(5)
    if not w.binary:
        w.raw("\n")
    bias = rng.normal(0, 0.3, 4 * cell)
    bias[2 * cell:3 * cell] += 1.5                     # forget gate
    w.matrix(rng.normal(0, 0.6, (4 * cell, in_dim)))   # W_gifo_x
    w.matrix(rng.normal(0, 0.4, (4 * cell, proj)))     # W_gifo_r
    w.vector(bias)
    for _ in range(3):                                 # peepholes i, f, o
        w.vector(rng.normal(0, 0.5, cell))
    w.matrix(rng.normal(0, 0.5, (proj, cell)))         # W_r_m
    w.end()


def affine(w, rng, out_dim, in_dim):
    w.component("AffineTransform", out_dim, in_dim)
    w.token("<LearnRateCoef>")
    w.float32(1)
    w.token("<BiasLearnRateCoef>")
    w.float32(1)
    w.token("<MaxNorm>")
    w.float32(0)
    w.matrix(rng.normal(0, 1.0 / np.sqrt(in_dim), (out_dim, in_dim)))
    w.vector(rng.normal(0, 0.1, out_dim))
    w.end()


def network(binary, seed):
    rng = np.random.default_rng(seed)
    w = Writer(binary)
    w.token("<Nnet>")
    if not binary:
        w.raw("\n")
    w.component("Splice", 60, 20)
    w.int_vector([-1, 0, 1])
    w.end()
    affine(w, rng, 32, 60)
    w.component("Tanh", 32, 32)
    w.end()
    lstm(w, rng, "LstmProjected", 32, 24, 16, 1.0)
    lstm(w, rng, "LstmProjectedStreams", 16, 12, 10, None)
    affine(w, rng, 6, 10)
    w.component("Softmax", 6, 6)
    w.end()
    w.token("</Nnet>")
    return bytes(w.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--output", required=True)
    ap.add_argument("--form", choices=["text", "binary"], default="text")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    open(a.output, "wb").write(network(a.form == "binary", a.seed))


if __name__ == "__main__":
    main()
