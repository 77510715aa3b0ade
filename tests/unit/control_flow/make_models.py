#!/usr/bin/env python3
"""Writes the small ONNX models of tests/unit/control_flow into OUT_DIR (Debian's python3-onnx).

  nested_unsupported.onnx  an If whose then branch holds two unknown 'Foo' nodes and a nested If
                           with an unknown 'Bar' in its else branch (error paths)
  outer_scope.onnx         an If whose branches read outer-scope tensors (one computed only for the
                           then branch, one only for the else branch) and an outer initializer;
                           inputs x f32[3], c bool[]; output y = c ? 2x + w : (x + 1) - x
  loop_scan.onnx           a Loop summing its iteration numbers into a carried value while it
                           collects a scan output, and a Scan computing a running sum, both reading
                           an outer-scope tensor; input x f32[4,2]
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def model(graph, opset=13):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="moir-tests")
    m.ir_version = 7
    return m


def nested_unsupported():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    inner_then = helper.make_graph([helper.make_node("Identity", ["x"], ["i1"])], "inner_then", [],
                                   [helper.make_tensor_value_info("i1", TensorProto.FLOAT, [2])])
    inner_else = helper.make_graph([helper.make_node("Bar", ["x"], ["i2"], domain="")], "inner_else", [],
                                   [helper.make_tensor_value_info("i2", TensorProto.FLOAT, [2])])
    then_nodes = [
        helper.make_node("Foo", ["x"], ["f1"]),
        helper.make_node("Foo", ["f1"], ["f2"]),
        helper.make_node("If", ["c"], ["t"], name="n2", then_branch=inner_then, else_branch=inner_else),
    ]
    then_g = helper.make_graph(then_nodes, "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["e"])], "else", [],
                               [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, np.float32))),
        helper.make_node("Greater", ["s", "zero"], ["c"]),
        helper.make_node("If", ["c"], ["y"], name="n1", then_branch=then_g, else_branch=else_g),
    ]
    return model(helper.make_graph(nodes, "nested_unsupported", [x], [y]))


def outer_scope():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])
    c = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])
    w = numpy_helper.from_array(np.array([10, 20, 30], np.float32), "w")
    two = numpy_helper.from_array(np.array([2], np.float32), "two")
    one = numpy_helper.from_array(np.array([1], np.float32), "one")
    then_g = helper.make_graph([helper.make_node("Add", ["a", "w"], ["t"])], "then", [],
                               [helper.make_tensor_value_info("t", TensorProto.FLOAT, [3])])
    else_g = helper.make_graph([helper.make_node("Sub", ["b", "x"], ["e"])], "else", [],
                               [helper.make_tensor_value_info("e", TensorProto.FLOAT, [3])])
    nodes = [
        helper.make_node("Mul", ["x", "two"], ["a"]),
        helper.make_node("Add", ["x", "one"], ["b"]),
        helper.make_node("If", ["c"], ["y"], name="branch", then_branch=then_g, else_branch=else_g),
    ]
    return model(helper.make_graph(nodes, "outer_scope", [x, c], [y], initializer=[w, two, one]))


def loop_scan():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 2])
    # Loop: 3 iterations; carried s += x[0] * i (x read from the outer scope); scan output s each time
    body = helper.make_graph(
        [
            helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
            helper.make_node("Gather", ["x", "zero_i"], ["x0"], axis=0),
            helper.make_node("Mul", ["x0", "fi"], ["inc"]),
            helper.make_node("Add", ["s_in", "inc"], ["s_out"]),
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Identity", ["s_out"], ["scan"]),
        ],
        "loop_body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("s_in", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("s_out", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("scan", TensorProto.FLOAT, [2])],
    )
    # Scan over x's rows, reversed: state r += row * k (k outer); scan output r
    scan_body = helper.make_graph(
        [helper.make_node("Mul", ["row", "k"], ["rk"]), helper.make_node("Add", ["r_in", "rk"], ["r_out"]),
         helper.make_node("Identity", ["r_out"], ["r_scan"])],
        "scan_body",
        [helper.make_tensor_value_info("r_in", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("row", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("r_out", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("r_scan", TensorProto.FLOAT, [2])],
    )
    inits = [numpy_helper.from_array(np.array(3, np.int64), "trip"),
             numpy_helper.from_array(np.array(True), "cond"),
             numpy_helper.from_array(np.zeros(2, np.float32), "s0"),
             numpy_helper.from_array(np.array(0, np.int64), "zero_i"),
             numpy_helper.from_array(np.array([0.5], np.float32), "k")]
    nodes = [
        helper.make_node("Loop", ["trip", "cond", "s0"], ["s_final", "s_all"], name="loop", body=body),
        helper.make_node("Scan", ["s0", "x"], ["r_final", "r_all"], name="scan", num_scan_inputs=1,
                         body=scan_body, scan_input_directions=[1]),
    ]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ["s_final", "s_all", "r_final", "r_all"]]
    return model(helper.make_graph(nodes, "loop_scan", [x], outs, initializer=inits))


if __name__ == "__main__":
    out = sys.argv[1]
    save(nested_unsupported(), out + "/nested_unsupported.onnx")
    save(outer_scope(), out + "/outer_scope.onnx")
    save(loop_scan(), out + "/loop_scan.onnx")
