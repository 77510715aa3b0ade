#!/usr/bin/env python3
"""tests/unit/frontends/tflite/pose_fp64.py - moir against float64 on pose_landmark_lite (CTest tflite_pose_fp64).

Usage: /usr/bin/python3 tests/unit/frontends/tflite/pose_fp64.py --build BUILD

MediaPipe's pose_landmark models stay 1.4e-4..5.4e-4 x max|ref| from the TFLite interpreter on
their segmentation logits (docs/tflite.md). This test runs pose_landmark_lite
(@mediapipe/pose) on the benchmark's random input (benchmarks/tflite_models.py: seed 2026,
uniform [0, 1]) with the TFLite interpreter (tools/tflite_run.js) and `moir run` (reference
executor, and the compiled plan at one thread), and measures each against the float64 evaluation
of tools/tflite/tflite_fp64.py. It fails when
  - moir's worst output (either runtime) is farther from float64 than 1.5 x the interpreter's, or
  - one of the interpreter's ops, fed the interpreter's own inputs, is more than 2e-5 x max from
    float64 (`--nodes`: the yardstick computes each op as TFLite does).
Exit status 0 when every check holds; each failure is printed.
"""

import argparse
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..'))
MODEL = os.path.join(REPO, 'third_party', 'npm', 'node_modules', '@mediapipe', 'pose', 'pose_landmark_lite.tflite')
OP_TOLERANCE = 2e-5


def run(cmd, must_succeed=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 and must_succeed:
        sys.exit(f'FAIL  {" ".join(cmd)}\n{p.stdout}')
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    a = ap.parse_args()
    moir = os.path.join(a.build, 'moir')
    out = os.path.join(a.build, 'test_scratch', 'tflite_pose_fp64')
    os.makedirs(out, exist_ok=True)
    x = os.path.join(out, 'input.npy')
    np.save(x, np.random.default_rng(2026).uniform(0.0, 1.0, size=(1, 256, 256, 3)).astype(np.float32))
    run(['node', os.path.join(REPO, 'tools', 'tflite_run.js'), '--model', MODEL, '--input', x,
         '--output_dir', os.path.join(out, 'tflite')])
    run([moir, 'convert', '-m', MODEL, '-o', os.path.join(out, 'ir'), '-n', 'model'])
    for label, extra in (('moir_reference', []), ('moir_plan', ['--threads', '1'])):
        run([moir, 'run', '-m', os.path.join(out, 'ir', 'model.xml'), '-i', 'input_1=' + x,
             '-o', os.path.join(out, label)] + extra)
    cmd = [sys.executable, os.path.join(REPO, 'tools', 'tflite', 'tflite_fp64.py'), '--model', MODEL, '--input', x,
           '--nodes', '--check', 'moir_reference/tflite=1.5', '--check', 'moir_plan/tflite=1.5']
    for r in ('tflite', 'moir_reference', 'moir_plan'):
        cmd += ['--result', f'{r}={os.path.join(out, r)}']
    p = run(cmd, must_succeed=False)
    lines = p.stdout.splitlines()
    print('\n'.join(line for line in lines if not line.startswith('op ')))
    failures = [line for line in lines if line.startswith('FAIL')]
    if p.returncode != 0 and not failures:
        failures.append(f'tflite_fp64.py exited {p.returncode}')
    worst = [float(m.group(1)) for m in (re.match(r'worst op: (\S+)', line) for line in lines) if m]
    if not worst or worst[0] > OP_TOLERANCE:
        failures.append(f'worst op of the interpreter vs float64 {worst[0] if worst else "missing"} > {OP_TOLERANCE}')
    for f in failures:
        print('FAIL  ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
