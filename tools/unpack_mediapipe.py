#!/usr/bin/env python3
"""Unpacks the models packed inside MediaPipe's *_packed_assets.data files.

A MediaPipe solution package (npm @mediapipe/face_mesh, hands, pose) ships some of its .tflite
models inside one `<solution>_packed_assets.data` file; the `<solution>_packed_assets_loader.js` next
to it lists each file's name and byte range ("filename", "start", "end"). This script reads that
list and writes every packed .tflite file (base name) into --out.

    python3 tools/unpack_mediapipe.py --npm third_party/npm/node_modules --out build/mediapipe
"""
import argparse
import glob
import json
import os
import re
import sys


def unpack(loader, out):
    data_file = loader.replace('_loader.js', '.data')
    text = open(loader, encoding='utf-8').read()
    entries = re.findall(r'"filename":\s*"([^"]+)",\s*"start":\s*(\d+),\s*"end":\s*(\d+)', text)
    if not entries:
        raise SystemExit(f'{loader}: no file list found')
    blob = open(data_file, 'rb').read()
    written = []
    for name, start, end in entries:
        start, end = int(start), int(end)
        if not name.endswith('.tflite'):
            continue
        if not (0 <= start <= end <= len(blob)):
            raise SystemExit(f'{data_file}: {name} range {start}..{end} outside the file ({len(blob)} bytes)')
        dst = os.path.join(out, os.path.basename(name))
        with open(dst, 'wb') as f:
            f.write(blob[start:end])
        written.append(dst)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--npm', required=True, help='the node_modules folder holding @mediapipe/*')
    ap.add_argument('--out', required=True, help='where to write the unpacked .tflite files')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    loaders = sorted(glob.glob(os.path.join(a.npm, '@mediapipe', '*', '*_packed_assets_loader.js')))
    if not loaders:
        print(f'no @mediapipe packed assets under {a.npm}', file=sys.stderr)
        return 1
    for loader in loaders:
        for f in unpack(loader, a.out):
            print(f)
    return 0


if __name__ == '__main__':
    sys.exit(main())
