#!/usr/bin/env python3
"""An independent NumPy implementation of Kaldi nnet1 inference (nnet-forward on one utterance), for
checking moir's Kaldi frontend. It shares no code with moir: its own reader of nnet1's text and
binary forms and its own float64 evaluator of the components, LstmProjected included (Kaldi's
nnet1 LstmProjected::PropagateFnc: peepholes i, f from c(t-1) and o from c(t), the cell clipped to
[-CellClip, CellClip] (default 50; 0 turns it off), a recurrent projection r = W_r_m m, a zero
initial state).

  nnet1_ref.py --model lstm.nnet --features feats.npy --output out.npy [--no_cell_clip]

feats.npy is [T, dim]; out.npy [T, output_dim]. --no_cell_clip evaluates the LSTMs without their
cell clipping (the control that shows a test's network clips).
"""
import argparse
import struct

import numpy as np


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0
        self.binary = data[:2] == b"\0B"
        if self.binary:
            self.p = 2

    def ws(self):
        while self.p < len(self.d) and self.d[self.p] in b" \n\t\r":
            self.p += 1

    def token(self):
        self.ws()
        s = self.p
        while self.p < len(self.d) and self.d[self.p] not in b" \n\t\r":
            self.p += 1
        if self.p < len(self.d) and self.binary:
            self.p += 1   # the space after a binary token
        return self.d[s:self.p].strip().decode("latin1")

    def peek(self):
        p = self.p
        t = self.token()
        self.p = p
        return t

    def basic(self, fmt):
        if not self.binary:
            t = self.token()
            return int(t) if fmt == "<i" else float(t)
        self.ws() if False else None
        size = self.d[self.p]
        self.p += 1
        v = struct.unpack_from(fmt, self.d, self.p)[0]
        self.p += size
        return v

    def int_vector(self):
        if not self.binary:
            assert self.token() == "["
            out = []
            while True:
                t = self.token()
                if t == "]":
                    return out
                out.append(int(t))
        self.p += 1
        n = struct.unpack_from("<i", self.d, self.p)[0]
        self.p += 4
        v = list(struct.unpack_from("<%di" % n, self.d, self.p))
        self.p += 4 * n
        return v

    def array(self):
        if not self.binary:
            assert self.token() == "["
            rows, row = [], []
            while True:
                self.ws()
                if self.d[self.p:self.p + 1] == b"]":
                    self.p += 1
                    break
                s = self.p
                while self.d[self.p] not in b" \n\t\r]":
                    self.p += 1
                row.append(float(self.d[s:self.p]))
                # a newline ends a matrix row
                q = self.p
                while q < len(self.d) and self.d[q] in b" \t\r":
                    q += 1
                if self.d[q:q + 1] == b"\n" and row:
                    rows.append(row)
                    row = []
            if row:
                rows.append(row)
            return np.array(rows if len(rows) > 1 else rows[0], dtype=np.float64)
        kind = self.token()
        if kind in ("FM", "DM"):
            r, c = self.basic("<i"), self.basic("<i")
            dt = "<f4" if kind == "FM" else "<f8"
            v = np.frombuffer(self.d, dtype=dt, count=r * c, offset=self.p).reshape(r, c)
        else:
            n = self.basic("<i")
            dt = "<f4" if kind == "FV" else "<f8"
            v = np.frombuffer(self.d, dtype=dt, count=n, offset=self.p)
        self.p += v.nbytes
        return v.astype(np.float64)

    def at_array(self):
        t = self.peek()
        return t in ("FM", "DM", "FV", "DV") if self.binary else t == "["


def read_nnet1(path):
    r = Reader(open(path, "rb").read())
    assert r.token() == "<Nnet>"
    comps = []
    while True:
        t = r.token()
        if t == "</Nnet>":
            return comps
        if t == "<!EndOfComponent>":
            continue
        c = {"type": t[1:-1], "out": r.basic("<i"), "in": r.basic("<i"), "fields": {}, "arrays": []}
        if c["type"] == "Splice":
            c["offsets"] = r.int_vector()
        while r.peek() not in ("<!EndOfComponent>", "</Nnet>"):
            if r.at_array():
                c["arrays"].append(r.array())
            else:
                k = r.token()[1:-1]
                c["fields"][k] = r.basic("<i" if k == "CellDim" else "<f")
        comps.append(c)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm(c, x, clip_cells):
    cell, proj = int(c["fields"]["CellDim"]), c["out"]
    wx, wr, b, pi, pf, po, wrm = c["arrays"]
    wx, wr, wrm = wx.reshape(4 * cell, -1), wr.reshape(4 * cell, proj), wrm.reshape(proj, cell)
    clip = c["fields"].get("CellClip", 50.0) if clip_cells else 0.0
    r, cc = np.zeros(proj), np.zeros(cell)
    out = []
    for t in range(x.shape[0]):
        z = wx @ x[t] + b + wr @ r
        g, i, f, o = z[:cell], z[cell:2 * cell], z[2 * cell:3 * cell], z[3 * cell:]
        i = sigmoid(i + pi * cc)
        f = sigmoid(f + pf * cc)
        cc = np.tanh(g) * i + cc * f
        if clip > 0:
            cc = np.clip(cc, -clip, clip)
        o = sigmoid(o + po * cc)
        r = wrm @ (np.tanh(cc) * o)
        out.append(r)
    return np.array(out)


def forward(comps, x, clip_cells=True):
    for c in comps:
        k = c["type"]
        if k == "Splice":
            T = x.shape[0]
            x = np.concatenate([x[np.clip(np.arange(T) + o, 0, T - 1)] for o in c["offsets"]], axis=1)
        elif k == "AffineTransform":
            x = x @ c["arrays"][0].reshape(c["out"], c["in"]).T + c["arrays"][1]
        elif k == "LinearTransform":
            x = x @ c["arrays"][0].reshape(c["out"], c["in"]).T
        elif k == "AddShift":
            x = x + c["arrays"][0]
        elif k == "Rescale":
            x = x * c["arrays"][0]
        elif k == "Sigmoid":
            x = sigmoid(x)
        elif k == "Tanh":
            x = np.tanh(x)
        elif k == "RectifiedLinear":
            x = np.maximum(x, 0)
        elif k == "Softmax":
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True)
        elif k in ("LstmProjected", "LstmProjectedStreams"):
            x = lstm(c, x, clip_cells)
        else:
            raise SystemExit("nnet1_ref.py: no component " + k)
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--features", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--no_cell_clip", action="store_true")
    a = ap.parse_args()
    y = forward(read_nnet1(a.model), np.load(a.features).astype(np.float64), not a.no_cell_clip)
    np.save(a.output, y.astype(np.float32))
    print("output", list(y.shape))


if __name__ == "__main__":
    main()
