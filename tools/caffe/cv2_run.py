#!/usr/bin/env python3
"""tools/caffe/cv2_run.py - run a Caffe model with OpenCV's dnn module (an independent Caffe reader).

The golden runtime of moir's Caffe frontend: cv2.dnn.readNetFromCaffe (Debian's python3-opencv)
reads the deploy .prototxt and the .caffemodel, runs the given .npy input through the net on the
CPU and writes one .npy per requested output blob into --output_dir (named after the blob; characters
outside [A-Za-z0-9._-] become '_').

Layers OpenCV 4.6 cannot read or reads differently from Caffe (Interp with interp_param, ArgMax,
Bias; LRN with k != 1, InnerProduct with transpose) are left out of the net OpenCV runs and listed
in a JSON file (--tail, written by make_models.py; their blobs in the .npz beside it); this script
applies them with NumPy, as Caffe defines them, to OpenCV's blobs (and the inputs), in order.

Usage: /usr/bin/python3 tools/caffe/cv2_run.py --proto net.prototxt --model net.caffemodel
           --input NAME=x.npy --output BLOB [--output BLOB ...] --output_dir D [--tail tail.json]
"""

import argparse
import json
import os
import re

import cv2
import numpy as np


def interp(x, p, ref=None):
    """Caffe's Interp: crop by pad_beg / pad_end (<= 0), then bilinear with aligned corners to the
    size the parameters give (the second bottom's, shrink, zoom, height / width, shrink then zoom)."""
    pb, pe = p.get('pad_beg', 0), p.get('pad_end', 0)
    x = x[:, :, -pb:x.shape[2] + pe, -pb:x.shape[3] + pe]
    hi, wi = x.shape[2], x.shape[3]
    z, s = p.get('zoom_factor'), p.get('shrink_factor')
    if ref is not None:
        ho, wo = ref.shape[2], ref.shape[3]
    elif s and not z:
        ho, wo = (hi - 1) // s + 1, (wi - 1) // s + 1
    elif z and not s:
        ho, wo = hi + (hi - 1) * (z - 1), wi + (wi - 1) * (z - 1)
    elif 'height' in p:
        ho, wo = p['height'], p['width']
    else:
        ho, wo = (hi - 1) // s + 1, (wi - 1) // s + 1
        ho, wo = ho + (ho - 1) * (z - 1), wo + (wo - 1) * (z - 1)
    x = x.astype(np.float64)
    out = np.zeros(x.shape[:2] + (ho, wo))
    rh = (hi - 1) / (ho - 1) if ho > 1 else 0.0
    rw = (wi - 1) / (wo - 1) if wo > 1 else 0.0
    for i in range(ho):
        y = rh * i
        y0 = int(y)
        y1 = y0 + (1 if y0 < hi - 1 else 0)
        ly = y - y0
        for j in range(wo):
            xx = rw * j
            x0 = int(xx)
            x1 = x0 + (1 if x0 < wi - 1 else 0)
            lx = xx - x0
            out[:, :, i, j] = ((1 - ly) * ((1 - lx) * x[:, :, y0, x0] + lx * x[:, :, y0, x1]) +
                               ly * ((1 - lx) * x[:, :, y1, x0] + lx * x[:, :, y1, x1]))
    return out.astype(np.float32)


def argmax(x, p):
    """Caffe's ArgMax: top_k along `axis` (indices, or the values with out_max_val), or per instance
    over the flattened rest: [N, 1 or 2, top_k] (indices, then values), padded with 1s to the rank."""
    k, vals = p.get('top_k', 1), p.get('out_max_val', False)
    if 'axis' in p:
        a = p['axis'] % x.ndim
        order = np.argsort(-x, axis=a, kind='stable').take(range(k), axis=a)
        return (np.take_along_axis(x, order, axis=a) if vals else order).astype(np.float32)
    flat = x.reshape(x.shape[0], -1)
    order = np.argsort(-flat, axis=1, kind='stable')[:, :k]
    parts = [order.astype(np.float32)] + ([np.take_along_axis(flat, order, axis=1)] if vals else [])
    y = np.stack(parts, axis=1)
    return y.reshape(y.shape + (1,) * (x.ndim - 3))


def lrn(x, p):
    """Caffe's LRN across channels: x / (k + alpha / n * sum of x^2 over n channels centred on c)^beta."""
    n, x = p['local_size'], x.astype(np.float64)
    sq = np.pad(x * x, ((0, 0), ((n - 1) // 2, n - 1 - (n - 1) // 2), (0, 0), (0, 0)))
    s = sum(sq[:, i:i + x.shape[1]] for i in range(n))
    return (x / (p['k'] + p['alpha'] / n * s) ** p['beta']).astype(np.float32)


def inner_product(x, p, w, b):
    """Caffe's InnerProduct over axis 1: y = flat(x) W^T + b, or flat(x) W + b with transpose."""
    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    y = flat @ (w if p.get('transpose') else w.T) + b
    return y.astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--proto', required=True)
    ap.add_argument('--model', required=True)
    ap.add_argument('--input', required=True, action='append')
    ap.add_argument('--output', required=True, action='append')
    ap.add_argument('--output_dir', required=True)
    ap.add_argument('--tail', help='JSON list of layers to apply with NumPy after OpenCV (make_models.py)')
    a = ap.parse_args()
    tail = json.load(open(a.tail)) if a.tail else []
    tail_blobs = np.load(os.path.splitext(a.tail)[0] + '.npz') if tail else {}
    net = cv2.dnn.readNetFromCaffe(a.proto, a.model)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    blobs = {}
    for spec in a.input:
        name, path = spec.split('=', 1)
        blobs[name] = np.load(path).astype(np.float32)
        net.setInput(blobs[name], name)
    made = {t for l in tail for t in l['tops']}
    wanted = [o for o in a.output if o not in made]
    wanted += sorted({b for l in tail for b in l['bottoms'] if b not in made and b not in blobs and b not in wanted})
    blobs.update(zip(wanted, net.forward(wanted)))
    for l in tail:
        ins = [blobs[b] for b in l['bottoms']]
        if l['type'] == 'Interp':
            y = interp(ins[0], l['params'], ins[1] if len(ins) > 1 else None)
        elif l['type'] == 'ArgMax':
            y = argmax(ins[0], l['params'])
        elif l['type'] == 'LRN':
            y = lrn(ins[0], l['params'])
        elif l['type'] == 'Bias':
            b = tail_blobs[l['name'] + '_0']
            y = ins[0] + b.reshape((1, -1) + (1,) * (ins[0].ndim - 2))
        elif l['type'] == 'InnerProduct':
            y = inner_product(ins[0], l['params'], tail_blobs[l['name'] + '_0'], tail_blobs[l['name'] + '_1'])
        else:
            raise SystemExit(f"cv2_run.py: no NumPy layer {l['type']}")
        blobs[l['tops'][0]] = y
    outs = [blobs[o] for o in a.output]
    os.makedirs(a.output_dir, exist_ok=True)
    for name, v in zip(a.output, outs):
        np.save(os.path.join(a.output_dir, re.sub(r'[^A-Za-z0-9._-]', '_', name) + '.npy'), np.asarray(v, np.float32))
        print(f'{name}: {list(v.shape)}')


if __name__ == '__main__':
    main()
