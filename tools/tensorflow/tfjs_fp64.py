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
stops it with the op's name. Its NHWC window ops and report are shared with tools/tflite/tflite_fp64.py
(the .tflite twin). Needs numpy (Debian python3-numpy).
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


def window_pads(padding, x, k, strides, dilations=(1, 1)):
    """((top, bottom), (left, right)) of an NHWC window op for padding 'SAME' or 'VALID' (else ValueError)."""
    if padding == 'SAME':
        return tuple(same_pads(x.shape[1 + a], k[a], strides[a], dilations[a]) for a in (0, 1))
    if padding == 'VALID':
        return (0, 0), (0, 0)
    raise ValueError(f'padding {padding}')


def conv2d(x, w, strides, dilations, pads, depthwise):
    """NHWC convolution of x by w [KH, KW, Cin, Cout] (depthwise: [KH, KW, C, multiplier], output
    channel c * multiplier + m), strides and dilations (h, w), pads from window_pads."""
    kh, kw = w.shape[:2]
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    oh = (xp.shape[1] - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (xp.shape[2] - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    y = 0
    for i in range(kh):
        for k in range(kw):
            r, c = i * dilations[0], k * dilations[1]
            patch = xp[:, r:r + (oh - 1) * strides[0] + 1:strides[0], c:c + (ow - 1) * strides[1] + 1:strides[1], :]
            y = y + (np.repeat(patch, w.shape[3], axis=3) * w[i, k].reshape(-1) if depthwise else patch @ w[i, k])
    return y


def conv(x, w, node, depthwise):
    st = attr(node, 'strides')
    dl = attr(node, 'dilations', [1, 1, 1, 1])
    try:
        pads = window_pads(attr(node, 'padding'), x, w.shape[:2], st[1:3], dl[1:3])
    except ValueError as e:
        raise SystemExit(f"{node['name']}: {e} not known here")
    return conv2d(x, w, st[1:3], dl[1:3], pads, depthwise)


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


def bilinear(x, size, align, half):
    """NHWC bilinear resize to size (h, w), TF's align_corners / half_pixel_centers conventions."""
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


def resize_bilinear(x, size, node):
    return bilinear(x, size, attr(node, 'align_corners', False), attr(node, 'half_pixel_centers', False))


def pool_max(x, k, s, pads):
    """NHWC max pooling, window k (h, w), strides s (h, w), pads from window_pads (padding never wins)."""
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=-np.inf)
    oh, ow = (xp.shape[1] - k[0]) // s[0] + 1, (xp.shape[2] - k[1]) // s[1] + 1
    y = np.full((x.shape[0], oh, ow, x.shape[3]), -np.inf)
    for i in range(k[0]):
        for j in range(k[1]):
            y = np.maximum(y, xp[:, i:i + (oh - 1) * s[0] + 1:s[0], j:j + (ow - 1) * s[1] + 1:s[1]])
    return y


def max_pool(x, node):
    k, s = attr(node, 'ksize'), attr(node, 'strides')
    try:
        pads = window_pads(attr(node, 'padding'), x, k[1:3], s[1:3])
    except ValueError as e:
        raise SystemExit(f"{node['name']}: MaxPool {e} not known here")
    return pool_max(x, k[1:3], s[1:3], pads)


def rel(got, ref):
    """(max |got - ref| / max |ref|, max |ref|)."""
    m = np.abs(ref).max()
    return np.abs(got.reshape(ref.shape) - ref).max() / (m if m else 1), m


def report(outputs, exact_of, results, file_name):
    """Prints, per output name, how far each float32 run (label, DIR holding file_name(output).npy)
    is from the float64 value exact_of(output); returns {output: {label: distance}}."""
    table = {}
    for out in outputs:
        exact = exact_of(out)
        line = [f'{file_name(out)} (max |float64| {np.abs(exact).max():.3g}):']
        table[out] = {}
        for label, d in results:
            got = np.load(os.path.join(d, file_name(out) + '.npy')).astype(np.float64)
            table[out][label] = rel(got, exact)[0]
            line.append(f'{label} {table[out][label]:.2e}')
        print(' '.join(line))
    return table


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
    report(outputs, value, results, sanitize)
    return 0


if __name__ == '__main__':
    sys.exit(main())
