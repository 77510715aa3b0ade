#!/usr/bin/env python3
"""tools/tensorflow/tfjs_fp64.py - evaluate a TF.js graph model in float64 with numpy, as a yardstick.

A float32 runtime (tfjs, moir) sums in its own order; on a well-conditioned model that moves the
outputs by ~1e-6 of their range, on an ill-conditioned one by much more. This script computes the
same graph in float64 from the same float32 input and weights (the exact result, for practical
purposes) and prints, for each output, how far each given float32 result is from it:

  /usr/bin/python3 tools/tensorflow/tfjs_fp64.py --model M.json --input x.npy \\
      --result tfjs=DIR1 --result moir=DIR2 [--nodes]

DIRn holds one .npy per output, named as tools/tfjs_run.js and `moir run` name them (the node name,
every character outside [A-Za-z0-9._-] replaced by '_'). --nodes also checks every node whose
.npy is in the first DIR (tfjs_run.js --outputs writes intermediate tensors) against float64 on that
DIR's own inputs: each op's semantics, one node at a time. Only the ops of the models it was
written for are known (convolutions, depthwise ones, grappler's fused forms with BiasAdd / Relu /
Relu6 / Prelu, Add, Mul, Relu, Relu6, Sigmoid, Pad, Reshape, ResizeBilinear, MaxPool); any other
stops it with the op's name. Needs numpy (Debian python3-numpy).
"""
import argparse
import base64
import json
import os
import sys

import numpy as np


def sanitize(name):
    name = name[:-2] if name.endswith(':0') else name
    return ''.join(ch if ch.isalnum() or ch in '._-' else '_' for ch in name)


def read_weights(path, j):
    folder = os.path.dirname(path)
    data = b''.join(open(os.path.join(folder, p), 'rb').read() for g in j['weightsManifest'] for p in g['paths'])
    weights, off = {}, 0
    for g in j['weightsManifest']:
        for w in g['weights']:
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            q = w.get('quantization')
            if q:
                dt = {'uint8': np.uint8, 'uint16': np.uint16, 'float16': np.float16}[q['dtype']]
                a = np.frombuffer(data, dt, n, off)
                off += n * a.itemsize
                a = a.astype(np.float32) if q['dtype'] == 'float16' else (a * q['scale'] + q['min']).astype(np.float32)
            else:
                dt = {'float32': np.float32, 'int32': np.int32, 'bool': np.bool_}[w['dtype']]
                a = np.frombuffer(data, dt, n, off)
                off += n * a.itemsize
            weights[w['name']] = a.reshape(w['shape'])
    return weights


def attr(node, key, default=None):
    a = node.get('attr', {}).get(key)
    if a is None:
        return default
    if 'list' in a:
        lst = a['list']
        if 'i' in lst:
            return [int(v) for v in lst['i']]
        if 's' in lst:
            return [base64.b64decode(v).decode() for v in lst['s']]
        return []
    if 's' in a:
        return base64.b64decode(a['s']).decode()
    for k, f in (('b', bool), ('f', float), ('i', int)):
        if k in a:
            return f(a[k])
    return a


def same_pads(size, k, stride, dilation):
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def conv(x, w, node, depthwise):
    st = attr(node, 'strides')
    dl = attr(node, 'dilations', [1, 1, 1, 1])
    kh, kw = w.shape[:2]
    if attr(node, 'padding') == 'SAME':
        ph, pw = same_pads(x.shape[1], kh, st[1], dl[1]), same_pads(x.shape[2], kw, st[2], dl[2])
    elif attr(node, 'padding') == 'VALID':
        ph = pw = (0, 0)
    else:
        raise SystemExit(f"{node['name']}: padding {attr(node, 'padding')} not known here")
    xp = np.pad(x, ((0, 0), ph, pw, (0, 0)))
    oh = (xp.shape[1] - (kh - 1) * dl[1] - 1) // st[1] + 1
    ow = (xp.shape[2] - (kw - 1) * dl[2] - 1) // st[2] + 1
    y = 0
    for i in range(kh):
        for k in range(kw):
            patch = xp[:, i * dl[1]:i * dl[1] + (oh - 1) * st[1] + 1:st[1], k * dl[2]:k * dl[2] + (ow - 1) * st[2] + 1:st[2], :]
            y = y + (np.repeat(patch, w.shape[3], axis=3) * w[i, k].reshape(-1) if depthwise else patch @ w[i, k])
    return y


def fused(y, node, args):
    a = 0
    for op in attr(node, 'fused_ops', []):
        if op == 'BiasAdd':
            y, a = y + args[a], a + 1
        elif op == 'Relu':
            y = np.maximum(y, 0)
        elif op == 'Relu6':
            y = np.clip(y, 0, 6)
        elif op == 'Prelu':
            y, a = np.where(y < 0, y * args[a], y), a + 1
        else:
            raise SystemExit(f"{node['name']}: fused op {op} not known here")
    return y


def resize_bilinear(x, size, node):
    half, align = attr(node, 'half_pixel_centers', False), attr(node, 'align_corners', False)

    def taps(n_out, n_in):
        r = np.arange(n_out, dtype=np.float64)
        if align and n_out > 1:
            c = r * (n_in - 1) / (n_out - 1)
        else:
            c = (r + 0.5) * n_in / n_out - 0.5 if half else r * n_in / n_out
        lo = np.maximum(np.floor(c), 0).astype(int)
        return lo, np.minimum(np.ceil(c), n_in - 1).astype(int), c - lo

    rl, rh, rf = taps(int(size[0]), x.shape[1])
    cl, ch, cf = taps(int(size[1]), x.shape[2])
    cf = cf[None, None, :, None]
    top = x[:, rl][:, :, cl] + (x[:, rl][:, :, ch] - x[:, rl][:, :, cl]) * cf
    bottom = x[:, rh][:, :, cl] + (x[:, rh][:, :, ch] - x[:, rh][:, :, cl]) * cf
    return top + (bottom - top) * rf[None, :, None, None]


def max_pool(x, node):
    k, s = attr(node, 'ksize'), attr(node, 'strides')
    if attr(node, 'padding') != 'VALID':
        raise SystemExit(f"{node['name']}: MaxPool padding {attr(node, 'padding')} not known here")
    oh, ow = (x.shape[1] - k[1]) // s[1] + 1, (x.shape[2] - k[2]) // s[2] + 1
    y = np.full((x.shape[0], oh, ow, x.shape[3]), -np.inf)
    for i in range(k[1]):
        for j in range(k[2]):
            y = np.maximum(y, x[:, i:i + (oh - 1) * s[1] + 1:s[1], j:j + (ow - 1) * s[2] + 1:s[2]])
    return y


def compute(node, ins):
    op = node['op']
    if op in ('_FusedConv2D', 'FusedDepthwiseConv2dNative'):
        return fused(conv(ins[0], ins[1], node, op != '_FusedConv2D'), node, ins[2:])
    if op in ('Conv2D', 'DepthwiseConv2dNative'):
        return conv(ins[0], ins[1], node, op != 'Conv2D')
    simple = {
        'AddV2': lambda: ins[0] + ins[1], 'Add': lambda: ins[0] + ins[1], 'BiasAdd': lambda: ins[0] + ins[1],
        'Mul': lambda: ins[0] * ins[1], 'Relu': lambda: np.maximum(ins[0], 0), 'Relu6': lambda: np.clip(ins[0], 0, 6),
        'Sigmoid': lambda: 1 / (1 + np.exp(-ins[0])), 'Pad': lambda: np.pad(ins[0], ins[1].astype(int).tolist()),
        'Reshape': lambda: ins[0].reshape(ins[1].astype(int)), 'Identity': lambda: ins[0],
        'ResizeBilinear': lambda: resize_bilinear(ins[0], ins[1], node), 'MaxPool': lambda: max_pool(ins[0], node),
    }
    if op not in simple:
        raise SystemExit(f"{node['name']}: op {op} not known here")
    return simple[op]()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', required=True)
    ap.add_argument('--input', required=True, help='the .npy fed to the model (one input)')
    ap.add_argument('--result', action='append', default=[], help='NAME=DIR: a float32 run to measure')
    ap.add_argument('--nodes', action='store_true', help="also check each node on the first DIR's own inputs")
    a = ap.parse_args()
    j = json.load(open(a.model))
    weights = read_weights(a.model, j)
    nodes = {n['name']: n for n in j['modelTopology']['node']}
    x = np.load(a.input).astype(np.float64)
    results = [r.split('=', 1) for r in a.result]
    cache = {}
    np.seterr(over='ignore')

    def value(name, source=None):
        name = name.split(':')[0]
        if name in weights:
            return weights[name].astype(np.float64)
        n = nodes[name]
        if n['op'] == 'Placeholder':
            return x
        if source is not None and n['op'] != 'Identity':  # the given run's own tensor
            return np.load(os.path.join(source, sanitize(name) + '.npy')).astype(np.float64)
        if n['op'] == 'Identity':
            return value(n['input'][0], source)
        if name not in cache:
            cache[name] = compute(n, [value(i) for i in n.get('input', []) if not i.startswith('^')])
        return cache[name]

    def rel(got, ref):
        m = np.abs(ref).max()
        return np.abs(got.reshape(ref.shape) - ref).max() / (m if m else 1), m

    if a.nodes and results:
        src = results[0][1]
        for n in j['modelTopology']['node']:
            f = os.path.join(src, sanitize(n['name']) + '.npy')
            if n['op'] in ('Const', 'Placeholder', 'Identity') or not os.path.exists(f):
                continue
            got = np.load(f).astype(np.float64)
            exact = compute(n, [value(i, src) for i in n.get('input', []) if not i.startswith('^')])
            e, m = rel(got, exact)
            print(f"node {n['name']} ({n['op']}): {results[0][0]} vs float64 on its own inputs {e:.2e} (max {m:.3g})")
    outputs = [v['name'] for v in (j.get('signature') or {}).get('outputs', {}).values()] or \
        [n['name'] for n in j['modelTopology']['node'] if n['op'] == 'Identity']
    for out in outputs:
        exact = value(out)
        line = [f'{sanitize(out)} (max |float64| {np.abs(exact).max():.3g}):']
        for label, d in results:
            got = np.load(os.path.join(d, sanitize(out) + '.npy')).astype(np.float64)
            line.append(f'{label} {rel(got, exact)[0]:.2e}')
        print(' '.join(line))
    return 0


if __name__ == '__main__':
    sys.exit(main())
