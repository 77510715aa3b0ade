#!/usr/bin/env python3
"""Runs a frozen TensorFlow GraphDef with OpenCV's own TensorFlow reader (Debian python3-opencv,
cv2.dnn.readNetFromTensorflow): an implementation independent of moir and of tfjs.

    /usr/bin/python3 tools/tensorflow/opencv_run.py --model model.pb --input x.npy --output y.npy

x.npy is the NHWC input (float32); OpenCV takes it as an NCHW blob and returns the last layer's
output, written to y.npy as float32.
"""

import argparse

import cv2
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    net = cv2.dnn.readNetFromTensorflow(a.model)
    x = np.load(a.input).astype(np.float32)
    net.setInput(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    y = net.forward()
    np.save(a.output, np.ascontiguousarray(y, dtype=np.float32))
    print(f"opencv {cv2.__version__}: {a.model} -> {list(y.shape)}")


if __name__ == "__main__":
    main()
