#!/usr/bin/env python3
"""tools/caffe/cv2_run.py - run a Caffe model with OpenCV's dnn module (an independent Caffe reader).

The golden runtime of moir's Caffe frontend: cv2.dnn.readNetFromCaffe (Debian's python3-opencv)
reads the deploy .prototxt and the .caffemodel, runs the given .npy input through the net on the
CPU and writes one .npy per requested output blob into --output_dir (named after the blob; characters
outside [A-Za-z0-9._-] become '_').

Usage: /usr/bin/python3 tools/caffe/cv2_run.py --proto net.prototxt --model net.caffemodel
           --input NAME=x.npy --output BLOB [--output BLOB ...] --output_dir D
"""

import argparse
import os
import re

import cv2
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--proto', required=True)
    ap.add_argument('--model', required=True)
    ap.add_argument('--input', required=True, action='append')
    ap.add_argument('--output', required=True, action='append')
    ap.add_argument('--output_dir', required=True)
    a = ap.parse_args()
    net = cv2.dnn.readNetFromCaffe(a.proto, a.model)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    for spec in a.input:
        name, path = spec.split('=', 1)
        net.setInput(np.load(path).astype(np.float32), name)
    outs = net.forward(a.output)
    os.makedirs(a.output_dir, exist_ok=True)
    for name, v in zip(a.output, outs):
        np.save(os.path.join(a.output_dir, re.sub(r'[^A-Za-z0-9._-]', '_', name) + '.npy'), np.asarray(v, np.float32))
        print(f'{name}: {list(v.shape)}')


if __name__ == '__main__':
    main()
