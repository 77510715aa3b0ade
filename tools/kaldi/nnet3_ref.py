#!/usr/bin/env python3
"""An independent NumPy implementation of Kaldi nnet3 inference, for checking moir's Kaldi frontend.

It shares no code with moir: its own reader of Kaldi's text and binary formats, and an evaluator that
follows nnet3's index semantics frame by frame (a (node, t) pair is computable when its descriptor's
inputs are; StatisticsExtraction/StatisticsPooling are computable when any input in their window is),
in float64.

  nnet3_ref.py --model final.raw --features feats.npy --output out.npy [--output_node output]
               [--frames all|zero]

feats.npy is [T, dim] (frames 0..T-1). The output is [N, dim] over the frames at which the output node
is computable (--frames all, the default) or the single frame t = 0 (--frames zero, what
nnet3-xvector-compute requests).
"""
import argparse
import re
import struct
import sys

import numpy as np


class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0
        self.binary = data[:2] == b"\0B"
        if self.binary:
            self.p = 2

    def ws(self):
        while self.p < len(self.d) and self.d[self.p:self.p + 1] in (b" ", b"\n", b"\t", b"\r"):
            self.p += 1

    def token(self):
        self.ws()
        s = self.p
        while self.p < len(self.d) and self.d[self.p:self.p + 1] not in (b" ", b"\n", b"\t", b"\r"):
            self.p += 1
        if s == self.p:
            raise ValueError("end of file at byte %d" % s)
        t = self.d[s:self.p].decode("latin1")
        if self.binary and self.p < len(self.d):
            self.p += 1
        return t

    def peek_token(self):
        p = self.p
        t = self.token()
        self.p = p
        return t

    def line(self):
        e = self.d.index(b"\n", self.p)
        s = self.d[self.p:e].decode("latin1")
        self.p = e + 1
        return s

    def basic(self, kind):
        if self.binary:
            self.ws() if False else None
            n = self.d[self.p]
            self.p += 1
            raw = self.d[self.p:self.p + n]
            self.p += n
            if kind == "i":
                return struct.unpack("<i" if n == 4 else "<q", raw)[0]
            return struct.unpack("<f" if n == 4 else "<d", raw)[0]
        t = self.token()
        return int(t) if kind == "i" else float(t)

    def boolean(self):
        self.ws()
        c = self.d[self.p:self.p + 1]
        self.p += 1
        if not self.binary:
            self.ws()
        return c == b"T"

    def int_vector(self):
        if self.binary:
            self.ws()
            n = self.d[self.p]
            cnt = struct.unpack("<i", self.d[self.p + 1:self.p + 5])[0]
            self.p += 5
            v = np.frombuffer(self.d, dtype="<i%d" % n, count=cnt, offset=self.p).astype(np.int64)
            self.p += n * cnt
            return v
        assert self.token() == "["
        out = []
        while True:
            t = self.token()
            if t == "]":
                return np.array(out, dtype=np.int64)
            out.append(int(t))

    def matrix_or_vector(self):
        if self.binary:
            t = self.token()
            if t in ("FM", "DM"):
                r = self.basic("i")
                c = self.basic("i")
                dt = "<f4" if t == "FM" else "<f8"
                m = np.frombuffer(self.d, dtype=dt, count=r * c, offset=self.p).reshape(r, c).astype(np.float64)
                self.p += r * c * np.dtype(dt).itemsize
                return m
            if t in ("FV", "DV"):
                n = self.basic("i")
                dt = "<f4" if t == "FV" else "<f8"
                v = np.frombuffer(self.d, dtype=dt, count=n, offset=self.p).astype(np.float64)
                self.p += n * np.dtype(dt).itemsize
                return v
            if t in ("CM", "CM2", "CM3"):
                mn, rg, r, c = struct.unpack("<ffii", self.d[self.p:self.p + 16])
                self.p += 16
                if t == "CM":
                    hdr = np.frombuffer(self.d, dtype="<u2", count=4 * c, offset=self.p).reshape(c, 4)
                    self.p += 8 * c
                    q = np.frombuffer(self.d, dtype=np.uint8, count=r * c, offset=self.p).reshape(c, r)
                    self.p += r * c
                    pc = mn + rg * (1.0 / 65535.0) * hdr.astype(np.float64)
                    out = np.zeros((c, r))
                    for j in range(c):
                        p0, p25, p75, p100 = pc[j]
                        v = q[j].astype(np.float64)
                        out[j] = np.where(v <= 64, p0 + (p25 - p0) * v / 64.0,
                                          np.where(v <= 192, p25 + (p75 - p25) * (v - 64) / 128.0,
                                                   p75 + (p100 - p75) * (v - 192) / 63.0))
                    return out.T
                if t == "CM2":
                    q = np.frombuffer(self.d, dtype="<u2", count=r * c, offset=self.p).reshape(r, c)
                    self.p += 2 * r * c
                    return mn + rg * (1.0 / 65535.0) * q
                q = np.frombuffer(self.d, dtype=np.uint8, count=r * c, offset=self.p).reshape(r, c)
                self.p += r * c
                return mn + rg * (1.0 / 255.0) * q
            raise ValueError("expected a matrix or vector at byte %d, got %r" % (self.p, t))
        t = self.token()
        assert t == "[", t
        rows, cur = [], []
        while True:
            self.ws() if False else None
            # read up to the next token, noting newlines (a text matrix has one row per line)
            while self.p < len(self.d) and self.d[self.p:self.p + 1] in (b" ", b"\t", b"\r", b"\n"):
                if self.d[self.p:self.p + 1] == b"\n" and cur:
                    rows.append(cur)
                    cur = []
                self.p += 1
            t = self.token()
            if t == "]":
                if cur:
                    rows.append(cur)
                break
            cur.append(float(t))
        if len(rows) == 1 and not self.matrix_hint:
            return np.array(rows[0])
        return np.array(rows)

    matrix_hint = False


INT_FIELDS = {"InputDim", "OutputDim", "Dim", "BlockDim", "InputPeriod", "OutputPeriod", "LeftContext",
              "RightContext", "NumLogCountFeatures", "RankIn", "RankOut", "UpdatePeriod", "OrthonormalConstraint"}
MATRIX_FIELDS = {"LinearParams", "Params"}
VECTOR_FIELDS = {"BiasParams", "StatsMean", "StatsVar", "ValueAvg", "DerivAvg", "OderivRms", "Scale", "Offset"}
INT_VECTOR_FIELDS = {"TimeOffsets"}


def read_component(r, ctype):
    """Reads fields up to </ctype>; returns a dict of field -> value."""
    end = "</" + ctype[1:]
    f = {}
    while True:
        t = r.token()
        if t == end:
            return f
        if not (t.startswith("<") and t.endswith(">")):
            raise ValueError("unexpected %r in %s at byte %d" % (t, ctype, r.p))
        name = t[1:-1]
        nxt = r.d[r.p:r.p + 1]
        if name in INT_VECTOR_FIELDS:
            f[name] = r.int_vector()
        elif name in MATRIX_FIELDS or name in VECTOR_FIELDS:
            r.matrix_hint = name in MATRIX_FIELDS
            f[name] = r.matrix_or_vector()
            r.matrix_hint = False
        elif r.binary and nxt in (b"T", b"F") and r.d[r.p + 1:r.p + 2] not in (b"M", b"V"):
            f[name] = r.boolean()
        elif r.binary and nxt and nxt[0] in (4, 8):
            f[name] = r.basic("i" if name in INT_FIELDS else "f")
        elif r.binary:
            # a value-less token, or a token value (e.g. an unused string)
            pass
        else:
            p = r.p
            v = r.token()
            if v in ("T", "F"):
                f[name] = v == "T"
            elif v.startswith("<"):
                r.p = p
            elif v == "[":
                r.p = p
                f[name] = r.matrix_or_vector()
            else:
                f[name] = int(v) if name in INT_FIELDS else float(v)


def read_nnet3(path):
    d = open(path, "rb").read()
    r = Reader(d)
    t = r.token()
    if t == "<TransitionModel>":
        e = d.index(b"</TransitionModel>", r.p)
        r.p = e + len(b"</TransitionModel>")
        t = r.token()
    assert t == "<Nnet3>", t
    r.ws()
    lines = []
    while True:
        ln = r.line()
        if not ln.strip():
            break
        lines.append(ln.strip())
    assert r.token() == "<NumComponents>"
    n = r.basic("i")
    comps = {}
    for _ in range(n):
        assert r.token() == "<ComponentName>"
        name = r.token()
        ctype = r.token()
        comps[name] = (ctype[1:-1], read_component(r, ctype))
    return lines, comps


def config_pairs(rest):
    """key=value pairs; a value runs to the next blank outside parentheses."""
    kv, i = {}, 0
    while i < len(rest):
        while i < len(rest) and rest[i].isspace():
            i += 1
        if i >= len(rest):
            break
        e = rest.index("=", i)
        key = rest[i:e]
        i = e + 1
        b, depth = i, 0
        while i < len(rest) and (depth > 0 or not rest[i].isspace()):
            depth += rest[i] == "("
            depth -= rest[i] == ")"
            i += 1
        kv[key] = rest[b:i]
    return kv


def parse_config(lines):
    nodes = {}
    order = []
    for ln in lines:
        kind, rest = ln.split(None, 1)
        kv = config_pairs(rest)
        nodes[kv["name"]] = (kind, kv)
        order.append(kv["name"])
    return nodes, order


def parse_desc(s):
    s = s.replace(" ", "")
    pos = [0]

    def term():
        m = re.match(r"([A-Za-z][\w.\-]*)", s[pos[0]:])
        word = m.group(1)
        pos[0] += len(word)
        if pos[0] < len(s) and s[pos[0]] == "(" and word in ("Append", "Offset", "Sum", "Round", "ReplaceIndex",
                                                              "IfDefined", "Failover", "Const", "Switch", "Scale"):
            pos[0] += 1
            args = []
            while True:
                if re.match(r"-?\d", s[pos[0]:]):
                    m2 = re.match(r"-?[\d.e+-]+", s[pos[0]:])
                    args.append(m2.group(0))
                    pos[0] += len(m2.group(0))
                elif s[pos[0]] in "xt" and s[pos[0] + 1] == ",":
                    args.append(s[pos[0]])
                    pos[0] += 1
                else:
                    args.append(term())
                if s[pos[0]] == ",":
                    pos[0] += 1
                    continue
                assert s[pos[0]] == ")"
                pos[0] += 1
                return (word, args)
        return ("node", word)

    d = term()
    assert pos[0] == len(s), s
    return d


class Evaluator:
    def __init__(self, model, inputs, remove_softmax=False):
        lines, comps = read_nnet3(model)
        self.nodes, self.order = parse_config(lines)
        self.comps = comps
        self.inputs = {k: np.asarray(v, dtype=np.float64) for k, v in inputs.items()}
        self.x = self.inputs[[n for n in self.order if self.nodes[n][0] == "input-node"][0]]
        self.memo = {}
        self.desc = {n: parse_desc(kv["input"]) for n, (k, kv) in self.nodes.items() if "input" in kv}
        if remove_softmax:
            for n, (k, kv) in self.nodes.items():
                d = self.desc.get(n)
                if k == "output-node" and d[0] == "node" and self.nodes[d[1]][0] == "component-node" and \
                        self.comps[self.nodes[d[1]][1]["component"]][0] in ("SoftmaxComponent", "LogSoftmaxComponent"):
                    self.desc[n] = self.desc[d[1]]

    # descriptor value at t, or None when not computable
    def desc_at(self, d, t):
        kind, a = d
        if kind == "node":
            return self.node_at(a, t)
        if kind == "Offset":
            return self.desc_at(a[0], t + int(a[1]))
        if kind == "Append":
            parts = [self.desc_at(x, t) for x in a]
            return None if any(p is None for p in parts) else np.concatenate(parts)
        if kind == "Sum":
            parts = [self.desc_at(x, t) for x in a]
            return None if any(p is None for p in parts) else parts[0] + parts[1]
        if kind == "Round":
            m = int(a[1])
            return self.desc_at(a[0], m * (t // m))
        if kind == "ReplaceIndex":
            assert a[1] == "t"
            return self.desc_at(a[0], int(a[2]))
        if kind == "IfDefined":
            v = self.desc_at(a[0], t)
            return v if v is not None else np.zeros(self.desc_dim(a[0]))
        raise ValueError("descriptor " + kind)

    def desc_dim(self, d):
        kind, a = d
        if kind == "node":
            return self.node_dim(a)
        if kind == "Append":
            return sum(self.desc_dim(x) for x in a)
        return self.desc_dim(a[0])

    def node_dim(self, n):
        k, kv = self.nodes[n]
        if k == "input-node":
            return int(kv["dim"])
        if k == "output-node":
            return self.desc_dim(self.desc[n])
        if k == "dim-range-node":
            return int(kv["dim"])
        ct, f = self.comps[kv["component"]]
        if ct in ("NaturalGradientAffineComponent", "AffineComponent", "FixedAffineComponent", "LinearComponent",
                  "TdnnComponent"):
            return f["LinearParams"].shape[0]
        if ct == "StatisticsExtractionComponent":
            return 1 + f["InputDim"] * (2 if f["IncludeVarinance"] else 1)
        if ct == "StatisticsPoolingComponent":
            return f["NumLogCountFeatures"] + f["InputDim"] - 1
        return self.desc_dim(self.desc[n])

    def node_at(self, n, t):
        key = (n, t)
        if key in self.memo:
            return self.memo[key]
        k, kv = self.nodes[n]
        if k == "input-node":
            x = self.inputs[n]
            v = x[t] if 0 <= t < len(x) else None
        elif k == "dim-range-node":
            src = self.node_at(kv["input-node"], t)
            o = int(kv["dim-offset"])
            v = None if src is None else src[o:o + int(kv["dim"])]
        elif k == "output-node":
            v = self.desc_at(self.desc[n], t)
        else:
            v = self.component_at(n, kv, t)
        self.memo[key] = v
        return v

    def component_at(self, n, kv, t):
        ct, f = self.comps[kv["component"]]
        d = self.desc[n]
        if ct == "StatisticsExtractionComponent":
            ip, op = f["InputPeriod"], f["OutputPeriod"]
            t0 = op * (t // op)
            xs = [self.desc_at(d, u) for u in range(t0, t0 + op, ip)]
            xs = [x for x in xs if x is not None]
            if not xs:
                return None
            xs = np.array(xs)
            out = [np.array([len(xs)]), xs.sum(0)]
            if f["IncludeVarinance"]:
                out.append((xs * xs).sum(0))
            return np.concatenate(out)
        if ct == "StatisticsPoolingComponent":
            ip = f["InputPeriod"]
            if t % ip:
                return None
            xs = [self.desc_at(d, u) for u in range(t - f["LeftContext"], t + f["RightContext"] + 1, ip)]
            xs = [x for x in xs if x is not None]
            if not xs:
                return None
            s = np.array(xs).sum(0)
            cnt = s[0]
            st = s[1:] / cnt
            out = []
            if f["NumLogCountFeatures"] > 0:
                out.append(np.full(f["NumLogCountFeatures"], np.log(cnt)))
            if f["OutputStddevs"]:
                h = (len(st)) // 2
                mean = st[:h]
                var = np.maximum(st[h:] - mean * mean, f["VarianceFloor"])
                out += [mean, np.sqrt(var)]
            else:
                out.append(st)
            return np.concatenate(out)
        if ct == "TdnnComponent":
            parts = [self.desc_at(d, t + int(o)) for o in f["TimeOffsets"]]
            if any(p is None for p in parts):
                return None
            x = np.concatenate(parts)
            y = f["LinearParams"] @ x
            if "BiasParams" in f and np.size(f["BiasParams"]):
                y = y + f["BiasParams"]
            return y
        x = self.desc_at(d, t)
        if x is None:
            return None
        if ct in ("NaturalGradientAffineComponent", "AffineComponent", "FixedAffineComponent"):
            return f["LinearParams"] @ x + f["BiasParams"]
        if ct == "LinearComponent":
            return f["Params"] @ x if "Params" in f else f["LinearParams"] @ x
        if ct == "RectifiedLinearComponent":
            return np.maximum(x, 0)
        if ct == "SigmoidComponent":
            return 1 / (1 + np.exp(-x))
        if ct == "TanhComponent":
            return np.tanh(x)
        if ct in ("NoOpComponent", "DropoutComponent", "GeneralDropoutComponent", "BackpropTruncationComponent"):
            return x
        if ct == "BatchNormComponent":
            bd = f["BlockDim"]
            mean, var = f["StatsMean"], f["StatsVar"]
            scale = f.get("TargetRms", 1.0) / np.sqrt(var + f["Epsilon"])
            xb = x.reshape(-1, bd)
            return ((xb - mean) * scale).reshape(-1)
        if ct == "NormalizeComponent":
            bd = f.get("BlockDim", f["InputDim"])
            xb = x.reshape(-1, bd)
            rms = f.get("TargetRms", 1.0)
            ms = (xb * xb).sum(1, keepdims=True) / bd
            return (xb / np.sqrt(np.maximum(ms / (rms * rms), 2.0 ** -66))).reshape(-1)
        if ct == "LogSoftmaxComponent":
            m = x.max()
            return x - m - np.log(np.exp(x - m).sum())
        if ct == "SoftmaxComponent":
            e = np.exp(x - x.max())
            return e / e.sum()
        if ct == "ElementwiseProductComponent":
            h = f["OutputDim"]
            k = f["InputDim"] // h
            return np.prod(x.reshape(k, h), axis=0)
        raise ValueError("component type " + ct)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--features", help="the frames of the first input-node")
    ap.add_argument("--input", action="append", default=[], help="NAME=FILE.npy for any input-node")
    ap.add_argument("--remove_output_softmax", action="store_true")
    ap.add_argument("--output", required=True)
    ap.add_argument("--output_node", default="output")
    ap.add_argument("--frames", default="all", choices=["all", "zero"])
    a = ap.parse_args()
    lines, _ = read_nnet3(a.model)
    first = [ln.split()[1][5:] for ln in lines if ln.startswith("input-node")][0]
    inputs = {first: np.load(a.features)} if a.features else {}
    for kv in a.input:
        k, v = kv.split("=", 1)
        inputs[k] = np.load(v)
    ev = Evaluator(a.model, inputs, a.remove_output_softmax)
    sys.setrecursionlimit(100000)
    if a.frames == "zero":
        v = ev.node_at(a.output_node, 0)
        assert v is not None, "output not computable at t=0"
        out = v[None, :]
    else:
        rows = [ev.node_at(a.output_node, t) for t in range(len(ev.x))]
        out = np.array([r for r in rows if r is not None])
    np.save(a.output, out.astype(np.float32))


if __name__ == "__main__":
    main()
