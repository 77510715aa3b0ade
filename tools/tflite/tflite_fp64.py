#!/usr/bin/env python3
"""tools/tflite/tflite_fp64.py - evaluate a .tflite model in float64 with numpy, as a yardstick.

The TFLite twin of tools/tensorflow/tfjs_fp64.py (whose NHWC convolution, pooling, resize and
report it imports): the model is read with tools/tflite/tflite_flatbuffer.py, its float32
weights and the float16 ones behind DEQUANTIZE are widened exactly to float64, the graph is
computed in float64 from the same float32 input, and for each output it prints how far each given
float32 result is from that (max |run - float64| / max |float64|):

  /usr/bin/python3 tools/tflite/tflite_fp64.py --model M.tflite --input x.npy \\
      --result tflite=DIR1 --result moir=DIR2 [--nodes]

DIRn holds one .npy per output, named as tools/tflite_run.js and `moir run` name them (the tensor
name, every character outside [A-Za-z0-9._-] replaced by '_'). --nodes also runs the TFLite
interpreter (tools/tflite_run.js, node) on a copy of the model whose every operator output is a
graph output, and checks each operator against float64 on the interpreter's own inputs: each op's
semantics, one at a time. --float32 adds a run numpy_f32: the same graph in float32 (weights and
every op's output rounded to float32, numpy's summation order), another float32 order. --check A/B=F
exits 1 when run A's worst output is farther from float64 than F x run B's worst output.
Only the ops of MediaPipe's pose_landmark and selfie segmentation models are known (ADD, MUL,
CONV_2D, DEPTHWISE_CONV_2D with their fused activations, AVERAGE_POOL_2D, MAX_POOL_2D, DEQUANTIZE,
HARD_SWISH, LOGISTIC, MEAN, PAD, RELU, RESHAPE, RESIZE_BILINEAR, and TRANSPOSE_CONV, which
tools/tflite/builtin_twin.py puts in place of MediaPipe's custom one); any other stops it with the
op's name. Needs numpy (Debian python3-numpy).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), 'tensorflow')]
import tflite_flatbuffer as fb  # noqa: E402
from tfjs_fp64 import bilinear, conv2d, pool_max, rel, report, window_pads  # noqa: E402

DTYPES = {fb.FLOAT32: np.float32, fb.FLOAT16: np.float16, fb.INT32: np.int32}
PADDING = {0: 'SAME', 1: 'VALID'}
ACTIVATIONS = {0: lambda y: y, 1: lambda y: np.maximum(y, 0), 2: lambda y: np.clip(y, -1, 1),
               3: lambda y: np.clip(y, 0, 6)}


def file_name(name):
    return re.sub(r'[^A-Za-z0-9._-]', '_', name)


def constant(t):
    if t.type not in DTYPES:
        raise SystemExit(f'tensor {t.name}: type {t.type} not known here')
    return np.frombuffer(t.data, DTYPES[t.type]).reshape(t.shape).astype(np.float64)


def activated(y, op, field):
    a = op.options.get(field, 0)
    if a not in ACTIVATIONS:
        raise SystemExit(f'{fb.OP_NAME[op.op]}: fused activation {a} not known here')
    return ACTIVATIONS[a](y)


def pool_average(x, k, s, pads):
    """NHWC average pooling as TFLite computes it: the padding is left out of each window's count."""
    ones = np.ones(x.shape[:3] + (1,))
    total, count = (conv2d(v, np.ones(k + (1, 1)), s, (1, 1), pads, True) for v in (x, ones))
    return total / count


def transpose_conv(x, w, out_shape, strides, padding):
    """TFLite's TRANSPOSE_CONV of NHWC x by OHWI weights w into out_shape: each input pixel adds
    its weighted kernel at (i * stride + k - pad), pad the top/left half of a SAME convolution's."""
    n, ih, iw, _ = x.shape
    kh, kw = w.shape[1:3]
    oh, ow = int(out_shape[1]), int(out_shape[2])
    full = np.zeros((n, (ih - 1) * strides[0] + kh, (iw - 1) * strides[1] + kw, w.shape[0]))
    for i in range(kh):
        for j in range(kw):
            full[:, i:i + (ih - 1) * strides[0] + 1:strides[0], j:j + (iw - 1) * strides[1] + 1:strides[1]] += \
                x @ w[:, i, j, :].T
    top = max((ih - 1) * strides[0] + kh - oh, 0) // 2 if padding == 'SAME' else 0
    left = max((iw - 1) * strides[1] + kw - ow, 0) // 2 if padding == 'SAME' else 0
    return full[:, top:top + oh, left:left + ow]


def window(x, k, op, dilation_fields=None):
    """strides, dilations (h, w) and pads of a Conv2D / DepthwiseConv2D / Pool2D options table
    (field 0 padding, 1 stride_w, 2 stride_h)."""
    o = op.options
    strides = o.get(2, 1), o.get(1, 1)
    dilations = (o.get(dilation_fields[1], 1), o.get(dilation_fields[0], 1)) if dilation_fields else (1, 1)
    return strides, dilations, window_pads(PADDING.get(o.get(0, 0)), x, k, strides, dilations)


def compute(op, ins):
    """The float64 value of op's output 0 from its float64 inputs (None for an absent input)."""
    kind, o = fb.OP_NAME.get(op.op, f'builtin {op.op}'), op.options
    x = ins[0]
    bias = ins[2] if len(ins) > 2 and ins[2] is not None else 0
    if kind == 'CONV_2D':  # filter [Cout, KH, KW, Cin]
        w = ins[1].transpose(1, 2, 3, 0)
        st, dl, pads = window(x, w.shape[:2], op, (4, 5))
        return activated(conv2d(x, w, st, dl, pads, False) + bias, op, 3)
    if kind == 'DEPTHWISE_CONV_2D':  # filter [1, KH, KW, C * multiplier]
        w = ins[1][0].reshape(ins[1].shape[1], ins[1].shape[2], x.shape[3], -1)
        st, dl, pads = window(x, w.shape[:2], op, (5, 6))
        return activated(conv2d(x, w, st, dl, pads, True) + bias, op, 4)
    if kind in ('MAX_POOL_2D', 'AVERAGE_POOL_2D'):
        k = o.get(4, 1), o.get(3, 1)
        st, _, pads = window(x, k, op)
        return activated((pool_max if kind == 'MAX_POOL_2D' else pool_average)(x, k, st, pads), op, 5)
    if kind == 'TRANSPOSE_CONV':  # inputs output_shape, OHWI weights, input, bias (builtin_twin.py)
        y = transpose_conv(ins[2], ins[1], ins[0], (o.get(2, 1), o.get(1, 1)), PADDING.get(o.get(0, 0)))
        return y + (ins[3] if len(ins) > 3 and ins[3] is not None else 0)
    simple = {
        'ADD': lambda: activated(x + ins[1], op, 0),
        'DEQUANTIZE': lambda: x,
        'LOGISTIC': lambda: 1 / (1 + np.exp(-x)),
        'HARD_SWISH': lambda: x * np.clip(x + 3, 0, 6) / 6,
        'MEAN': lambda: x.mean(axis=tuple(int(a) % x.ndim for a in np.ravel(ins[1])), keepdims=bool(o.get(0, False))),
        'MUL': lambda: activated(x * ins[1], op, 0),
        'RELU': lambda: np.maximum(x, 0),
        'PAD': lambda: np.pad(x, ins[1].astype(int).tolist()),
        'RESHAPE': lambda: x.reshape(ins[1].astype(int) if len(ins) > 1 and ins[1] is not None else o[0]),
        'RESIZE_BILINEAR': lambda: bilinear(x, ins[1], o.get(2, False), o.get(3, False)),
    }
    if kind not in simple:
        raise SystemExit(f'op {kind} not known here')
    return simple[kind]()


def evaluate(m, inputs, own=None, dtype=np.float64):
    """A function tensor index -> its float64 value in model m fed the float64 arrays inputs (by
    position). With own (tensor index -> a run's value), every operator reads the run's own inputs.
    dtype float32 rounds the weights and every op's output to float32 (numpy's own summation order)."""
    producer = {t: op for op in m.operators for t in op.outputs}
    cache = {i: x.astype(dtype) for i, x in zip(m.inputs, inputs)}

    def value(i):
        if i < 0:
            return None
        if i not in cache:
            t = m.tensors[i]
            if t.data is not None:
                cache[i] = constant(t).astype(dtype)
            elif i not in producer:
                raise SystemExit(f'tensor {t.name}: neither an input, a constant nor an operator output')
            else:
                op = producer[i]
                ins = [own[j] if own is not None and j in own else value(j) for j in op.inputs]
                cache[i] = compute(op, ins).astype(dtype)
        return cache[i]
    return value


def check_nodes(m, input_files, label):
    """Runs the interpreter on a copy of m whose every operator output is a graph output (tensors
    renamed t<index>) and prints each operator's distance from float64 on the interpreter's inputs.
    Operators of constants only (DEQUANTIZE of weights) are left out: the interpreter leaves those
    outputs zero (its kernels read the weights themselves), and float64 widens them exactly."""
    ops = [op for op in m.operators if any(i >= 0 and m.tensors[i].data is None for i in op.inputs)]
    produced = [t for op in ops for t in op.outputs]
    names = [t.name for t in m.tensors]
    with tempfile.TemporaryDirectory() as tmp:
        for i, t in enumerate(m.tensors):
            t.name = f't{i}'
        outputs, m.outputs = m.outputs, produced
        fb.write(m, os.path.join(tmp, 'all.tflite'))
        m.outputs = outputs
        for t, n in zip(m.tensors, names):
            t.name = n
        runner = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'tools', 'tflite_run.js')
        cmd = ['node', runner, '--model', os.path.join(tmp, 'all.tflite'), '--output_dir', tmp]
        for f in input_files:
            cmd += ['--input', f]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        own = {i: np.load(os.path.join(tmp, f't{i}.npy')).astype(np.float64) for i in produced}
    value = evaluate(m, [np.load(f).astype(np.float64) for f in input_files], own)
    worst = 0
    for k, op in enumerate(m.operators):
        if op not in ops:
            continue
        i = op.outputs[0]
        e, mx = rel(own[i], value(i))
        worst = max(worst, e)
        print(f'op {k} {fb.OP_NAME[op.op]} ({names[i]}): {label} vs float64 on its own inputs {e:.2e} (max {mx:.3g})')
    print(f'worst op: {worst:.2e}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', required=True)
    ap.add_argument('--input', action='append', required=True, help='an .npy fed to the model (by position)')
    ap.add_argument('--result', action='append', default=[], help='NAME=DIR: a float32 run to measure')
    ap.add_argument('--nodes', action='store_true', help="also check each op on the interpreter's own inputs")
    ap.add_argument('--float32', action='store_true', help='also measure a float32 numpy evaluation (run numpy_f32)')
    ap.add_argument('--check', action='append', default=[],
                    help="A/B=F: fail when run A's worst output is > F x run B's from float64")
    a = ap.parse_args()
    m = fb.read(a.model)
    np.seterr(over='ignore')
    if a.nodes:
        check_nodes(m, a.input, 'tflite')
    inputs = [np.load(f).astype(np.float64) for f in a.input]
    value = evaluate(m, inputs)
    results = [r.split('=', 1) for r in a.result]
    if a.float32:
        with tempfile.TemporaryDirectory() as tmp:
            f32 = evaluate(m, inputs, dtype=np.float32)
            for i in m.outputs:
                np.save(os.path.join(tmp, file_name(m.tensors[i].name) + '.npy'), f32(i))
            return finish(m, a, value, results + [('numpy_f32', tmp)])
    return finish(m, a, value, results)


def finish(m, a, value, results):
    """Prints the outputs' distances and the --check verdicts; the exit status."""
    table = report(m.outputs, value, results, lambda i: file_name(m.tensors[i].name))
    labels = {label for label, _ in results}
    failed = 0
    for c in a.check:  # A/B=F: A's worst output distance against F x B's
        runs, _, factor = c.partition('=')
        x, _, y = runs.partition('/')
        if x not in labels or y not in labels or not factor:
            raise SystemExit(f'--check {c}: expected A/B=F with A and B among the --result names')
        factor = float(factor)
        wx, wy = (max(d[r] for d in table.values()) for r in (x, y))
        ok = wx <= factor * wy
        print(f"{'ok' if ok else 'FAIL'}: worst output {x} {wx:.2e} {'<=' if ok else '>'} {factor:g} x {y} {wy:.2e}")
        failed |= not ok
    return failed


if __name__ == '__main__':
    sys.exit(main())
