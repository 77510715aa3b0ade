#!/usr/bin/env python3
"""tests/unit/frontends/tflite/float64_check.py - moir against float64 where the TFLite interpreter
is no 1e-4 yardstick (CTest tflite_float64).

Usage: /usr/bin/python3 tests/unit/frontends/tflite/float64_check.py --build BUILD

MediaPipe's pose_landmark models stay 1.4e-4..5.4e-4 x max|ref| from the TFLite interpreter on
their segmentation logits, and the interpreter cannot run the selfie segmentation models at all
(their custom Convolution2DTransposeBias; tools/tflite/builtin_twin.py writes a twin with the
builtin TRANSPOSE_CONV that it can run, 1.2e-4 from moir on a photo) (docs/tflite.md). This test
runs pose_landmark_lite (@mediapipe/pose) on the benchmark's random input
(benchmarks/tflite_models.py: seed 2026, uniform [0, 1]) and selfie_segmentation on a photo of
@vladmandic/human (a person: random pixels make its output ~1e-9 everywhere) with the TFLite
interpreter (tools/tflite_run.js) and `moir run` (reference executor, and the compiled plan at one
thread), and measures each against the float64 evaluation of tools/tflite/tflite_fp64.py. It fails,
for either model, when
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
NPM = os.path.join(REPO, 'third_party', 'npm', 'node_modules')
POSE = os.path.join(NPM, '@mediapipe', 'pose', 'pose_landmark_lite.tflite')
SELFIE = os.path.join(NPM, '@mediapipe', 'selfie_segmentation', 'selfie_segmentation.tflite')
PHOTO = os.path.join(NPM, '@vladmandic', 'human', 'assets', 'screenshot-facedetect.jpg')
OP_TOLERANCE = 2e-5


def run(cmd, must_succeed=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 and must_succeed:
        sys.exit(f'FAIL  {" ".join(cmd)}\n{p.stdout}')
    return p


def check(moir, out, model, x, interpreter_model):
    """The failures of one model (a list of messages): moir's runs and the interpreter's (on
    interpreter_model, the model itself or its builtin twin) against float64."""
    os.makedirs(out, exist_ok=True)
    run(['node', os.path.join(REPO, 'tools', 'tflite_run.js'), '--model', interpreter_model, '--input', x,
         '--output_dir', os.path.join(out, 'tflite')])
    run([moir, 'convert', '-m', model, '-o', os.path.join(out, 'ir'), '-n', 'model'])
    for label, extra in (('moir_reference', []), ('moir_plan', ['--threads', '1'])):
        run([moir, 'run', '-m', os.path.join(out, 'ir', 'model.xml'), '-i', 'input_1=' + x,
             '-o', os.path.join(out, label)] + extra)
    cmd = [sys.executable, os.path.join(REPO, 'tools', 'tflite', 'tflite_fp64.py'), '--model', interpreter_model,
           '--input', x, '--nodes', '--check', 'moir_reference/tflite=1.5', '--check', 'moir_plan/tflite=1.5']
    for r in ('tflite', 'moir_reference', 'moir_plan'):
        cmd += ['--result', f'{r}={os.path.join(out, r)}']
    p = run(cmd, must_succeed=False)
    lines = p.stdout.splitlines()
    print(os.path.basename(model) + ':')
    print('\n'.join('  ' + line for line in lines if not line.startswith('op ')))
    failures = [line for line in lines if line.startswith('FAIL')]
    if p.returncode != 0 and not failures:
        failures.append(f'tflite_fp64.py exited {p.returncode}')
    worst = [float(m.group(1)) for m in (re.match(r'worst op: (\S+)', line) for line in lines) if m]
    if not worst or worst[0] > OP_TOLERANCE:
        failures.append(f'worst op of the interpreter vs float64 {worst[0] if worst else "missing"} > {OP_TOLERANCE}')
    return [os.path.basename(model) + ': ' + f for f in failures]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    a = ap.parse_args()
    moir = os.path.join(a.build, 'moir')
    out = os.path.join(a.build, 'test_scratch', 'tflite_float64')
    os.makedirs(out, exist_ok=True)
    x = os.path.join(out, 'noise.npy')
    np.save(x, np.random.default_rng(2026).uniform(0.0, 1.0, size=(1, 256, 256, 3)).astype(np.float32))
    failures = check(moir, os.path.join(out, 'pose'), POSE, x, POSE)

    import cv2  # Debian python3-opencv, as tools/tflite/quantize_tflite.py reads the photos
    photo = cv2.imread(PHOTO)[:, :, ::-1]
    h, w = photo.shape[:2]
    side = min(h, w)
    photo = photo[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    x = os.path.join(out, 'photo.npy')
    np.save(x, (cv2.resize(photo, (256, 256)).astype(np.float32) / 255.0)[None])
    twin = os.path.join(out, 'selfie_twin.tflite')
    run([sys.executable, os.path.join(REPO, 'tools', 'tflite', 'builtin_twin.py'), SELFIE, twin])
    failures += check(moir, os.path.join(out, 'selfie'), SELFIE, x, twin)
    for f in failures:
        print('FAIL  ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
