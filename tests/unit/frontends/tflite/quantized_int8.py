#!/usr/bin/env python3
"""tests/unit/frontends/tflite/quantized_int8.py - a full-integer TFLite model in moir (CTest tflite_int8).

Usage: /usr/bin/python3 tests/unit/frontends/tflite/quantized_int8.py --build BUILD [--images N]

1. tools/tflite/quantize_tflite.py writes an int8 BlazeFace (MediaPipe face_detection_short_range's
   weights, int8 per-channel weights, int8 activations calibrated on real face photos).
2. The real TFLite interpreter (tools/tflite_run.js) and `moir run` (reference executor and compiled
   plan) run it on real crops: the outputs correlate (> 0.97) and most values agree within one output
   quantization step (the step of the int8 tensor behind each final DEQUANTIZE); moir's outputs are
   as close to the float model's as TFLite's int8 ones (correlation within 0.03). Layer by layer (every int8 tensor made an output; moir writes codes), under
   0.1% of the codes of the first FIRST_EXACT tensors differ from TFLite's and the mean code
   difference over all tensors stays below 1:
   one-code differences (FakeQuantize rounds ties to even, TFLite away from zero; f32 against
   fixed-point rescaling) grow through BlazeFace's layers, as quantization error itself does.
3. `moir bench --per_layer --json`: no step on a reference kernel, every convolution on an INT8
   kernel (the FakeQuantize + i8 weights form moir's INT8 families take).
4. The same model with UINT8 activations (zero points + 128) gives the same outputs in moir; with
   int8 input and outputs (no QUANTIZE/DEQUANTIZE) moir takes and writes codes that agree with
   TFLite's and starts on the INT8 kernels; the
   weight-only form (--weights_only: int8 weights behind DEQUANTIZE, float activations) is within
   1e-4 of TFLite and keeps its weights i8 in the IR. uint8 models (--uint8: per-tensor uint8 weights, uint8
   activations) agree with TFLite's uint8 kernels; weights with zero point 128 stay i8 codes in the IR,
   weights whose codes reach beyond int8 around their zero point stay u8 codes with a Subtract of the
   zero point; both run every convolution on the INT8 kernels.
5. Bad quantization parameters (a wrong per-channel scale count, a zero scale, per-channel scales
   on an activation, a quantized INT32 activation) give `moir convert` errors naming the tensor.
Exit status 0 when every check holds; each failure is printed.
"""

import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..'))
sys.path.insert(0, os.path.join(REPO, 'tools', 'tflite'))
import tflite_flatbuffer as fb  # noqa: E402

MODEL = os.path.join(REPO, 'third_party', 'npm', 'node_modules', '@mediapipe', 'face_detection',
                     'face_detection_short_range.tflite')
FIRST_EXACT = 12  # the first int8 tensors (four residual blocks): under 0.1% of moir's codes differ from TFLite's
failures = []


def check(ok, what):
    print(('ok    ' if ok else 'FAIL  ') + what)
    if not ok:
        failures.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--images', type=int, default=12)
    a = ap.parse_args()
    moir = os.path.join(a.build, 'moir')
    out = os.path.join(a.build, 'test_scratch', 'tflite_int8')
    os.makedirs(out, exist_ok=True)
    qmodel = os.path.join(out, 'blazeface_int8.tflite')
    cal = os.path.join(out, 'calibration')
    if os.path.isdir(cal):
        for f in os.listdir(cal):
            os.remove(os.path.join(cal, f))
    r = run(['/usr/bin/python3', os.path.join(REPO, 'tools', 'tflite', 'quantize_tflite.py'), '--model', MODEL,
             '--out', qmodel, '--images', str(a.images), '--calibration_out', cal])
    print(r.stdout + r.stderr)
    if r.returncode:
        sys.exit('quantize_tflite.py failed')

    q = fb.read(qmodel)
    # output name -> the int8 tensor's scale behind its DEQUANTIZE
    step = {}
    for o in q.operators:
        if o.op == fb.OP['DEQUANTIZE']:
            step[q.tensors[o.outputs[0]].name] = q.tensors[o.inputs[0]].quant.scale[0]

    worst = {}
    used = len([f for f in os.listdir(cal) if f.startswith('input_')])
    for k in (0, used // 2, used - 1):
        x = os.path.join(cal, 'input_%02d.npy' % k)
        d = os.path.join(out, 'in%02d' % k)
        for name, cmd in (('tflite_int8', ['node', os.path.join(REPO, 'tools', 'tflite_run.js'), '--model', qmodel]),
                          ('tflite_float', ['node', os.path.join(REPO, 'tools', 'tflite_run.js'), '--model', MODEL]),
                          ('moir_int8', [moir, 'run', '-m', qmodel]),
                          ('moir_int8_plan', [moir, 'run', '-m', qmodel, '-t', '1'])):
            r = run(cmd + ['--input', x, '--output_dir', os.path.join(d, name)])
            check(r.returncode == 0, '%s runs on input %d %s' % (name, k, r.stderr.strip()[-400:]))
        for n, s in step.items():
            f = n.replace('/', '_') + '.npy'
            ref = np.load(os.path.join(d, 'tflite_int8', f))
            flt = np.load(os.path.join(d, 'tflite_float', f))
            corr = float(np.corrcoef(ref.ravel(), flt.ravel())[0, 1])
            for how in ('moir_int8', 'moir_int8_plan'):
                got = np.load(os.path.join(d, how, f))
                steps = float(np.abs(got - ref).max()) / s
                p99 = float(np.percentile(np.abs(got - ref), 99)) / s
                within = float(np.mean(np.abs(got - ref) <= s * 1.001))
                ratio = float(np.abs(got - ref).mean() / np.abs(ref - flt).mean())
                corr_moir = float(np.corrcoef(got.ravel(), flt.ravel())[0, 1])
                rel = float(np.abs(got - flt).max() / np.abs(flt).max())
                corr_ref = float(np.corrcoef(got.ravel(), ref.ravel())[0, 1])
                print('input %2d %-15s %-14s vs TFLite int8: corr %.4f, max %.0f steps (step %.4g), 99th percentile %.0f, '
                      '%.2f%% within 1 step, mean|moir - TFLite| / mean|TFLite - float| %.3f; '
                      'vs the float model: corr %.4f (TFLite int8 %.4f), max|moir - float| / max|float| %.3f'
                      % (k, n, how, corr_ref, steps, s, p99, 100 * within, ratio, corr_moir, corr, rel))
                worst[(n, how)] = max(worst.get((n, how), 0.0), steps)
                check(corr_ref > 0.97, '%s %s on input %d: correlates with TFLite int8 (%.4f)' % (n, how, k, corr_ref))
                check(within > 0.6, '%s %s on input %d: most values within 1 step of TFLite int8' % (n, how, k))
                check(corr_moir > corr - 0.03, '%s %s on input %d: as close to the float model as TFLite int8 '
                      '(correlation %.4f, TFLite %.4f)' % (n, how, k, corr_moir, corr))
    print('worst moir vs TFLite int8, in output steps:', worst)

    # every int8 tensor, layer by layer: the model with each one as an output (moir writes the
    # codes of a quantized output), one input, TFLite's codes against moir's
    every = fb.read(qmodel)
    names = [t.name for t in every.tensors]
    for i, t in enumerate(every.tensors):
        t.name = 't%d' % i
    ints = [o.outputs[0] for o in every.operators if every.tensors[o.outputs[0]].type == fb.INT8]
    every.outputs = ints + every.outputs
    every_model = os.path.join(out, 'blazeface_int8_every_tensor.tflite')
    fb.write(every, every_model)
    x = os.path.join(cal, 'input_00.npy')
    for name, cmd in (('tflite', ['node', os.path.join(REPO, 'tools', 'tflite_run.js'), '--model', every_model]),
                      ('moir', [moir, 'run', '-m', every_model, '-t', '1'])):
        r = run(cmd + ['--input', x, '--output_dir', os.path.join(out, 'every', name)])
        check(r.returncode == 0, '%s runs the every-tensor model %s' % (name, r.stderr.strip()[-400:]))
    diffs = []
    for i in ints:
        a8 = np.load(os.path.join(out, 'every', 'tflite', 't%d.npy' % i)).astype(int)
        m8 = np.load(os.path.join(out, 'every', 'moir', 't%d.npy' % i))
        check(m8.dtype == np.int8, 'moir writes int8 codes for %s' % names[i])
        d = np.abs(a8 - m8.astype(int))
        diffs.append((names[i], int(d.max()), float(d.mean()), float((d > 0).mean())))
    for n, mx, mean, frac in diffs:
        print('  %-28s codes: max |moir - TFLite| %3d, mean %.4f, %.2f%% differ' % (n, mx, mean, 100 * frac))
    first = diffs[:FIRST_EXACT]
    check(all(frac < 1e-3 for _, _, _, frac in first),
          'the first %d int8 tensors: under 0.1%% of the codes differ from TFLite\'s' % FIRST_EXACT)
    overall = float(np.mean([mean for _, _, mean, _ in diffs]))
    print('mean code difference over the %d int8 tensors: %.3f' % (len(diffs), overall))
    check(overall < 1.0, 'mean code difference over every int8 tensor below 1 (%.3f)' % overall)

    # UINT8 activations: the same grids with codes shifted by 128 (zero point + 128) give moir the
    # same FakeQuantize ranges, so the same outputs
    u8 = fb.read(qmodel)
    for t in u8.tensors:
        if t.type == fb.INT8 and t.data is None:
            t.type = fb.UINT8
            t.quant.zero_point = [z + 128 for z in t.quant.zero_point]
    u8_model = os.path.join(out, 'blazeface_uint8_activations.tflite')
    fb.write(u8, u8_model)
    x = os.path.join(cal, 'input_00.npy')
    r = run([moir, 'run', '-m', u8_model, '-t', '1', '--input', x, '--output_dir', os.path.join(out, 'uint8')])
    check(r.returncode == 0, 'moir runs the UINT8-activation model %s' % r.stderr.strip()[-400:])
    for n in step:
        f = n.replace('/', '_') + '.npy'
        a8 = np.load(os.path.join(out, 'in00', 'moir_int8_plan', f))
        u = np.load(os.path.join(out, 'uint8', f))
        d = float(np.abs(a8 - u).max() / np.abs(a8).max())
        print('%s: UINT8 activations vs INT8, max|diff| / max|int8| %.2e' % (n, d))
        check(d <= 1e-5, '%s: UINT8 activations give the INT8 model\'s outputs' % n)

    # int8 input and outputs (no QUANTIZE / DEQUANTIZE: the graph's own input and outputs are int8
    # codes): moir takes and writes codes, and its compiled plan starts on the INT8 kernels
    io = fb.read(qmodel)
    qin = next(o for o in io.operators if o.op == fb.OP['QUANTIZE'])
    deq = [o for o in io.operators if o.op == fb.OP['DEQUANTIZE']]
    io.inputs = [qin.outputs[0]]
    io.outputs = [o.inputs[0] for o in deq]
    io.operators = [o for o in io.operators if o is not qin and o not in deq]
    io_model = os.path.join(out, 'blazeface_int8_io.tflite')
    fb.write(io, io_model)
    iq = io.tensors[io.inputs[0]].quant
    xf = np.load(x)
    codes = np.clip(np.sign(xf / iq.scale[0]) * np.floor(np.abs(xf / iq.scale[0]) + 0.5) + iq.zero_point[0], -128, 127)
    xq = os.path.join(out, 'input_00_int8.npy')
    np.save(xq, codes.astype(np.int8))
    for name, cmd in (('tflite', ['node', os.path.join(REPO, 'tools', 'tflite_run.js'), '--model', io_model]),
                      ('moir', [moir, 'run', '-m', io_model, '-t', '1'])):
        r = run(cmd + ['--input', xq, '--output_dir', os.path.join(out, 'int8_io', name)])
        check(r.returncode == 0, '%s runs the int8-I/O model %s' % (name, r.stderr.strip()[-400:]))
    for i in io.outputs:
        f = io.tensors[i].name.replace('/', '_') + '.npy'
        ref = np.load(os.path.join(out, 'int8_io', 'tflite', f)).astype(int)
        got = np.load(os.path.join(out, 'int8_io', 'moir', f))
        check(got.dtype == np.int8, 'int8-I/O model: moir writes int8 codes for %s' % io.tensors[i].name)
        d = np.abs(got.astype(int) - ref)
        c = float(np.corrcoef(got.ravel().astype(float), ref.ravel().astype(float))[0, 1])
        print('int8-I/O %s: codes vs TFLite: corr %.4f, mean |diff| %.3f, %.2f%% within 1' %
              (io.tensors[i].name, c, d.mean(), 100 * (d <= 1).mean()))
        check(c > 0.97 and (d <= 1).mean() > 0.6, 'int8-I/O model: %s codes agree with TFLite' % io.tensors[i].name)
    r = run([moir, 'bench', '-m', io_model, '--per_layer', '--json', '--iterations', '2', '--warmup', '1', '-t', '1'])
    check(r.returncode == 0, 'moir bench runs the int8-I/O model ' + r.stderr[-400:])
    if r.returncode == 0:
        layers = json.loads(r.stdout.strip().splitlines()[-1])['layers']
        first = next(l for l in layers if 'Convolution' in l['ops'])
        print('int8-I/O model: first convolution step %s on %s' % (first['ops'], first['kernel']))
        check('i8' in first['kernel'], 'int8-I/O model: the first convolution on an INT8 kernel')

    # weight-only int8 (float activations): moir within 1e-4 of TFLite, the weights i8 in the IR
    wmodel = os.path.join(out, 'blazeface_int8_weights.tflite')
    r = run(['/usr/bin/python3', os.path.join(REPO, 'tools', 'tflite', 'quantize_tflite.py'), '--model', MODEL,
             '--out', wmodel, '--weights_only'])
    check(r.returncode == 0, 'quantize_tflite.py --weights_only ' + r.stderr[-400:])
    for name, cmd in (('tflite', ['node', os.path.join(REPO, 'tools', 'tflite_run.js'), '--model', wmodel]),
                      ('moir', [moir, 'run', '-m', wmodel, '-t', '1'])):
        r = run(cmd + ['--input', x, '--output_dir', os.path.join(out, 'weights_only', name)])
        check(r.returncode == 0, '%s runs the weight-only model %s' % (name, r.stderr.strip()[-400:]))
    for n in step:
        f = n.replace('/', '_') + '.npy'
        ref = np.load(os.path.join(out, 'weights_only', 'tflite', f))
        got = np.load(os.path.join(out, 'weights_only', 'moir', f))
        d = float(np.abs(got - ref).max() / np.abs(ref).max())
        print('%s: weight-only int8, max|moir - TFLite| / max|TFLite| %.2e' % (n, d))
        check(d <= 1e-4, '%s: weight-only int8 within 1e-4 of TFLite' % n)
    r = run([moir, 'convert', '-m', wmodel, '-o', os.path.join(out, 'weights_only', 'ir')])
    check(r.returncode == 0, 'moir converts the weight-only model ' + r.stderr[-400:])
    if r.returncode == 0:
        xml = open(os.path.join(out, 'weights_only', 'ir', 'blazeface_int8_weights.xml')).read()
        n8 = xml.count('element_type="i8"')
        print('weight-only IR: %d i8 constants' % n8)
        check(n8 == 37, 'the weight-only IR keeps the 37 convolution weights i8 (%d)' % n8)

    # uint8 weights (TFLite's older uint8 kernels: per-tensor uint8 weights with a zero point, uint8
    # activations): with zero point 128 the centred codes q - 128 are int8 codes, so moir keeps them i8;
    # with the weights' own [min, max] (zero points far from 128) no int8 code holds q - zp and moir
    # keeps the u8 codes and their zero points (Convert -> Subtract -> Multiply), which its INT8
    # kernels take as well (a correction by the column sums of the activations). Every convolution
    # runs on the INT8 kernels. Both against the TFLite interpreter.
    for how, expect_i8, expect_u8 in (('symmetric', 37, 0), ('asymmetric', 0, 37)):
        umodel = os.path.join(out, 'blazeface_uint8_%s.tflite' % how)
        ucal = os.path.join(out, 'calibration_uint8_%s' % how)
        r = run(['/usr/bin/python3', os.path.join(REPO, 'tools', 'tflite', 'quantize_tflite.py'), '--model', MODEL,
                 '--out', umodel, '--images', '6', '--uint8', how, '--calibration_out', ucal])
        check(r.returncode == 0, 'quantize_tflite.py --uint8 %s %s' % (how, r.stderr[-400:]))
        if r.returncode:
            continue
        um = fb.read(umodel)
        ustep = {}
        for o in um.operators:
            if o.op == fb.OP['DEQUANTIZE']:
                ustep[um.tensors[o.outputs[0]].name] = um.tensors[o.inputs[0]].quant.scale[0]
        zps = [t.quant.zero_point[0] for t in um.tensors if t.type == fb.UINT8 and t.data is not None]
        print('uint8 %s weights: %d tensors, zero points %s' % (how, len(zps), sorted(set(zps))))
        ux = os.path.join(ucal, 'input_00.npy')
        d = os.path.join(out, 'uint8_' + how)
        for name, cmd in (('tflite', ['node', os.path.join(REPO, 'tools', 'tflite_run.js'), '--model', umodel]),
                          ('moir', [moir, 'run', '-m', umodel]),
                          ('moir_plan', [moir, 'run', '-m', umodel, '-t', '1'])):
            r = run(cmd + ['--input', ux, '--output_dir', os.path.join(d, name)])
            check(r.returncode == 0, '%s runs the uint8 (%s) model %s' % (name, how, r.stderr.strip()[-400:]))
        for n, st in ustep.items():
            f = n.replace('/', '_') + '.npy'
            if not os.path.exists(os.path.join(d, 'tflite', f)):
                continue
            ref = np.load(os.path.join(d, 'tflite', f))
            for run_how in ('moir', 'moir_plan'):
                got = np.load(os.path.join(d, run_how, f))
                corr_ref = float(np.corrcoef(got.ravel(), ref.ravel())[0, 1])
                within = float(np.mean(np.abs(got - ref) <= st * 1.001))
                print('uint8 %-10s %-15s %-9s vs TFLite uint8: corr %.4f, %.2f%% within 1 step (step %.4g)'
                      % (how, n, run_how, corr_ref, 100 * within, st))
                check(corr_ref > 0.97, 'uint8 %s: %s %s correlates with TFLite uint8 (%.4f)' % (how, n, run_how, corr_ref))
                check(within > 0.6, 'uint8 %s: %s %s mostly within 1 step of TFLite uint8' % (how, n, run_how))
        ir = os.path.join(d, 'ir')
        r = run([moir, 'convert', '-m', umodel, '-o', ir])
        check(r.returncode == 0, 'moir converts the uint8 (%s) model %s' % (how, r.stderr[-400:]))
        if r.returncode == 0:
            xml = open(os.path.join(ir, 'blazeface_uint8_%s.xml' % how)).read()
            n8 = xml.count('element_type="i8"')
            nu8 = len(re.findall(r'type="Const"[^>]*>\s*<data element_type="u8"', xml))
            print('uint8 %s IR: %d i8 and %d u8 weight constants' % (how, n8, nu8))
            check(n8 == expect_i8, 'uint8 %s: %d weights kept as int8 codes in the IR (%d)' % (how, expect_i8, n8))
            check(nu8 == expect_u8, 'uint8 %s: %d weights kept as uint8 codes in the IR (%d)' % (how, expect_u8, nu8))
        r = run([moir, 'bench', '-m', umodel, '--per_layer', '--json', '--iterations', '2', '--warmup', '1', '-t', '1'])
        check(r.returncode == 0, 'moir bench runs the uint8 (%s) model %s' % (how, r.stderr[-400:]))
        if r.returncode == 0:
            layers = json.loads(r.stdout.strip().splitlines()[-1])['layers']
            conv = [l for l in layers if 'Convolution' in l['ops']]
            on_int8 = sum(1 for l in conv if 'i8' in l['kernel'])
            slow = [l['ops'] + ' ' + l['name'] for l in layers if l['kernel'] == 'reference']
            print('uint8 %s: %d of %d convolution steps on INT8 kernels, %d steps on reference kernels'
                  % (how, on_int8, len(conv), len(slow)))
            check(not slow, 'uint8 %s: no step on a reference kernel %s' % (how, slow))
            check(on_int8 == len(conv), 'uint8 %s: every convolution on an INT8 kernel' % how)
            print('uint8 %s: convolution kernels %s' % (how, sorted({l['kernel'] for l in conv})))

    r = run([moir, 'bench', '-m', qmodel, '--per_layer', '--json', '--iterations', '3', '--warmup', '1', '-t', '1'])
    check(r.returncode == 0, 'moir bench runs ' + r.stderr[-400:])
    if r.returncode == 0:
        b = json.loads(r.stdout.strip().splitlines()[-1])
        slow = [l['ops'] + ' ' + l['name'] for l in b['layers'] if l['kernel'] == 'reference']
        conv = [l for l in b['layers'] if 'Convolution' in l['ops']]
        not_int8 = [l['ops'] + ' ' + l['kernel'] for l in conv if 'i8' not in l['kernel']]
        kernels = sorted({l['kernel'] for l in conv})
        print('bench: %d steps, %.3f ms median; convolution kernels: %s' % (len(b['layers']), b['median_ms'], kernels))
        check(not slow, 'no step on a reference kernel: %s' % slow)
        check(len(conv) > 0 and not not_int8, 'every convolution step on an INT8 kernel: %s' % not_int8)

    # bad quantization parameters
    def broken(name, edit, expect):
        m = fb.read(qmodel)
        t = edit(m)
        path = os.path.join(out, 'bad_%s.tflite' % name)
        fb.write(m, path)
        r = run([moir, 'convert', '-m', path, '-o', os.path.join(out, 'bad_%s' % name)])
        msg = (r.stdout + r.stderr).strip()
        print('%s: %s' % (name, msg.splitlines()[-1] if msg else '(no output)'))
        check(r.returncode != 0 and expect in msg and m.tensors[t].name in msg,
              '%s: an error naming tensor %s with "%s"' % (name, m.tensors[t].name, expect))

    def conv_weight(m):
        o = next(o for o in m.operators if o.op == fb.OP['CONV_2D'])
        return o.inputs[1]

    def first_activation(m):
        return next(o for o in m.operators if o.op == fb.OP['CONV_2D']).outputs[0]

    def scale_count(m):
        t = conv_weight(m)
        m.tensors[t].quant.scale = m.tensors[t].quant.scale[:5]
        m.tensors[t].quant.zero_point = m.tensors[t].quant.zero_point[:5]
        return t

    def zero_scale(m):
        t = first_activation(m)
        m.tensors[t].quant.scale = [0.0]
        return t

    def per_channel_activation(m):
        t = first_activation(m)
        c = m.tensors[t].shape[3]
        m.tensors[t].quant = fb.Quant([m.tensors[t].quant.scale[0]] * c, [0] * c, 3)
        return t

    def int32_activation(m):
        t = first_activation(m)
        m.tensors[t].type = fb.INT32
        return t

    broken('scale_count', scale_count, 'per-channel scales for dimension')
    broken('zero_scale', zero_scale, 'must be finite and > 0')
    broken('per_channel_activation', per_channel_activation, 'per-channel quantization is supported for constants only')
    broken('int32_activation', int32_activation, 'is computed as quantized INT32')

    if failures:
        print('%d check(s) failed' % len(failures))
        sys.exit(1)
    print('all checks passed')


if __name__ == '__main__':
    main()
