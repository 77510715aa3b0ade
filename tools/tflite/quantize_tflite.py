#!/usr/bin/env python3
"""tools/tflite/quantize_tflite.py - writes a full-integer (int8) .tflite from a float one.

Usage: /usr/bin/python3 tools/tflite/quantize_tflite.py --model M.tflite --out Q.tflite
           [--calibration face_images] [--calibration_out DIR] [--images N] [--max_output X]
           [--weights_only | --uint8 symmetric|asymmetric]

Post-training quantization as the TFLite converter does it for full-integer models, in a script
of moir's own (the test suite needs a real quantized .tflite and no pinned package ships one):
  - FLOAT16 weights behind DEQUANTIZE (MediaPipe) are taken as their f32 values; a RELU after a
    convolution or ADD becomes its fused activation, as the TFLite converter writes int8 models;
  - activations are calibrated on real inputs: the float model is rewritten with every computed
    tensor as an output and run by the real TFLite interpreter (tools/tflite_run.js); each
    tensor's [min, max] (with 0 inside) gives int8 scale = (max - min) / 255 and a zero point;
    tensors that TFLite's int8 kernels need to share parameters (the input and output of RESHAPE,
    MAX_POOL_2D, PAD; the inputs and output of CONCATENATION) get their union range;
  - CONV_2D / DEPTHWISE_CONV_2D weights: int8 symmetric per output channel (quantized dimension 0
    for CONV_2D [O, H, W, I], 3 for DEPTHWISE_CONV_2D [1, H, W, C]), scale max|w| / 127; biases
    int32 with scale input scale x weight scale, zero point 0;
  - the model's inputs and outputs stay float32: QUANTIZE after each input, DEQUANTIZE before each
    output (the outputs keep their names).
--weights_only writes the weight-only form instead: the convolution weights int8 per output channel
behind DEQUANTIZE, activations float (no calibration).
--uint8 writes TFLite's older uint8 form instead (the uint8 kernels, operator version 1): activations
uint8 (the int8 grids, zero points + 128), weights uint8 per tensor (those kernels take no per-channel
weights), int32 biases. "symmetric": weight scale max|w| / 127, zero point 128 (codes 1..255);
"asymmetric": the weights' [min, max] (with 0 inside) over 0..255, zero point round(-min / scale), as
TensorFlow 1's quantization-aware training left them.
Calibration inputs ("face_images"): 128x128 crops of the face photos shipped in the pinned
@vladmandic/human package (assets/*.jpg), scaled to [-1, 1] as BlazeFace expects; those used (not
left out by --max_output) are written as .npy into --calibration_out (the tests feed them). Needs Debian's python3-numpy and
python3-pil, and node with the pinned @tensorflow/tfjs-tflite.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tflite_flatbuffer as fb  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
NPM = os.path.join(REPO, 'third_party', 'npm', 'node_modules')
RUNNER = os.path.join(REPO, 'tools', 'tflite_run.js')

SHARED = {fb.OP['RESHAPE'], fb.OP['MAX_POOL_2D'], fb.OP['PAD'], fb.OP['CONCATENATION']}
SUPPORTED = SHARED | {fb.OP['CONV_2D'], fb.OP['DEPTHWISE_CONV_2D'], fb.OP['ADD'], fb.OP['RELU']}
# operator versions of the int8 kernels (tensorflow/lite/tools/versioning)
INT8_VERSION = {fb.OP['CONV_2D']: 3, fb.OP['DEPTHWISE_CONV_2D']: 3, fb.OP['ADD']: 2, fb.OP['RELU']: 2,
                fb.OP['MAX_POOL_2D']: 2, fb.OP['PAD']: 2, fb.OP['CONCATENATION']: 2, fb.OP['RESHAPE']: 1,
                fb.OP['QUANTIZE']: 1, fb.OP['DEQUANTIZE']: 2}


def face_images(n, size=128):
    """n crops (NHWC f32 in [-1, 1]) of the face photos of @vladmandic/human: sliding windows."""
    from PIL import Image
    files = sorted(glob.glob(os.path.join(NPM, '@vladmandic', 'human', 'assets', '*.jpg')))
    if not files:
        sys.exit('quantize_tflite.py: no photos under %s (run tools/setup.sh)' % NPM)
    crops = []
    for f in files:
        img = Image.open(f).convert('RGB')
        w, h = img.size
        for win in (min(h, w), min(h, w) // 2, min(h, w) // 4):
            for y in range(0, h - win + 1, max(1, win // 2)):
                for x in range(0, w - win + 1, max(1, win // 2)):
                    c = img.crop((x, y, x + win, y + win)).resize((size, size), Image.BOX)
                    c = np.asarray(c, np.float32) / 127.5 - 1.0
                    if c.std() > 0.25:  # no flat crops (screenshot margins): they drive BlazeFace far off its range
                        crops.append(c)
    idx = np.linspace(0, len(crops) - 1, min(n, len(crops))).round().astype(int)
    return [crops[i][None] for i in idx]


def fold_dequantize(m):
    """Constants behind DEQUANTIZE (fp16 or int8 weights) become f32 constants; the op is dropped."""
    keep = []
    for o in m.operators:
        src = m.tensors[o.inputs[0]]
        if o.op == fb.OP['DEQUANTIZE'] and src.data is not None:
            dst = m.tensors[o.outputs[0]]
            if src.type == fb.FLOAT16:
                dst.data = np.frombuffer(src.data, np.float16).astype(np.float32).tobytes()
            else:
                sys.exit('quantize_tflite.py: DEQUANTIZE of a %d tensor' % src.type)
            dst.type = fb.FLOAT32
            continue
        keep.append(o)
    m.operators = keep
    used = {i for o in m.operators for i in o.inputs} | set(m.inputs) | set(m.outputs)
    for i, t in enumerate(m.tensors):
        if i not in used:
            t.data = None


# the fused-activation option field of the ops fuse_relu folds a RELU into
ACT_FIELD = {fb.OP['CONV_2D']: 3, fb.OP['DEPTHWISE_CONV_2D']: 4, fb.OP['ADD']: 0}


def fuse_relu(m):
    """RELU after a CONV_2D, DEPTHWISE_CONV_2D or ADD that has no fused activation and no other
    reader becomes that op's fused activation, as the TFLite converter writes it."""
    readers = {}
    for o in m.operators:
        for i in o.inputs:
            readers[i] = readers.get(i, 0) + 1
    producer = {o.outputs[0]: o for o in m.operators}
    keep = []
    for o in m.operators:
        p = producer.get(o.inputs[0]) if o.op == fb.OP['RELU'] else None
        if (p is not None and p.op in ACT_FIELD and p.options.get(ACT_FIELD[p.op], 0) == 0 and
                readers.get(o.inputs[0]) == 1 and o.inputs[0] not in m.outputs):
            p.options[ACT_FIELD[p.op]] = 1
            p.outputs = [o.outputs[0]]
            producer[o.outputs[0]] = p
            continue
        keep.append(o)
    m.operators = keep


def computed(m):
    return [i for o in m.operators for i in o.outputs]


def calibrate(m, inputs, max_output):
    """Per computed tensor: (min, max) over the inputs, from the real TFLite interpreter, and the
    inputs left out: those on which some model output exceeds max_output in magnitude (BlazeFace
    gives logits near -30000 on crops with large black areas; they would set the output scales)."""
    skipped = []
    cal = fb.Model()
    cal.tensors = [fb.Tensor('t%d' % i, t.shape, t.type, t.data, None, t.signature) for i, t in enumerate(m.tensors)]
    cal.operators, cal.inputs = m.operators, m.inputs
    cal.outputs = computed(m)
    tmp = tempfile.mkdtemp(prefix='moir_quant_')
    try:
        model = os.path.join(tmp, 'cal.tflite')
        fb.write(cal, model)
        lo, hi = {}, {}
        for k, x in enumerate(inputs):
            f = os.path.join(tmp, 'in.npy')
            np.save(f, x.astype(np.float32))
            out = os.path.join(tmp, 'out')
            subprocess.run(['node', RUNNER, '--model', model, '--input', f, '--output_dir', out], check=True,
                           stdout=subprocess.DEVNULL)
            vals = {i: np.load(os.path.join(out, 't%d.npy' % i)) for i in cal.outputs}
            if max(float(np.abs(vals[i]).max()) for i in m.outputs) > max_output:
                skipped.append(k)
                continue
            for i, v in vals.items():
                lo[i] = min(lo.get(i, 0.0), float(v.min()))
                hi[i] = max(hi.get(i, 0.0), float(v.max()))
        return lo, hi, skipped
    finally:
        shutil.rmtree(tmp)


def act_quant(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-6:
        hi = lo + 1e-6
    scale = (hi - lo) / 255.0
    zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return fb.Quant([scale], [zp])


def weight_quant(w, axis):
    """Symmetric per-channel int8 weights along axis: (q, scales)."""
    moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    s = np.abs(moved).max(axis=1) / 127.0
    s[s == 0] = 1.0
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / s.reshape(shape)), -127, 127).astype(np.int8)
    return q, s.astype(np.float32)


def weight_quant_uint8(w, how):
    """uint8 weights per tensor: (q, scale, zero point); see --uint8."""
    if how == 'symmetric':
        s = max(float(np.abs(w).max()) / 127.0, 1e-12)
        return (np.clip(np.round(w / s), -127, 127) + 128).astype(np.uint8), s, 128
    lo, hi = min(float(w.min()), 0.0), max(float(w.max()), 0.0)
    s = max((hi - lo) / 255.0, 1e-12)
    zp = int(np.clip(np.round(-lo / s), 0, 255))
    return np.clip(np.round(w / s) + zp, 0, 255).astype(np.uint8), s, zp


def quantize(m, lo, hi, uint8=None):
    """The full-integer model of float model m with calibrated ranges lo, hi (int8, or uint8 with
    per-tensor weights when uint8 is 'symmetric' or 'asymmetric')."""
    bad = sorted({fb.OP_NAME.get(o.op, str(o.op)) for o in m.operators if o.op not in SUPPORTED})
    if bad:
        sys.exit('quantize_tflite.py: ops without an int8 mapping here: ' + ', '.join(bad))
    # tensors that must share parameters: union-find
    parent = {}

    def find(a):
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    for o in m.operators:
        if o.op in SHARED:
            acts = [i for i in o.inputs if i >= 0 and m.tensors[i].data is None]
            for i in acts + o.outputs[1:]:
                parent[find(i)] = find(o.outputs[0])
    group_lo, group_hi = {}, {}
    acts = set(computed(m)) | set(m.inputs)
    for i in acts:
        g = find(i)
        group_lo[g] = min(group_lo.get(g, 0.0), lo.get(i, 0.0))
        group_hi[g] = max(group_hi.get(g, 0.0), hi.get(i, 0.0))
    q = fb.Model()
    q.description = 'moir tools/tflite/quantize_tflite.py: full-integer ' + ('uint8 (%s weights)' % uint8 if uint8 else 'int8')
    version = (lambda op: 1) if uint8 else (lambda op: INT8_VERSION[op])
    # tensors: float inputs and outputs kept, every activation int8 (uint8: the same grid, codes + 128)
    q.tensors = [fb.Tensor(t.name, t.shape, t.type, t.data, None, t.signature) for t in m.tensors]
    for i in acts:
        g = find(i)
        q.tensors[i].type = fb.UINT8 if uint8 else fb.INT8
        q.tensors[i].quant = act_quant(group_lo[g], group_hi[g])
        if uint8:
            q.tensors[i].quant.zero_point = [z + 128 for z in q.tensors[i].quant.zero_point]
    ops = []
    for i in m.inputs:  # float input -> QUANTIZE -> int8
        f = len(q.tensors)
        q.tensors.append(fb.Tensor(m.tensors[i].name, m.tensors[i].shape, fb.FLOAT32, None, None, m.tensors[i].signature))
        q.tensors[i].name = m.tensors[i].name + '_int8'
        q.inputs.append(f)
        ops.append(fb.Operator(fb.OP['QUANTIZE'], [f], [i], 55, {}, version(fb.OP['QUANTIZE'])))
    for o in m.operators:
        o2 = fb.Operator(o.op, o.inputs, o.outputs, o.options_type, dict(o.options), version(o.op))
        if o.op in (fb.OP['CONV_2D'], fb.OP['DEPTHWISE_CONV_2D']):
            x, wi = q.tensors[o.inputs[0]], o.inputs[1]
            wt = m.tensors[wi]
            w = np.frombuffer(wt.data, np.float32).reshape(wt.shape)
            axis = 0 if o.op == fb.OP['CONV_2D'] else 3
            nw = len(q.tensors)
            if uint8:
                wq, s1, zp = weight_quant_uint8(w, uint8)
                ws = np.array([s1], np.float32)
                q.tensors.append(fb.Tensor(wt.name + '_uint8', wt.shape, fb.UINT8, wq.tobytes(), fb.Quant(ws, [zp])))
            else:
                wq, ws = weight_quant(w, axis)
                q.tensors.append(fb.Tensor(wt.name + '_int8', wt.shape, fb.INT8, wq.tobytes(), fb.Quant(ws, [0] * len(ws), axis)))
            o2.inputs = [o.inputs[0], nw] + o.inputs[2:]
            if len(o.inputs) > 2 and o.inputs[2] >= 0:
                bt = m.tensors[o.inputs[2]]
                b = np.frombuffer(bt.data, np.float32)
                bs = (x.quant.scale[0] * ws).astype(np.float64)
                bq = np.clip(np.round(b / bs), -2**31, 2**31 - 1).astype(np.int32)
                nb = len(q.tensors)
                q.tensors.append(fb.Tensor(bt.name + '_int32', bt.shape, fb.INT32, bq.tobytes(),
                                           fb.Quant(bs.astype(np.float32), [0] * len(bs), 0)))
                o2.inputs[2] = nb
        elif o.op == fb.OP['PAD']:
            pt = m.tensors[o.inputs[1]]
            if pt.type != fb.INT32:
                sys.exit('quantize_tflite.py: PAD with %d paddings' % pt.type)
        ops.append(o2)
    for k, i in enumerate(m.outputs):  # int8 -> DEQUANTIZE -> float output, named as before
        f = len(q.tensors)
        q.tensors.append(fb.Tensor(m.tensors[i].name, m.tensors[i].shape, fb.FLOAT32, None, None, m.tensors[i].signature))
        q.tensors[i].name = m.tensors[i].name + '_int8'
        ops.append(fb.Operator(fb.OP['DEQUANTIZE'], [i], [f], 0, {}, version(fb.OP['DEQUANTIZE'])))
        q.outputs.append(f)
    q.operators = ops
    # drop the float weights nothing reads any more
    used = {i for o in q.operators for i in o.inputs}
    for i, t in enumerate(q.tensors):
        if t.data is not None and i not in used:
            t.data = None
    return q


def weights_only(m):
    """The float model with its CONV_2D / DEPTHWISE_CONV_2D weights stored int8 per output channel
    behind DEQUANTIZE (weight-only quantization: float activations, as 'hybrid' models ship)."""
    ops = []
    for o in m.operators:
        if o.op in (fb.OP['CONV_2D'], fb.OP['DEPTHWISE_CONV_2D']):
            wt = m.tensors[o.inputs[1]]
            axis = 0 if o.op == fb.OP['CONV_2D'] else 3
            q, s = weight_quant(np.frombuffer(wt.data, np.float32).reshape(wt.shape), axis)
            qi = len(m.tensors)
            m.tensors.append(fb.Tensor(wt.name + '_int8', wt.shape, fb.INT8, q.tobytes(), fb.Quant(s, [0] * len(s), axis)))
            fi = len(m.tensors)
            m.tensors.append(fb.Tensor(wt.name + '_dequantized', wt.shape, fb.FLOAT32))
            ops.append(fb.Operator(fb.OP['DEQUANTIZE'], [qi], [fi], 0, {}, INT8_VERSION[fb.OP['DEQUANTIZE']]))
            o.inputs = [o.inputs[0], fi] + o.inputs[2:]
        ops.append(o)
    m.operators = ops
    used = {i for o in m.operators for i in o.inputs}
    for i, t in enumerate(m.tensors):
        if t.data is not None and i not in used:
            t.data = None
    m.description = 'moir tools/tflite/quantize_tflite.py: int8 weights, float activations'
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--calibration', default='face_images', choices=['face_images'])
    ap.add_argument('--images', type=int, default=32)
    ap.add_argument('--weights_only', action='store_true',
                    help='only the convolution weights in int8 (behind DEQUANTIZE); no calibration')
    ap.add_argument('--uint8', choices=['symmetric', 'asymmetric'],
                    help='uint8 activations and per-tensor uint8 weights (zero point 128, or from the weights\' range)')
    ap.add_argument('--max_output', type=float, default=1000.0,
                    help='leave out calibration inputs on which an output exceeds this magnitude')
    ap.add_argument('--calibration_out', help='folder for the calibration inputs as .npy')
    a = ap.parse_args()
    m = fb.read(a.model)
    fold_dequantize(m)
    if a.weights_only:
        fb.write(weights_only(m), a.out)
        print('%s: int8 weights behind DEQUANTIZE, float activations' % a.out)
        return
    fuse_relu(m)
    inputs = face_images(a.images)
    lo, hi, skipped = calibrate(m, inputs, a.max_output)
    if a.calibration_out:  # the inputs calibrated on, numbered from 0
        os.makedirs(a.calibration_out, exist_ok=True)
        for k, x in enumerate(x for i, x in enumerate(inputs) if i not in skipped):
            np.save(os.path.join(a.calibration_out, 'input_%02d.npy' % k), x)
    for i in m.inputs:  # widened by 0.1%: pixel values p / 127.5 - 1 would all be rounding ties of [-1, 1]'s grid
        lo[i] = float(min(x.min() for x in inputs)) * 1.001
        hi[i] = float(max(x.max() for x in inputs)) * 1.001
    q = quantize(m, lo, hi, a.uint8)
    fb.write(q, a.out)
    kind = fb.UINT8 if a.uint8 else fb.INT8
    n8 = sum(1 for t in q.tensors if t.type == kind)
    print('%s: %d operators, %d %s tensors, calibrated on %d inputs (%d left out: %s)' %
          (a.out, len(q.operators), n8, 'uint8' if a.uint8 else 'int8', len(inputs) - len(skipped), len(skipped), skipped))


if __name__ == '__main__':
    main()
