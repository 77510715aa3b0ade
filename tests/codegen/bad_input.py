#!/usr/bin/env python3
"""moir codegen on models it cannot specialize (docs/embedded.md): one error that lists every
problem at once with counts, exit status 1, and no header (not even a partial one). Cases: ops with
no generated form, a dynamic input with control flow, shapes that depend on input values.

usage: /usr/bin/python3 tests/codegen/bad_input.py MOIR_BINARY WORK_DIR
"""
import os
import subprocess
import sys

import onnx
from onnx import TensorProto, helper


def save(path, nodes, inputs, outputs, opset=13):
    g = helper.make_graph(nodes, "bad", inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(m, path)


def codegen(moir, model, out):
    if os.path.exists(out):
        os.remove(out)
    r = subprocess.run([moir, "codegen", "--model", model, "--output", out], capture_output=True, text=True)
    return r.returncode, r.stderr


def main():
    moir, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    failures = []

    def expect(name, model, wanted):
        out = os.path.join(work, name + ".hpp")
        rc, err = codegen(moir, model, out)
        print(f"{name}: exit {rc}\n{err}")
        if rc != 1:
            failures.append(f"{name}: exit status {rc}, expected 1")
        for w in wanted:
            if w not in err:
                failures.append(f"{name}: the error does not say {w!r}")
        if err.count("moir: error:") != 1:
            failures.append(f"{name}: expected one error message")
        leftovers = [f for f in os.listdir(work) if f.startswith(name + ".hpp")]
        if leftovers:
            failures.append(f"{name}: left {leftovers} behind")

    # ops without a generated form: every kind listed with its count
    ops = os.path.join(work, "ops.onnx")
    f = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 16])
    save(ops, [helper.make_node("Sin", ["x"], ["a"]), helper.make_node("Cos", ["a"], ["b"]),
               helper.make_node("Sin", ["b"], ["c"]), helper.make_node("Erf", ["c"], ["d"]),  # Erf has a generated form
               helper.make_node("Relu", ["d"], ["y"])], [f("x")], [f("y")])
    expect("ops", ops, ["cannot specialize 2 kinds of steps", "Sin", "(2 nodes)", "Cos", "(1 node)"])

    # a dynamic input and control flow, both listed
    flow = os.path.join(work, "flow.onnx")
    branch = lambda name, op: helper.make_graph([helper.make_node(op, ["x"], [name + "_y"])], name, [],
                                                [helper.make_tensor_value_info(name + "_y", TensorProto.FLOAT, None)])
    save(flow, [helper.make_node("If", ["cond"], ["y"], then_branch=branch("then", "Relu"),
                                 else_branch=branch("else", "Neg"))],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16]),
          helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    expect("flow", flow, ["cannot specialize", "input 'x' has the dynamic shape", "--input_shape", "If: control flow"])

    # shapes that depend on input values: every such node listed (the plan stops at the first),
    # the nodes after them counted
    nz = os.path.join(work, "nonzero.onnx")
    save(nz, [helper.make_node("NonZero", ["x"], ["a"], name="nz1"), helper.make_node("Relu", ["x"], ["b"]),
              helper.make_node("NonZero", ["b"], ["c"], name="nz2"),
              helper.make_node("Transpose", ["c"], ["d"], perm=[1, 0])],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
         [helper.make_tensor_value_info("a", TensorProto.INT64, None),
          helper.make_tensor_value_info("d", TensorProto.INT64, None)])
    expect("nonzero", nz, ["cannot specialize", "NonZero 'nz1'", "NonZero 'nz2'", "depends on input values",
                           "(and 1 node after them"])

    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
