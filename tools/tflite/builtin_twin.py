#!/usr/bin/env python3
"""tools/tflite/builtin_twin.py - a .tflite model with MediaPipe's custom transpose convolution
replaced by TFLite's builtin one, so that the stock TFLite interpreter can run it.

MediaPipe's selfie segmentation models upsample with the CUSTOM op Convolution2DTransposeBias
(inputs: input, OHWI weights, bias; custom options: the raw TfLiteTransposeConvParams {int32
padding (1 SAME, 2 VALID), int32 stride_w, int32 stride_h}), which the interpreter of
@tensorflow/tfjs-tflite does not have. Its builtin TRANSPOSE_CONV (version 3: inputs output_shape,
OHWI weights, input, bias) computes the same function. This script writes the twin: each such
custom op becomes a TRANSPOSE_CONV whose output shape is the custom op's output tensor shape, and
whose weights, when they are float16 behind a DEQUANTIZE, are widened to a float32 constant (exact)
because the builtin kernel reads its weights as a constant. Everything else is copied as it is.
benchmarks/tflite_models.py runs the interpreter on the twin to get reference outputs for those
models; moir converts the original (its own mapping of the custom op).

  /usr/bin/python3 tools/tflite/builtin_twin.py IN.tflite OUT.tflite

Exit status 0 and the number of replaced ops on stdout; 1 when the model has no such op, or one
this script cannot replace (named).
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tflite_flatbuffer as fb  # noqa: E402

CUSTOM_NAME = 'Convolution2DTransposeBias'


def float32_weights(m, index):
    """The tensor index of float32 constant weights equal to tensor index's value: the tensor
    itself when it is a float32 constant, a new constant when it is the DEQUANTIZE of float16 ones."""
    t = m.tensors[index]
    if t.data is not None and t.type == fb.FLOAT32:
        return index
    producer = [op for op in m.operators if index in op.outputs]
    if len(producer) == 1 and producer[0].op == fb.OP['DEQUANTIZE']:
        src = m.tensors[producer[0].inputs[0]]
        if src.data is not None and src.type == fb.FLOAT16:
            w = np.frombuffer(src.data, np.float16).astype(np.float32)
            m.tensors.append(fb.Tensor(t.name + '/f32', t.shape, fb.FLOAT32, w.tobytes()))
            return len(m.tensors) - 1
    raise SystemExit(f'{t.name}: weights that are neither float32 constants nor dequantized float16 ones')


def twin(m):
    """Replaces every Convolution2DTransposeBias of m (in place); the number replaced."""
    n = 0
    for k, op in enumerate(m.operators):
        if op.op != fb.OP['CUSTOM'] or op.custom_code != CUSTOM_NAME:
            continue
        opts = op.custom_options or b''
        if len(opts) < 12 or len(op.inputs) != 3:
            raise SystemExit(f'operator {k} ({CUSTOM_NAME}): expected 3 inputs and 12 bytes of options')
        padding, stride_w, stride_h = struct.unpack_from('<3i', opts)
        if padding not in (1, 2):
            raise SystemExit(f'operator {k} ({CUSTOM_NAME}): unknown padding {padding}')
        out = m.tensors[op.outputs[0]]
        m.tensors.append(fb.Tensor(out.name + '/output_shape', [4], fb.INT32,
                                   np.array(out.shape, np.int32).tobytes()))
        shape_index = len(m.tensors) - 1
        weights = float32_weights(m, op.inputs[1])
        m.operators[k] = fb.Operator(fb.OP['TRANSPOSE_CONV'], [shape_index, weights, op.inputs[0], op.inputs[2]],
                                     op.outputs, 49, {0: padding - 1, 1: stride_w, 2: stride_h}, 3)
        n += 1
    # DEQUANTIZEs whose output nothing reads any more (the replaced weights) go
    read = {i for op in m.operators for i in op.inputs} | set(m.outputs)
    m.operators = [op for op in m.operators if op.op != fb.OP['DEQUANTIZE'] or op.outputs[0] in read]
    return n


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    m = fb.read(sys.argv[1])
    n = twin(m)
    if n == 0:
        raise SystemExit(f'{sys.argv[1]}: no {CUSTOM_NAME} operator')
    fb.write(m, sys.argv[2])
    print(n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
