#!/usr/bin/env python3
"""Writes TensorFlow model files from the real weights of a TF.js graph model, for moir's tests.

    /usr/bin/python3 tools/tensorflow/write_tf_models.py --model emotion.json --output_dir D

writes, from model.json and its weight shards:
  D/<stem>.pb           a frozen binary GraphDef in plain TF ops, as TensorFlow freezes a Keras
                        model: grappler's _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul
                        are split back into Conv2D / DepthwiseConv2dNative / MatMul + BiasAdd (a
                        FusedBatchNorm where the TF.js node was a folded batch norm: scale 1, mean 0,
                        variance 1 - epsilon, offset the bias) + Relu / Relu6 / Elu / LeakyRelu;
                        every weight a Const with tensor_content.
  D/<stem>.pbtxt        the same GraphDef in protobuf text format.
  D/saved_model/        a SavedModel (saved_model.pb, tag "serve", signature "serving_default") whose
                        weights are variables (VarHandleOp + ReadVariableOp and VariableV2 + Identity,
                        alternating) restored from variables/variables.{index,data-00000-of-00001}
                        under TF2-style keys ("<name>/.ATTRIBUTES/VARIABLE_VALUE" for resource
                        variables) that only the restore sub-graph (RestoreV2 -> AssignVariableOp /
                        Assign) maps to the variables; with a training-only branch (labels, loss,
                        a summary, an Assert, an init NoOp) and a PlaceholderWithDefault and a
                        CheckNumerics on the inference path, which freezing must remove.
  D/checkpoint/model.meta + model.index + model.data-00000-of-00001
                        a TF1 checkpoint (tf.train.Saver): the MetaGraphDef (VariableV2 variables,
                        saver_def, no signature) and the bundle.
  D/saved_model_is_training/
                        the SavedModel again (no training branch) with a TF1 cond before the
                        output: Switch/Merge on a bool placeholder `is_training` (true: the output
                        times 0.5), which `--input is_training->False` prunes.

The GraphDef / MetaGraphDef / SavedModel messages come from the schema tfjs-node ships
(src/proto/api.proto of @tensorflow/tfjs-node@4.22.0, compiled here with Debian's protoc); the
bundle's index is a LevelDB-format sorted-string table written below (prefix-compressed blocks with
restart points, masked CRC-32C block trailers, index block, footer with the table magic).
Needs Debian's protobuf-compiler and python3-protobuf, and numpy.
"""

import argparse
import base64
import importlib
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
API_PROTO_DIR = os.path.join(ROOT, "third_party/npm/packs/@tensorflow/tfjs-node/src/proto")


def compile_protos():
    """Compiles api.proto and tensor_bundle.proto with protoc into a temporary folder; imports them."""
    api = os.path.join(API_PROTO_DIR, "api.proto")
    if not os.path.exists(api):
        sys.exit(f"write_tf_models.py: missing {api}: run tools/setup.sh (it unpacks @tensorflow/tfjs-node)")
    out = tempfile.mkdtemp(prefix="moir_tf_proto_")
    subprocess.run(["protoc", f"-I{API_PROTO_DIR}", f"-I{HERE}", f"--python_out={out}", "api.proto",
                    "tensor_bundle.proto"], check=True)
    sys.path.insert(0, out)
    return importlib.import_module("api_pb2"), importlib.import_module("tensor_bundle_pb2")


pb, bundle_pb = compile_protos()
from google.protobuf import json_format, text_format  # noqa: E402

DT = {"float32": pb.DT_FLOAT, "int32": pb.DT_INT32, "bool": pb.DT_BOOL}
NP = {pb.DT_FLOAT: np.float32, pb.DT_INT32: np.int32, pb.DT_BOOL: np.bool_, pb.DT_INT64: np.int64}


# ---- TF.js model.json and its weights ---------------------------------------------------------

def read_tfjs(path):
    """The GraphDef of model.json (NodeDefs) and its weights by name, dequantized to float32."""
    with open(path) as f:
        j = json.load(f)
    graph = pb.GraphDef()
    json_format.ParseDict(j["modelTopology"], graph, ignore_unknown_fields=True)
    weights = {}
    base = os.path.dirname(path)
    for group in j["weightsManifest"]:
        data = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q:
                qt = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}[q["dtype"]]
                raw = np.frombuffer(data, qt, n, off)
                off += n * np.dtype(qt).itemsize
                v = raw.astype(np.float32) if q["dtype"] == "float16" else raw * np.float32(q["scale"]) + np.float32(q["min"])
            else:
                dt = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}[w["dtype"]]
                v = np.frombuffer(data, dt, n, off)
                off += n * np.dtype(dt).itemsize
            weights[w["name"]] = np.array(v, dtype=np.float32 if q else v.dtype).reshape(shape)
    return graph, weights


def tensor_proto(a):
    t = pb.Tensor()
    t.dtype = {np.dtype(np.float32): pb.DT_FLOAT, np.dtype(np.int32): pb.DT_INT32,
               np.dtype(np.bool_): pb.DT_BOOL, np.dtype(np.int64): pb.DT_INT64}[a.dtype]
    for d in a.shape:
        t.tensor_shape.dim.add().size = d
    t.tensor_content = np.ascontiguousarray(a).tobytes()
    return t


def const_node(name, a):
    n = pb.NodeDef(name=name, op="Const")
    n.attr["dtype"].type = tensor_proto(a).dtype
    n.attr["value"].tensor.CopyFrom(tensor_proto(a))
    return n


def const_value(node):
    t = node.attr["value"].tensor
    shape = [d.size for d in t.tensor_shape.dim]
    dt = NP[t.dtype]
    if t.tensor_content:
        return np.frombuffer(t.tensor_content, dt).reshape(shape)
    vals = {pb.DT_FLOAT: t.float_val, pb.DT_INT32: t.int_val, pb.DT_INT64: t.int64_val, pb.DT_BOOL: t.bool_val}[t.dtype]
    n = int(np.prod(shape)) if shape else 1
    v = np.array(list(vals) + [vals[-1] if len(vals) else 0] * (n - len(vals)), dtype=dt)
    return v.reshape(shape)


# ---- the frozen GraphDef in plain ops ----------------------------------------------------------

CONV_ATTRS = ("T", "strides", "padding", "data_format", "dilations", "explicit_paddings", "use_cudnn_on_gpu")
ACTIVATIONS = {b"Relu": "Relu", b"Relu6": "Relu6", b"Elu": "Elu", b"LeakyRelu": "LeakyRelu", b"Sigmoid": "Sigmoid",
               b"Tanh": "Tanh"}


def unfuse(graph, weights):
    """A GraphDef of plain TF ops with every weight a Const: the fused grappler ops split up."""
    out = pb.GraphDef()
    out.versions.producer = 1087
    consts = {}
    for n in graph.node:
        if n.op == "Const" and n.name in weights:
            consts[n.name] = weights[n.name]
    for n in graph.node:
        if n.op == "Const":
            out.node.append(const_node(n.name, consts[n.name]) if n.name in consts else n)
            continue
        if n.op not in ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul"):
            m = pb.NodeDef()
            m.CopyFrom(n)
            if m.op == "Placeholder" and "dtype" not in m.attr:
                m.attr["dtype"].type = pb.DT_FLOAT
            out.node.append(m)
            continue
        fused = list(n.attr["fused_ops"].list.s)
        base = {"_FusedConv2D": "Conv2D", "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative",
                "_FusedMatMul": "MatMul"}[n.op]
        core = pb.NodeDef(name=n.name + "/" + base, op=base, input=list(n.input[:2]))
        for k in (CONV_ATTRS if base != "MatMul" else ("T", "transpose_a", "transpose_b")):
            if k in n.attr:
                core.attr[k].CopyFrom(n.attr[k])
        core.attr["T"].type = pb.DT_FLOAT
        if base == "DepthwiseConv2dNative":
            core.attr.pop("use_cudnn_on_gpu", None)
        chain = [core]
        args = list(n.input[2:])
        prev = core.name
        ops = [f for f in fused]
        for i, op in enumerate(ops):
            last = i == len(ops) - 1
            name = n.name if last else f"{n.name}/{op.decode()}"
            if op == b"BiasAdd":
                bias_name = args[0]
                if base != "MatMul" and "FusedBatchNorm" in n.name:
                    # a folded Keras BatchNormalization written back as the FusedBatchNorm TF freezes
                    b = consts[bias_name]
                    eps = np.float32(1e-3)
                    scope = n.name + "/bn"
                    extra = [const_node(scope + "/gamma", np.ones_like(b)),
                             const_node(scope + "/moving_mean", np.zeros_like(b)),
                             const_node(scope + "/moving_variance", np.full_like(b, np.float32(1) - eps))]
                    chain = extra + chain
                    bn = pb.NodeDef(name=name if last else f"{n.name}/FusedBatchNorm", op="FusedBatchNorm",
                                    input=[prev, scope + "/gamma", bias_name, scope + "/moving_mean",
                                           scope + "/moving_variance"])
                    bn.attr["T"].type = pb.DT_FLOAT
                    bn.attr["epsilon"].f = float(eps)
                    bn.attr["is_training"].b = False
                    bn.attr["data_format"].s = b"NHWC"
                    chain.append(bn)
                    prev = bn.name
                else:
                    ba = pb.NodeDef(name=name, op="BiasAdd", input=[prev, bias_name])
                    ba.attr["T"].type = pb.DT_FLOAT
                    ba.attr["data_format"].s = b"NHWC"
                    chain.append(ba)
                    prev = ba.name
            elif op in ACTIVATIONS:
                act = pb.NodeDef(name=name, op=ACTIVATIONS[op], input=[prev])
                act.attr["T"].type = pb.DT_FLOAT
                if op == b"LeakyRelu":
                    act.attr["alpha"].f = n.attr["leakyrelu_alpha"].f
                chain.append(act)
                prev = act.name
            else:
                sys.exit(f"write_tf_models.py: {n.name}: fused op {op!r} is not written by this script")
        if not ops:
            chain[-1].name = n.name
        out.node.extend(chain)
    return out


# ---- the tensor bundle: a LevelDB-format table of BundleEntryProto -----------------------------

def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def block(entries, restart_interval):
    """A table block: prefix-compressed entries, the restart offsets, their count."""
    buf = bytearray()
    restarts = []
    last = b""
    for i, (k, v) in enumerate(entries):
        shared = 0
        if i % restart_interval == 0:
            restarts.append(len(buf))
        else:
            while shared < min(len(k), len(last)) and k[shared] == last[shared]:
                shared += 1
        buf += varint(shared) + varint(len(k) - shared) + varint(len(v)) + k[shared:] + v
        last = k
    if not restarts:
        restarts.append(0)
    for r in restarts:
        buf += struct.pack("<I", r)
    buf += struct.pack("<I", len(restarts))
    return bytes(buf)


def write_table(path, items, block_size=1024, restart_interval=16):
    """A sorted-string table of (key, value) byte pairs, uncompressed blocks, TF/LevelDB layout."""
    items = sorted(items)
    out = bytearray()

    def put_block(contents):
        handle = varint(len(out)) + varint(len(contents))
        out.extend(contents)
        out.append(0)  # no compression
        out.extend(struct.pack("<I", masked(crc32c(contents + b"\x00"))))
        return handle

    index = []
    pending = []
    size = 0
    for k, v in items:
        pending.append((k, v))
        size += len(k) + len(v) + 3
        if size >= block_size:
            index.append((pending[-1][0], put_block(block(pending, restart_interval))))
            pending, size = [], 0
    if pending:
        index.append((pending[-1][0], put_block(block(pending, restart_interval))))
    meta_handle = put_block(block([], restart_interval))
    index_handle = put_block(block(index, 1))
    footer = meta_handle + index_handle
    footer += b"\x00" * (40 - len(footer)) + struct.pack("<Q", 0xDB4775248B80FB57)
    out.extend(footer)
    with open(path, "wb") as f:
        f.write(out)


def write_bundle(prefix, tensors):
    """prefix.index + prefix.data-00000-of-00001 holding `tensors` (key -> array)."""
    data = bytearray()
    items = []
    header = bundle_pb.BundleHeaderProto(num_shards=1, endianness=bundle_pb.BundleHeaderProto.LITTLE)
    header.version.producer = 1
    items.append((b"", header.SerializeToString()))
    for key in sorted(tensors):
        a = np.ascontiguousarray(tensors[key])
        raw = a.tobytes()
        e = bundle_pb.BundleEntryProto(dtype=tensor_proto(a).dtype, shard_id=0, offset=len(data), size=len(raw),
                                       crc32c=masked(crc32c(raw)))
        for d in a.shape:
            e.shape.dim.add().size = d
        data += raw
        items.append((key.encode(), e.SerializeToString()))
    write_table(prefix + ".index", items)
    with open(prefix + ".data-00000-of-00001", "wb") as f:
        f.write(data)


# ---- graphs with variables --------------------------------------------------------------------

def variable_graph(frozen, resource_every, training_branch, is_training_cond=False):
    """The frozen graph with its float weights as variables, a restore sub-graph and (optionally) a
    training-only branch and (optionally) a TF1 cond on an `is_training` bool placeholder before the
    output. Returns (GraphDef, {checkpoint key: array}, SaverDef, output tensor)."""
    g = pb.GraphDef()
    g.versions.producer = frozen.versions.producer
    ckpt = {}
    restores = []  # (key, variable node, resource?)
    for n in frozen.node:
        if n.op == "Const" and n.attr["value"].tensor.dtype == pb.DT_FLOAT and n.attr["value"].tensor.tensor_content:
            a = const_value(n)
            resource = resource_every and len(restores) % resource_every == 0
            shape = pb.TensorShape()
            for d in a.shape:
                shape.dim.add().size = d
            if resource:
                var = pb.NodeDef(name=n.name + "/handle", op="VarHandleOp")
                var.attr["dtype"].type = pb.DT_FLOAT
                var.attr["shape"].shape.CopyFrom(shape)
                var.attr["shared_name"].s = var.name.encode()
                var.attr["container"].s = b""
                read = pb.NodeDef(name=n.name, op="ReadVariableOp", input=[var.name])
                read.attr["dtype"].type = pb.DT_FLOAT
                key = f"variables/{len(restores)}/.ATTRIBUTES/VARIABLE_VALUE"
            else:
                var = pb.NodeDef(name=n.name + "/variable", op="VariableV2")
                var.attr["dtype"].type = pb.DT_FLOAT
                var.attr["shape"].shape.CopyFrom(shape)
                var.attr["shared_name"].s = b""
                var.attr["container"].s = b""
                read = pb.NodeDef(name=n.name, op="Identity", input=[var.name])
                read.attr["T"].type = pb.DT_FLOAT
                key = var.name
            g.node.extend([var, read])
            ckpt[key] = a
            restores.append((key, var.name, resource))
        else:
            m = pb.NodeDef()
            m.CopyFrom(n)
            g.node.append(m)
    out = g.node[-1].name

    # the inference path gets a PlaceholderWithDefault (a dropout keep factor, default 1) and a
    # CheckNumerics before the output
    last = g.node[-1]
    src = last.input[0]
    g.node.append(const_node("dropout/keep/default", np.array(1.0, np.float32)))
    pwd = pb.NodeDef(name="dropout/keep", op="PlaceholderWithDefault", input=["dropout/keep/default"])
    pwd.attr["dtype"].type = pb.DT_FLOAT
    pwd.attr["shape"].shape.SetInParent()
    mul = pb.NodeDef(name="dropout/mul", op="Mul", input=[src, "dropout/keep"])
    mul.attr["T"].type = pb.DT_FLOAT
    chk = pb.NodeDef(name="dropout/CheckNumerics", op="CheckNumerics", input=["dropout/mul"])
    chk.attr["T"].type = pb.DT_FLOAT
    chk.attr["message"].s = b"bad output"
    g.node.extend([pwd, mul, chk])
    last.input[0] = "dropout/CheckNumerics"

    if is_training_cond:
        # tf.cond(is_training, lambda: x * 0.5, lambda: x) as TF1 writes it: a pivot Switch on the
        # predicate with its switch_t/switch_f Identities, pred_id, a data Switch, a constant inside the
        # true branch (control input from switch_t), and a Merge of the two sides
        def node(name, op, inputs, T=pb.DT_FLOAT):
            n = pb.NodeDef(name=name, op=op, input=inputs)
            n.attr["T"].type = T
            return n
        pred = pb.NodeDef(name="is_training", op="Placeholder")
        pred.attr["dtype"].type = pb.DT_BOOL
        pred.attr["shape"].shape.SetInParent()
        half = const_node("cond/mul/y", np.array(0.5, np.float32))
        half.input.append("^cond/switch_t")
        merge = node("cond/Merge", "Merge", ["cond/Identity", "cond/mul"])
        merge.attr["N"].i = 2
        g.node.extend([pred,
                       node("cond/Switch", "Switch", ["is_training", "is_training"], pb.DT_BOOL),
                       node("cond/switch_t", "Identity", ["cond/Switch:1"], pb.DT_BOOL),
                       node("cond/switch_f", "Identity", ["cond/Switch"], pb.DT_BOOL),
                       node("cond/pred_id", "Identity", ["is_training"], pb.DT_BOOL),
                       node("cond/mul/Switch", "Switch", [src, "cond/pred_id"]),
                       half,
                       node("cond/mul", "Mul", ["cond/mul/Switch:1", "cond/mul/y"]),
                       node("cond/Identity", "Identity", ["cond/mul/Switch"]),
                       merge])
        next(n for n in g.node if n.name == "dropout/mul").input[0] = "cond/Merge"  # extend() copied `mul`

    # the restore sub-graph (tf.train.Saver V2 / SavedModel)
    keys = [k for k, _, _ in restores]
    g.node.append(const_node_str("save/filename", [b"model"]))
    g.node.append(const_node_str("save/RestoreV2/tensor_names", [k.encode() for k in keys]))
    g.node.append(const_node_str("save/RestoreV2/shape_and_slices", [b""] * len(keys)))
    rv = pb.NodeDef(name="save/RestoreV2", op="RestoreV2",
                    input=["save/filename", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"])
    rv.attr["dtypes"].list.type.extend([pb.DT_FLOAT] * len(keys))
    g.node.append(rv)
    assigns = []
    for i, (key, var, resource) in enumerate(restores):
        ident = pb.NodeDef(name=f"save/Identity_{i}", op="Identity", input=[f"save/RestoreV2:{i}" if i else "save/RestoreV2"])
        ident.attr["T"].type = pb.DT_FLOAT
        if resource:
            asg = pb.NodeDef(name=f"save/AssignVariableOp_{i}", op="AssignVariableOp", input=[var, ident.name])
            asg.attr["dtype"].type = pb.DT_FLOAT
        else:
            asg = pb.NodeDef(name=f"save/Assign_{i}", op="Assign", input=[var, ident.name])
            asg.attr["T"].type = pb.DT_FLOAT
        g.node.extend([ident, asg])
        assigns.append(asg.name)
    g.node.append(pb.NodeDef(name="save/restore_all", op="NoOp", input=["^" + a for a in assigns]))
    sv = pb.NodeDef(name="save/SaveV2", op="SaveV2",
                    input=["save/filename", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"] +
                    [n for _, n, _ in restores])
    sv.attr["dtypes"].list.type.extend([pb.DT_FLOAT] * len(keys))
    g.node.append(sv)
    ctl = pb.NodeDef(name="save/control_dependency", op="Identity", input=["save/filename", "^save/SaveV2"])
    ctl.attr["T"].type = pb.DT_STRING
    g.node.append(ctl)
    saver = pb.SaverDef(filename_tensor_name="save/filename:0", save_tensor_name="save/control_dependency:0",
                        restore_op_name="save/restore_all", max_to_keep=5, version=pb.SaverDef.V2)

    if training_branch:
        lab = pb.NodeDef(name="labels", op="Placeholder")
        lab.attr["dtype"].type = pb.DT_FLOAT
        sq = pb.NodeDef(name="loss/SquaredDifference", op="SquaredDifference", input=[out, "labels"])
        sq.attr["T"].type = pb.DT_FLOAT
        g.node.extend([lab, sq, const_node("loss/axes", np.array([0, 1], np.int32))])
        mean = pb.NodeDef(name="loss/Mean", op="Mean", input=["loss/SquaredDifference", "loss/axes"])
        mean.attr["T"].type = pb.DT_FLOAT
        stop = pb.NodeDef(name="loss/StopGradient", op="StopGradient", input=["loss/Mean"])
        g.node.extend([mean, stop, const_node_str("summaries/tag", [b"loss"])])
        summ = pb.NodeDef(name="summaries/loss", op="ScalarSummary", input=["summaries/tag", "loss/StopGradient"])
        g.node.append(summ)
        g.node.append(pb.NodeDef(name="loss/Assert", op="Assert", input=["loss/Mean", "summaries/tag"]))
        g.node.append(pb.NodeDef(name="init", op="NoOp", input=["^" + a for a in assigns] + ["^loss/Assert"]))
    return g, ckpt, saver, out


def const_node_str(name, values):
    n = pb.NodeDef(name=name, op="Const")
    n.attr["dtype"].type = pb.DT_STRING
    t = n.attr["value"].tensor
    t.dtype = pb.DT_STRING
    if len(values) != 1 or name.endswith("tensor_names") or name.endswith("shape_and_slices"):
        t.tensor_shape.dim.add().size = len(values)
    t.string_val.extend(values)
    return n


def tensor_info(graph, tensor):
    node = next(n for n in graph.node if n.name == tensor.split(":")[0])
    info = pb.TensorInfo(name=tensor)
    info.dtype = node.attr["dtype"].type if "dtype" in node.attr else pb.DT_FLOAT
    if "shape" in node.attr:
        info.tensor_shape.CopyFrom(node.attr["shape"].shape)
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a TF.js graph model's model.json")
    ap.add_argument("--output_dir", required=True)
    a = ap.parse_args()
    os.makedirs(a.output_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(a.model))[0]
    graph, weights = read_tfjs(a.model)
    frozen = unfuse(graph, weights)
    with open(os.path.join(a.output_dir, stem + ".pb"), "wb") as f:
        f.write(frozen.SerializeToString())
    with open(os.path.join(a.output_dir, stem + ".pbtxt"), "w") as f:
        f.write(text_format.MessageToString(frozen))

    inputs = [n.name for n in frozen.node if n.op == "Placeholder"]

    # SavedModel: resource and reference variables alternating, a training branch
    g, ckpt, saver, out = variable_graph(frozen, 2, True)
    sm = pb.SavedModel(saved_model_schema_version=1)
    mg = sm.meta_graphs.add()
    mg.meta_info_def.tags.append("serve")
    mg.meta_info_def.tensorflow_version = "2.15.0"
    mg.meta_info_def.meta_graph_version = "v2.15.0"
    mg.graph_def.CopyFrom(g)
    mg.saver_def.CopyFrom(saver)
    sig = mg.signature_def["serving_default"]
    sig.method_name = "tensorflow/serving/predict"
    for name in inputs:
        sig.inputs[name].CopyFrom(tensor_info(g, name + ":0"))
    sig.outputs["output_0"].CopyFrom(pb.TensorInfo(name=out + ":0", dtype=pb.DT_FLOAT))
    d = os.path.join(a.output_dir, "saved_model")
    os.makedirs(os.path.join(d, "variables"), exist_ok=True)
    with open(os.path.join(d, "saved_model.pb"), "wb") as f:
        f.write(sm.SerializeToString())
    write_bundle(os.path.join(d, "variables", "variables"), ckpt)

    # the same SavedModel with a TF1 cond on an is_training placeholder (training scales the output
    # by 0.5): `--input is_training->False` must prune it
    g2, ckpt2, saver2, out2 = variable_graph(frozen, 2, False, is_training_cond=True)
    sm2 = pb.SavedModel(saved_model_schema_version=1)
    mg2 = sm2.meta_graphs.add()
    mg2.meta_info_def.tags.append("serve")
    mg2.graph_def.CopyFrom(g2)
    mg2.saver_def.CopyFrom(saver2)
    sig2 = mg2.signature_def["serving_default"]
    sig2.method_name = "tensorflow/serving/predict"
    for name in inputs + ["is_training"]:
        sig2.inputs[name].CopyFrom(tensor_info(g2, name + ":0"))
    sig2.outputs["output_0"].CopyFrom(pb.TensorInfo(name=out2 + ":0", dtype=pb.DT_FLOAT))
    d2 = os.path.join(a.output_dir, "saved_model_is_training")
    os.makedirs(os.path.join(d2, "variables"), exist_ok=True)
    with open(os.path.join(d2, "saved_model.pb"), "wb") as f:
        f.write(sm2.SerializeToString())
    write_bundle(os.path.join(d2, "variables", "variables"), ckpt2)

    # TF1 checkpoint: VariableV2 only, no signature
    g1, ckpt1, saver1, _ = variable_graph(frozen, 0, True)
    meta = pb.MetaGraphDef()
    meta.meta_info_def.tensorflow_version = "1.15.0"
    meta.graph_def.CopyFrom(g1)
    meta.saver_def.CopyFrom(saver1)
    d1 = os.path.join(a.output_dir, "checkpoint")
    os.makedirs(d1, exist_ok=True)
    with open(os.path.join(d1, "model.meta"), "wb") as f:
        f.write(meta.SerializeToString())
    write_bundle(os.path.join(d1, "model"), ckpt1)
    print(f"wrote {stem}.pb ({len(frozen.node)} nodes), {stem}.pbtxt, saved_model/ ({len(ckpt)} variables), "
          f"checkpoint/model.meta + model.index ({len(ckpt1)} variables), saved_model_is_training/ in {a.output_dir}")


if __name__ == "__main__":
    main()
