#!/usr/bin/env python3
"""tools/tflite/tflite_flatbuffer.py - read and write TFLite flatbuffers (schema v3), the tables
moir's tools need, with no flatbuffers package: a model becomes plain Python objects (Model,
Tensor, Operator; tensor data as bytes; builtin options decoded for the option tables listed in
OPTIONS) and is written back in TFLite's own layout (file identifier TFL3, buffer data aligned to 16).

Used by tools/tflite/quantize_tflite.py, tools/tflite/while_tflite.py and tools/tflite/tflite_fp64.py.
Field ids follow tensorflow/lite/schema/schema.fbs.
"""

import struct

# TensorType
FLOAT32, FLOAT16, INT32, UINT8, INT64, STRING, BOOL, INT16 = 0, 1, 2, 3, 4, 5, 6, 7
INT8 = 9

# BuiltinOperator codes used by the tools
OP = {
    'ADD': 0, 'AVERAGE_POOL_2D': 1, 'CONCATENATION': 2, 'CONV_2D': 3, 'DEPTHWISE_CONV_2D': 4, 'DEQUANTIZE': 6,
    'FULLY_CONNECTED': 9, 'LOGISTIC': 14, 'MAX_POOL_2D': 17, 'MUL': 18, 'RELU': 19, 'RELU6': 21, 'RESHAPE': 22,
    'RESIZE_BILINEAR': 23, 'PAD': 34, 'LESS': 58, 'GREATER': 61, 'REDUCE_MAX': 82, 'LOGICAL_AND': 86,
    'LEAKY_RELU': 98, 'QUANTIZE': 114, 'IF': 118, 'WHILE': 119, 'CALL_ONCE': 129,
    'CUSTOM': 32, 'MEAN': 40, 'TRANSPOSE_CONV': 67, 'HARD_SWISH': 117,
}
OP_NAME = {v: k for k, v in OP.items()}

# BuiltinOptions union: type code -> (name, [(field id, struct format or 'ivec')])
OPTIONS = {
    1: ('Conv2DOptions', [(0, 'b'), (1, 'i'), (2, 'i'), (3, 'b'), (4, 'i'), (5, 'i')]),
    2: ('DepthwiseConv2DOptions', [(0, 'b'), (1, 'i'), (2, 'i'), (3, 'i'), (4, 'b'), (5, 'i'), (6, 'i')]),
    5: ('Pool2DOptions', [(0, 'b'), (1, 'i'), (2, 'i'), (3, 'i'), (4, 'i'), (5, 'b')]),
    8: ('FullyConnectedOptions', [(0, 'b'), (1, 'b'), (2, '?'), (3, '?')]),
    10: ('ConcatenationOptions', [(0, 'i'), (1, 'b')]),
    11: ('AddOptions', [(0, 'b'), (1, '?')]),
    15: ('ResizeBilinearOptions', [(2, '?'), (3, '?')]),
    17: ('ReshapeOptions', [(0, 'ivec')]),
    21: ('MulOptions', [(0, 'b')]),
    22: ('PadOptions', []),
    27: ('ReducerOptions', [(0, '?')]),
    41: ('LessOptions', []),
    44: ('GreaterOptions', []),
    43: ('DequantizeOptions', []),
    49: ('TransposeConvOptions', [(0, 'b'), (1, 'i'), (2, 'i'), (3, 'b')]),
    55: ('QuantizeOptions', []),
    62: ('LogicalAndOptions', []),
    75: ('LeakyReluOptions', [(0, 'f')]),
    92: ('IfOptions', [(0, 'i'), (1, 'i')]),
    93: ('WhileOptions', [(0, 'i'), (1, 'i')]),
    103: ('CallOnceOptions', [(0, 'i')]),
}


class Quant:
    def __init__(self, scale, zero_point, dim=0):
        self.scale = [float(s) for s in scale]
        self.zero_point = [int(z) for z in zero_point]
        self.dim = int(dim)


class Tensor:
    def __init__(self, name, shape, type_, data=None, quant=None, signature=None):
        self.name, self.shape, self.type, self.data, self.quant = name, list(shape), type_, data, quant
        self.signature = signature


class Operator:
    """An operator: builtin code op (OP), its options table (options_type, options: {field id:
    value}); a CUSTOM one (op 32) has its custom_code name and its raw custom_options bytes."""
    def __init__(self, op, inputs, outputs, options_type=0, options=None, version=1, custom_code=None,
                 custom_options=None):
        self.op, self.inputs, self.outputs = op, list(inputs), list(outputs)
        self.options_type, self.options, self.version = options_type, options or {}, version
        self.custom_code, self.custom_options = custom_code, custom_options


class Model:
    """A model's main subgraph (subgraph 0), and in `subgraphs` the further ones (Model objects whose
    tensors, operators, inputs, outputs and subgraph_name are used) that IF / WHILE operators name by
    index: subgraphs[k] is subgraph k + 1."""
    def __init__(self):
        self.tensors, self.operators, self.inputs, self.outputs = [], [], [], []
        self.description = 'moir'
        self.subgraph_name = 'main'
        self.subgraphs = []


# ---- reading ----

class _Reader:
    def __init__(self, b):
        self.b = b

    def u32(self, p): return struct.unpack_from('<I', self.b, p)[0]
    def i32(self, p): return struct.unpack_from('<i', self.b, p)[0]

    def field(self, t, fid):
        vt = t - self.i32(t)
        vsize = struct.unpack_from('<H', self.b, vt)[0]
        o = 4 + 2 * fid
        return struct.unpack_from('<H', self.b, vt + o)[0] if o < vsize else 0

    def scalar(self, t, fid, fmt, default):
        off = self.field(t, fid)
        return struct.unpack_from('<' + fmt, self.b, t + off)[0] if off else default

    def ref(self, t, fid):
        off = self.field(t, fid)
        if not off:
            return None
        p = t + off
        return p + self.u32(p)

    def vector(self, t, fid, fmt):
        p = self.ref(t, fid)
        if p is None:
            return []
        n = self.u32(p)
        return list(struct.unpack_from('<%d%s' % (n, fmt), self.b, p + 4))

    def bytes_(self, t, fid):
        p = self.ref(t, fid)
        if p is None:
            return b''
        n = self.u32(p)
        return bytes(self.b[p + 4:p + 4 + n])

    def tables(self, t, fid):
        p = self.ref(t, fid)
        if p is None:
            return []
        n = self.u32(p)
        return [p + 4 + 4 * i + self.u32(p + 4 + 4 * i) for i in range(n)]

    def string(self, t, fid):
        return self.bytes_(t, fid).decode('utf-8', 'replace')


def read(path):
    """The first subgraph of a .tflite file as a Model (constant tensors carry their bytes)."""
    b = open(path, 'rb').read()
    if b[4:8] != b'TFL3':
        raise ValueError('%s: not a TFLite model' % path)
    r = _Reader(b)
    root = r.u32(0)
    codes = []
    for t in r.tables(root, 1):
        dep = r.scalar(t, 0, 'b', 0)
        codes.append((max(dep, r.scalar(t, 3, 'i', 0)), r.scalar(t, 2, 'i', 1), r.string(t, 1) or None))
    buffers = [r.bytes_(t, 0) for t in r.tables(root, 4)]
    sgs = r.tables(root, 2)
    if len(sgs) != 1:
        raise ValueError('%s: %d subgraphs (one is supported)' % (path, len(sgs)))
    sg = sgs[0]
    m = Model()
    for t in r.tables(sg, 0):
        q = None
        qt = r.ref(t, 4)
        if qt is not None and r.vector(qt, 2, 'f'):
            q = Quant(r.vector(qt, 2, 'f'), r.vector(qt, 3, 'q'), r.scalar(qt, 6, 'i', 0))
        buf = r.scalar(t, 2, 'I', 0)
        data = buffers[buf] if buf < len(buffers) and buffers[buf] else None
        sig = r.vector(t, 7, 'i') or None
        m.tensors.append(Tensor(r.string(t, 3), r.vector(t, 0, 'i'), r.scalar(t, 1, 'b', 0), data, q, sig))
    m.inputs, m.outputs = r.vector(sg, 1, 'i'), r.vector(sg, 2, 'i')
    for t in r.tables(sg, 3):
        code, ver, custom = codes[r.scalar(t, 0, 'I', 0)]
        ot = r.scalar(t, 3, 'B', 0)
        opts = {}
        if ot:
            if ot not in OPTIONS:
                raise ValueError('%s: options type %d of %s are not decoded' % (path, ot, OP_NAME.get(code, code)))
            tt = r.ref(t, 4)
            for fid, fmt in OPTIONS[ot][1]:
                opts[fid] = r.vector(tt, fid, 'i') if fmt == 'ivec' else r.scalar(tt, fid, fmt, None)
            opts = {k: v for k, v in opts.items() if v is not None}
        m.operators.append(Operator(code, r.vector(t, 1, 'i'), r.vector(t, 2, 'i'), ot, opts, ver, custom,
                                    r.bytes_(t, 5) or None))
    return m


# ---- writing ----

class _T:  # table: {field id: (fmt, value) for scalars | object}
    def __init__(self, fields): self.fields = fields


class _V:  # vector of scalars (fmt) or of objects (fmt None); align for the data
    def __init__(self, fmt, items, align=4): self.fmt, self.items, self.align = fmt, items, align


class _B:  # a byte vector (buffer data), aligned to 16
    def __init__(self, data): self.data = data


class _S:
    def __init__(self, s): self.s = s


def _serialize(root, ident=b'TFL3'):
    buf = bytearray(8)
    buf[4:8] = ident
    pending = [(0, root)]

    def pad(align, extra=0):
        while (len(buf) + extra) % align:
            buf.append(0)

    def write(obj):
        if isinstance(obj, _S):
            pad(4)
            p = len(buf)
            s = obj.s.encode()
            buf.extend(struct.pack('<I', len(s)) + s + b'\0')
            return p
        if isinstance(obj, _B):
            pad(16, 4)
            p = len(buf)
            buf.extend(struct.pack('<I', len(obj.data)) + obj.data)
            return p
        if isinstance(obj, _V):
            if obj.fmt is None:
                pad(4)
                p = len(buf)
                buf.extend(struct.pack('<I', len(obj.items)))
                for it in obj.items:
                    pending.append((len(buf), it))
                    buf.extend(b'\0\0\0\0')
                return p
            size = struct.calcsize('<' + obj.fmt)
            pad(max(4, size, obj.align), 4)
            p = len(buf)
            buf.extend(struct.pack('<I', len(obj.items)) + struct.pack('<%d%s' % (len(obj.items), obj.fmt), *obj.items))
            return p
        # table: vtable, then the table (soffset, then fields, largest first)
        ids = sorted(obj.fields)
        nf = (ids[-1] + 1) if ids else 0
        layout, off = {}, 4
        order = sorted(ids, key=lambda i: -(struct.calcsize(obj.fields[i][0]) if isinstance(obj.fields[i], tuple) else 4))
        for i in order:
            f = obj.fields[i]
            size = struct.calcsize('<' + f[0]) if isinstance(f, tuple) else 4
            while off % size:
                off += 1
            layout[i] = off
            off += size
        tsize = off
        pad(2)
        vt = len(buf)
        buf.extend(struct.pack('<HH', 4 + 2 * nf, tsize))
        for i in range(nf):
            buf.extend(struct.pack('<H', layout.get(i, 0)))
        pad(8)
        t = len(buf)
        buf.extend(bytearray(tsize))
        struct.pack_into('<i', buf, t, t - vt)
        for i in ids:
            f = obj.fields[i]
            if isinstance(f, tuple):
                struct.pack_into('<' + f[0], buf, t + layout[i], f[1])
            else:
                pending.append((t + layout[i], f))
        return t

    while pending:
        at, obj = pending.pop(0)
        p = write(obj)
        struct.pack_into('<I', buf, at, p - at)
    return bytes(buf)


def write(m, path):
    """Writes Model m as a .tflite file: subgraph 0 and then m.subgraphs."""
    buffers = [_T({})]  # buffer 0: empty, as the converter writes it
    codes, code_index = [], {}
    sgs = []
    for g in [m] + list(m.subgraphs):
        tensors = []
        for t in g.tensors:
            f = {0: _V('i', t.shape), 1: ('b', t.type), 2: ('I', 0), 3: _S(t.name)}
            if t.data is not None:
                f[2] = ('I', len(buffers))
                buffers.append(_T({0: _B(t.data)}))
            if t.quant is not None:
                f[4] = _T({2: _V('f', t.quant.scale), 3: _V('q', t.quant.zero_point, 8), 6: ('i', t.quant.dim)})
            if t.signature is not None:
                f[7] = _V('i', t.signature)
            tensors.append(_T(f))
        ops = []
        for o in g.operators:
            custom = getattr(o, 'custom_code', None)
            key = (o.op, o.version, custom)
            if key not in code_index:
                code_index[key] = len(codes)
                cf = {0: ('b', min(o.op, 127)), 2: ('i', o.version), 3: ('i', o.op)}
                if custom is not None:
                    cf[1] = _S(custom)
                codes.append(_T(cf))
            f = {0: ('I', code_index[key]), 1: _V('i', o.inputs), 2: _V('i', o.outputs)}
            if getattr(o, 'custom_options', None):
                f[5] = _V('B', list(o.custom_options), 1)
            if o.options_type:
                of = {}
                for fid, fmt in OPTIONS[o.options_type][1]:
                    if fid in o.options:
                        of[fid] = _V('i', o.options[fid]) if fmt == 'ivec' else (fmt, o.options[fid])
                f[3] = ('B', o.options_type)
                f[4] = _T(of)
            ops.append(_T(f))
        sgs.append(_T({0: _V(None, tensors), 1: _V('i', g.inputs), 2: _V('i', g.outputs), 3: _V(None, ops),
                       4: _S(g.subgraph_name)}))
    root = _T({0: ('I', 3), 1: _V(None, codes), 2: _V(None, sgs), 3: _S(m.description), 4: _V(None, buffers)})
    with open(path, 'wb') as f:
        f.write(_serialize(root))
