#!/usr/bin/env python3
"""tools/tflite/while_tflite.py - writes a .tflite with a WHILE loop around a real BlazeFace block.

Usage: /usr/bin/python3 tools/tflite/while_tflite.py [--model face_detection_short_range.tflite] --out W.tflite
           [--size S] [--call_once [K]]

No pinned npm model uses TFLite's WHILE, so this script writes one (with moir's own flatbuffer writer,
tools/tflite/tflite_flatbuffer.py) from real weights: the first residual block of MediaPipe's BlazeFace
(DEPTHWISE_CONV_2D 3x3 -> CONV_2D 1x1 -> ADD of the block's input, RELU fused; its fp16 weights taken as
f32), applied to a feature map as long as a loop counter is below a limit AND the map's largest value
stays below a threshold, as the TFLite converter lays out a tf.while_loop:

  subgraph 0 "main": inputs x f32[1,S,S,C], n int32[], limit f32[]
      i0 = 0 (int32[] constant); (i, n', limit', y) = WHILE(i0, n, limit, x), cond 1, body 2
      outputs: y, i (the number of iterations run)
  subgraph 1 "cond":  LESS(i, n) LOGICAL_AND LESS(REDUCE_MAX(x), limit) -> bool[]
  subgraph 2 "body":  i + 1, n, limit, RELU(x + CONV_2D(DEPTHWISE_CONV_2D(x)))

With n = 0 the loop runs no iteration (y = x, i = 0); with a large limit it runs n times; otherwise the
carried map decides when it stops. --call_once also puts a CALL_ONCE first in subgraph 0, as the TFLite
converter lays out a session initializer: it runs subgraph 3 "init" (no inputs, outputs or operators
here: the interpreter's XNNPACK delegate fails on an init subgraph of plain ops) once, before the first
inference; --call_once K names subgraph K instead (a wrong initializer, for error tests). Needs Debian's
python3-numpy.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tflite_flatbuffer as fb  # noqa: E402
from quantize_tflite import fold_dequantize  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
MODEL = os.path.join(REPO, 'third_party', 'npm', 'node_modules', '@mediapipe', 'face_detection',
                     'face_detection_short_range.tflite')


def first_block(m):
    """The weights of the first DEPTHWISE_CONV_2D (stride 1) -> CONV_2D -> ADD(block input) of m:
    (dw weights [1,3,3,C], dw bias [C], conv weights [C,1,1,C], conv bias [C])."""
    producer = {o.outputs[0]: o for o in m.operators}

    def arr(i):
        t = m.tensors[i]
        return np.frombuffer(t.data, np.float32).reshape(t.shape)

    for o in m.operators:
        if o.op != fb.OP['ADD']:
            continue
        for k in (0, 1):
            conv = producer.get(o.inputs[k])
            if conv is None or conv.op != fb.OP['CONV_2D']:
                continue
            dw = producer.get(conv.inputs[0])
            if dw is None or dw.op != fb.OP['DEPTHWISE_CONV_2D'] or dw.inputs[0] != o.inputs[1 - k]:
                continue
            if dw.options.get(1, 1) != 1 or dw.options.get(2, 1) != 1:
                continue
            w1, b1, w2, b2 = arr(dw.inputs[1]), arr(dw.inputs[2]), arr(conv.inputs[1]), arr(conv.inputs[2])
            if w2.shape[0] != w2.shape[3]:
                continue
            return w1, b1, w2, b2
    sys.exit('while_tflite.py: no residual depthwise block found')


def tensor(g, name, shape, type_, data=None):
    g.tensors.append(fb.Tensor(name, shape, type_, data))
    return len(g.tensors) - 1


def build(weights, size):
    w1, b1, w2, b2 = weights
    c = w1.shape[3]
    xs = [1, size, size, c]
    m = fb.Model()
    m.description = 'moir tools/tflite/while_tflite.py: WHILE around a BlazeFace block'
    x = tensor(m, 'x', xs, fb.FLOAT32)
    n = tensor(m, 'n', [], fb.INT32)
    limit = tensor(m, 'limit', [], fb.FLOAT32)
    i0 = tensor(m, 'i0', [], fb.INT32, np.int32(0).tobytes())
    outs = [tensor(m, 'iterations', [], fb.INT32), tensor(m, 'while/n', [], fb.INT32),
            tensor(m, 'while/limit', [], fb.FLOAT32), tensor(m, 'y', xs, fb.FLOAT32)]
    m.inputs, m.outputs = [x, n, limit], [outs[3], outs[0]]
    m.operators = [fb.Operator(fb.OP['WHILE'], [i0, n, limit, x], outs, 93, {0: 1, 1: 2})]

    def loop_vars(g):
        return [tensor(g, 'i', [], fb.INT32), tensor(g, 'n', [], fb.INT32), tensor(g, 'limit', [], fb.FLOAT32),
                tensor(g, 'x', xs, fb.FLOAT32)]

    cond = fb.Model()
    cond.subgraph_name = 'cond'
    ci, cn, cl, cx = loop_vars(cond)
    axes = tensor(cond, 'axes', [4], fb.INT32, np.arange(4, dtype=np.int32).tobytes())
    mx = tensor(cond, 'max', [], fb.FLOAT32)
    below_n = tensor(cond, 'i_below_n', [], fb.BOOL)
    below_limit = tensor(cond, 'max_below_limit', [], fb.BOOL)
    go = tensor(cond, 'go_on', [], fb.BOOL)
    cond.inputs, cond.outputs = [ci, cn, cl, cx], [go]
    cond.operators = [
        fb.Operator(fb.OP['LESS'], [ci, cn], [below_n], 41),
        fb.Operator(fb.OP['REDUCE_MAX'], [cx, axes], [mx], 27, {0: False}),
        fb.Operator(fb.OP['LESS'], [mx, cl], [below_limit], 41),
        fb.Operator(fb.OP['LOGICAL_AND'], [below_n, below_limit], [go], 62),
    ]

    body = fb.Model()
    body.subgraph_name = 'body'
    bi, bn, bl, bx = loop_vars(body)
    one = tensor(body, 'one', [], fb.INT32, np.int32(1).tobytes())
    i1 = tensor(body, 'i_next', [], fb.INT32)
    tw1 = tensor(body, 'block/depthwise/weights', list(w1.shape), fb.FLOAT32, w1.astype(np.float32).tobytes())
    tb1 = tensor(body, 'block/depthwise/bias', list(b1.shape), fb.FLOAT32, b1.astype(np.float32).tobytes())
    tw2 = tensor(body, 'block/conv/weights', list(w2.shape), fb.FLOAT32, w2.astype(np.float32).tobytes())
    tb2 = tensor(body, 'block/conv/bias', list(b2.shape), fb.FLOAT32, b2.astype(np.float32).tobytes())
    d = tensor(body, 'block/depthwise', xs, fb.FLOAT32)
    cv = tensor(body, 'block/conv', xs, fb.FLOAT32)
    y = tensor(body, 'block/out', xs, fb.FLOAT32)
    body.inputs, body.outputs = [bi, bn, bl, bx], [i1, bn, bl, y]
    body.operators = [
        fb.Operator(fb.OP['ADD'], [bi, one], [i1], 11, {0: 0}),
        # DepthwiseConv2DOptions: padding SAME, strides 1, depth multiplier 1, no activation
        fb.Operator(fb.OP['DEPTHWISE_CONV_2D'], [bx, tw1, tb1], [d], 2, {0: 0, 1: 1, 2: 1, 3: 1, 4: 0, 5: 1, 6: 1}),
        fb.Operator(fb.OP['CONV_2D'], [d, tw2, tb2], [cv], 1, {0: 0, 1: 1, 2: 1, 3: 0, 4: 1, 5: 1}),
        fb.Operator(fb.OP['ADD'], [cv, bx], [y], 11, {0: 1}),  # fused RELU
    ]
    m.subgraphs = [cond, body]
    return m


def add_call_once(m, k=None):
    """A CALL_ONCE first in m's subgraph 0, of subgraph k, or of a new last subgraph "init" (k None)."""
    if k is None:
        init = fb.Model()
        init.subgraph_name = 'init'
        m.subgraphs.append(init)
        k = len(m.subgraphs)
    m.operators.insert(0, fb.Operator(fb.OP['CALL_ONCE'], [], [], 103, {0: k}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default=MODEL)
    ap.add_argument('--out', required=True)
    ap.add_argument('--size', type=int, default=16, help='the feature map is [1, size, size, C]')
    ap.add_argument('--call_once', nargs='?', type=int, const=-1, default=None,
                    help='a CALL_ONCE first in subgraph 0: of a new empty init subgraph, or of subgraph K')
    a = ap.parse_args()
    src = fb.read(a.model)
    fold_dequantize(src)
    m = build(first_block(src), a.size)
    if a.call_once is not None:
        add_call_once(m, None if a.call_once < 0 else a.call_once)
    fb.write(m, a.out)
    print('%s: WHILE over a %dx%dx%d BlazeFace block (%d subgraphs)' % (a.out, a.size, a.size, m.tensors[0].shape[3],
                                                                       1 + len(m.subgraphs)))


if __name__ == '__main__':
    main()
