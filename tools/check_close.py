#!/usr/bin/python3
"""Compare two .npy arrays: A (result) against B (reference).

Prints max_abs_err = max|A-B|, max_abs_ref = max|B| and their ratio, and
fails (exit 1) when max_abs_err > rel * max_abs_ref (+ abs, default 0).
The arrays must have the same shape; values are compared as float64.
NaNs must sit at the same positions in both arrays; equal infinities match.

Usage: /usr/bin/python3 tools/check_close.py A.npy B.npy [--rel 1e-4] [--abs 0]
"""

import argparse
import sys

import numpy as np


def load(path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise SystemExit("check_close.py: error: cannot load %s: %s" % (path, e))


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="check_close.py",
        description="Compare two .npy arrays: pass when max|A-B| <= rel * max|B| + abs.")
    p.add_argument("a", metavar="A.npy", help="array under test")
    p.add_argument("b", metavar="B.npy", help="reference array")
    p.add_argument("--rel", type=float, default=1e-4,
                   help="tolerance relative to max|B| (default 1e-4)")
    p.add_argument("--abs", type=float, default=0.0, dest="atol",
                   help="additional absolute tolerance (default 0)")
    args = p.parse_args(argv)

    a = load(args.a)
    b = load(args.b)
    if a.shape != b.shape:
        print("shape mismatch: %s has %s (%s), %s has %s (%s)"
              % (args.a, a.shape, a.dtype, args.b, b.shape, b.dtype))
        return 1
    if a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
        print("unsupported dtypes: %s, %s (need bool, integer or float)" % (a.dtype, b.dtype))
        return 1

    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    print("shape=%s dtype_a=%s dtype_b=%s" % (list(a.shape), a.dtype, b.dtype))

    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    nan_mismatch = int(np.count_nonzero(nan_a != nan_b))
    # Equal values (including equal infinities) and shared NaNs count as exact.
    same = (a64 == b64) | (nan_a & nan_b)
    with np.errstate(invalid="ignore"):
        diff = np.where(same, 0.0, np.abs(a64 - b64))
    diff = np.where(np.isnan(diff), np.inf, diff)  # NaN vs number: infinite error

    finite_ref = np.abs(b64[np.isfinite(b64)])
    max_abs_ref = float(finite_ref.max()) if finite_ref.size else 0.0
    max_abs_err = float(diff.max()) if diff.size else 0.0
    ratio = max_abs_err / max_abs_ref if max_abs_ref > 0 else (0.0 if max_abs_err == 0 else float("inf"))

    print("max_abs_err=%.9g" % max_abs_err)
    print("max_abs_ref=%.9g" % max_abs_ref)
    print("ratio=%.9g" % ratio)
    if diff.size and max_abs_err > 0:
        idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
        print("worst_index=%s a=%.9g b=%.9g" % (list(int(i) for i in idx), a64[idx], b64[idx]))
    if nan_mismatch:
        print("nan_mismatch=%d" % nan_mismatch)

    limit = args.rel * max_abs_ref + args.atol
    ok = max_abs_err <= limit and nan_mismatch == 0
    print("%s (limit %.9g = rel %g * max_abs_ref + abs %g)"
          % ("PASS" if ok else "FAIL", limit, args.rel, args.atol))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
