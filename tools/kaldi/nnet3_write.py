#!/usr/bin/env python3
"""Writes Kaldi nnet3 files (text or binary) for moir's tests, with nnet3_ref.py's reader.

  nnet3_write.py convert --model final.raw --output final.txt --form text|binary
      re-writes a model (read with nnet3_ref.read_nnet3) in the other form.
  nnet3_write.py testnet --output net.txt --form text|binary [--unknown]
      writes a small random network that uses every descriptor (Append, Offset, Sum, Round,
      ReplaceIndex, IfDefined) and the frame-wise components moir supports; --unknown adds two
      component types moir does not know (for the error test); --compress (binary) stores three
      weight matrices as Kaldi compressed matrices (CM, CM2, CM3).
"""
import argparse
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nnet3_ref  # noqa: E402

INT_VECTOR_FIELDS = nnet3_ref.INT_VECTOR_FIELDS


def fmt(v):
    return "%.9g" % v


class Writer:
    def __init__(self, binary):
        self.binary = binary
        self.out = bytearray(b"\0B" if binary else b"")

    def raw(self, s):
        self.out += s.encode("latin1") if isinstance(s, str) else s

    def token(self, t):
        self.raw(t + " ")

    def int32(self, v):
        if self.binary:
            self.raw(b"\x04" + struct.pack("<i", int(v)))
        else:
            self.raw("%d " % v)

    def float32(self, v):
        if self.binary:
            self.raw(b"\x04" + struct.pack("<f", float(v)))
        else:
            self.raw(fmt(v) + " ")

    def boolean(self, v):
        self.raw(("T" if v else "F") + ("" if self.binary else " "))

    def int_vector(self, v):
        if self.binary:
            self.raw(b"\x04" + struct.pack("<i", len(v)) + np.asarray(v, dtype="<i4").tobytes())
        else:
            self.raw("[ " + " ".join("%d" % x for x in v) + " ] ")

    def matrix(self, m):
        m = np.asarray(m, dtype=np.float32)
        if self.binary:
            self.token("FM")
            self.int32(m.shape[0])
            self.int32(m.shape[1])
            self.raw(m.astype("<f4").tobytes())
        else:
            self.raw("[\n" + "\n".join("  " + " ".join(fmt(x) for x in row) for row in m) + " ]\n")

    def compressed(self, m, kind):
        """Kaldi's CompressedMatrix: CM (one byte per value with per-column percentile headers),
        CM2 (two bytes), CM3 (one byte), binary only: the token, min, range, rows, cols, data."""
        m = np.asarray(m, dtype=np.float64)
        r, c = m.shape
        mn, mx = float(m.min()), float(m.max())
        rg = max(mx - mn, 1e-6)
        self.token(kind)
        self.raw(struct.pack("<ffii", mn, rg, r, c))
        if kind == "CM2":
            q = np.clip(np.round((m - mn) / rg * 65535), 0, 65535).astype("<u2")
            self.raw(q.tobytes())
        elif kind == "CM3":
            q = np.clip(np.round((m - mn) / rg * 255), 0, 255).astype(np.uint8)
            self.raw(q.tobytes())
        else:
            def u16(v):
                return int(np.clip(np.round((v - mn) / rg * 65535), 0, 65535))
            heads, cols = [], []
            for j in range(c):
                col = m[:, j]
                hq = [u16(np.percentile(col, p)) for p in (0, 25, 75, 100)]
                hq = [hq[0], max(hq[1], hq[0] + 1), 0, 0]
                hq[2] = max(u16(np.percentile(col, 75)), hq[1] + 1)
                hq[3] = max(u16(np.percentile(col, 100)), hq[2] + 1)
                hq = [min(h, 65535) for h in hq]
                p0, p25, p75, p100 = [mn + rg / 65535.0 * h for h in hq]
                q = np.where(col < p25, np.clip(np.floor((col - p0) / (p25 - p0) * 64 + 0.5), 0, 64),
                             np.where(col < p75, np.clip(np.floor(64 + (col - p25) / (p75 - p25) * 128 + 0.5), 64, 192),
                                      np.clip(np.floor(192 + (col - p75) / (p100 - p75) * 63 + 0.5), 192, 255)))
                heads.append(struct.pack("<4H", *hq))
                cols.append(q.astype(np.uint8).tobytes())
            self.raw(b"".join(heads) + b"".join(cols))

    def vector(self, v):
        v = np.asarray(v, dtype=np.float32)
        if self.binary:
            self.token("FV")
            self.int32(len(v))
            self.raw(v.astype("<f4").tobytes())
        else:
            self.raw("[ " + " ".join(fmt(x) for x in v) + " ]\n")


def write_nnet3(path, lines, comps, binary, compress=None):
    """compress: {component name: "CM" | "CM2" | "CM3"} for its LinearParams (binary only)."""
    compress = compress or {}
    w = Writer(binary)
    w.token("<Nnet3>")
    w.raw("\n" + "\n".join(lines) + "\n\n")
    w.token("<NumComponents>")
    w.int32(len(comps))
    if not binary:
        w.raw("\n")
    for name, (ctype, fields) in comps.items():
        w.token("<ComponentName>")
        w.token(name)
        w.token("<%s>" % ctype)
        for k, v in fields.items():
            w.token("<%s>" % k)
            if k in INT_VECTOR_FIELDS:
                w.int_vector(v)
            elif isinstance(v, (bool, np.bool_)):
                w.boolean(v)
            elif isinstance(v, (int, np.integer)):
                w.int32(v)
            elif isinstance(v, float):
                w.float32(v)
            elif np.ndim(v) == 2 and k == "LinearParams" and name in compress:
                w.compressed(v, compress[name])
            elif np.ndim(v) == 2:
                w.matrix(v)
            else:
                w.vector(v)
        w.token("</%s>" % ctype)
        if not binary:
            w.raw("\n")
    w.token("</Nnet3>")
    open(path, "wb").write(bytes(w.out))


def test_net(unknown):
    rng = np.random.default_rng(5)

    def affine(o, i, kind="NaturalGradientAffineComponent"):
        f = {"LinearParams": rng.normal(0, 1 / np.sqrt(i), (o, i)), "BiasParams": rng.normal(0, 0.1, o)}
        if kind == "NaturalGradientAffineComponent":
            f = dict({"MaxChange": 0.75, "LearningRate": 0.001}, **f)
            f.update({"RankIn": 20, "RankOut": 80, "UpdatePeriod": 4, "NumSamplesHistory": 2000.0, "Alpha": 4.0})
        return (kind, f)

    def nonlin(kind, d):
        return (kind, {"Dim": d, "ValueAvg": np.zeros(0), "DerivAvg": np.zeros(0), "Count": 0.0})

    comps = {
        "a1": affine(16, 24),
        "r1": nonlin("RectifiedLinearComponent", 16),
        "bn1": ("BatchNormComponent", {"Dim": 16, "BlockDim": 8, "Epsilon": 0.001, "TargetRms": 0.5, "TestMode": True,
                                       "Count": 100.0, "StatsMean": rng.normal(0, 0.3, 8),
                                       "StatsVar": rng.uniform(0.2, 2.0, 8)}),
        "t1": ("TdnnComponent", {"MaxChange": 0.75, "LearningRate": 0.001, "TimeOffsets": np.array([-3, 0, 3]),
                                 "LinearParams": rng.normal(0, 0.25, (12, 48)), "BiasParams": rng.normal(0, 0.1, 12)}),
        "s1": nonlin("SigmoidComponent", 12),
        "a2": affine(12, 32, "AffineComponent"),
        "th": nonlin("TanhComponent", 12),
        "lin": ("LinearComponent", {"Params": rng.normal(0, 0.3, (12, 24))}),
        "fa": affine(12, 12, "FixedAffineComponent"),
        "nm": ("NormalizeComponent", {"InputDim": 12, "TargetRms": 1.5, "AddLogStddev": False}),
        "ep": ("ElementwiseProductComponent", {"InputDim": 24, "OutputDim": 12}),
        "dp": ("DropoutComponent", {"Dim": 12, "DropoutProportion": 0.5}),
        "no": ("NoOpComponent", {"Dim": 12}),
        "a3": affine(6, 24),
        "lsm": nonlin("LogSoftmaxComponent", 6),
        "a4": affine(5, 12),
        "sm": nonlin("SoftmaxComponent", 5),
    }
    lines = [
        "input-node name=input dim=8",
        "input-node name=ivector dim=4",
        "component-node name=a1 component=a1 input=Append(Offset(input, -1), input, Offset(input, 1))",
        "component-node name=r1 component=r1 input=a1",
        "component-node name=bn1 component=bn1 input=r1",
        "component-node name=t1 component=t1 input=bn1",
        "component-node name=s1 component=s1 input=t1",
        "component-node name=a2 component=a2 input=Append(Offset(r1, -2), Round(bn1, 2))",
        "component-node name=th component=th input=Sum(a2, s1)",
        "dim-range-node name=dr input-node=th dim-offset=4 dim=8",
        "component-node name=lin component=lin input=Append(th, IfDefined(Offset(s1, 4)))",
        "component-node name=fa component=fa input=lin",
        "component-node name=nm component=nm input=fa",
        "component-node name=ep component=ep input=Append(nm, Append(dr, ReplaceIndex(ivector, t, 0)))",
        "component-node name=dp component=dp input=ep",
        "component-node name=no component=no input=dp",
        "component-node name=a3 component=a3 input=Append(no, Offset(th, -1))",
        "component-node name=lsm component=lsm input=a3",
        "component-node name=a4 component=a4 input=no",
        "component-node name=sm component=sm input=a4",
        "output-node name=output input=lsm objective=linear",
        "output-node name=posteriors input=sm objective=linear",
    ]
    if unknown:
        comps["u1"] = ("LstmNonlinearityComponent", {"Dim": 12})
        comps["u2"] = ("LstmNonlinearityComponent", {"Dim": 12})
        comps["u3"] = ("ConvolutionComponent", {"Dim": 12})
        lines[-2:-2] = ["component-node name=u1 component=u1 input=no",
                        "component-node name=u2 component=u2 input=u1",
                        "component-node name=u3 component=u3 input=u2"]
    return lines, comps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["convert", "testnet"])
    ap.add_argument("--model")
    ap.add_argument("--output", required=True)
    ap.add_argument("--form", choices=["text", "binary"], default="text")
    ap.add_argument("--unknown", action="store_true")
    ap.add_argument("--compress", action="store_true",
                    help="binary: store a1, t1 and a2's LinearParams as compressed matrices CM, CM2, CM3")
    a = ap.parse_args()
    if a.mode == "convert":
        lines, comps = nnet3_ref.read_nnet3(a.model)
    else:
        lines, comps = test_net(a.unknown)
    compress = {"a1": "CM", "t1": "CM2", "a2": "CM3"} if a.compress else None
    write_nnet3(a.output, lines, comps, a.form == "binary", compress)


if __name__ == "__main__":
    main()
