#!/usr/bin/env node
// tools/tflite_run.js - run a .tflite model with the real TFLite interpreter on .npy inputs.
//
// Reference runner for moir's TFLite frontend: the TFLite engine compiled to WebAssembly that
// ships in npm @tensorflow/tfjs-tflite@0.0.1-alpha.10 (wasm/tflite_web_api_cc.{js,wasm}, the
// non-SIMD, single-thread build), loaded in Node by handing it the wasm bytes, driven through its
// TFLiteWebModelRunner binding. Inputs are fed by position (or by tensor name), every output is
// written as <output_dir>/<sanitized tensor name>.npy, and --list prints the model's inputs and
// outputs as JSON.
'use strict';

const fs = require('fs');
const path = require('path');

const PROG = 'tflite_run.js';
const REPO_ROOT = path.resolve(__dirname, '..');
const WASM_DIR = path.join(REPO_ROOT, 'third_party', 'npm', 'node_modules', '@tensorflow', 'tfjs-tflite', 'wasm');

const USAGE = `Usage:
  node tools/tflite_run.js --model M.tflite [--input [NAME=]FILE.npy ...] --output_dir D [--threads N]
  node tools/tflite_run.js --model M.tflite --list
Options: --input_shape K=D0,D1,... sets input K's shape (for inputs the file leaves open, shape
signature -1: the runner has no resize call, so it writes the shape into its copy of the model).

Runs M with the TFLite interpreter (WebAssembly, from @tensorflow/tfjs-tflite) and writes one .npy
per output into D, named after the output tensor with characters outside [A-Za-z0-9._-] replaced
by '_'. Inputs without NAME= are taken in the model's input order. Supported dtypes: float32,
int32, int8, uint8, int64 (as .npy <f4 <i4 |i1 |u1 <i8).`;

const DT = {
    float32: ['<f4', Float32Array], int32: ['<i4', Int32Array], int8: ['|i1', Int8Array],
    uint8: ['|u1', Uint8Array], int64: ['<i8', BigInt64Array], bool: ['|b1', Uint8Array],
};

function fail(msg) { throw new Error(msg); }

function readNpy(file) {
    const buf = fs.readFileSync(file);
    if (buf.length < 10 || buf.readUInt32BE(0) !== 0x934e554d) fail(`${file}: not an .npy file`);
    const major = buf[6];
    const hl = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
    const start = (major === 1 ? 10 : 12) + hl;
    const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
    const descr = /'descr':\s*'([^']+)'/.exec(header);
    const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
    if (!descr || !shape || /'fortran_order':\s*True/.test(header)) fail(`${file}: unsupported .npy header ${header.trim()}`);
    const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
    const entry = Object.entries(DT).find(([, v]) => v[0] === descr[1]);
    if (!entry) fail(`${file}: unsupported dtype ${descr[1]}`);
    const bytes = buf.subarray(start);
    const ab = new ArrayBuffer(bytes.length);
    new Uint8Array(ab).set(bytes);
    return { dtype: entry[0], dims, data: new entry[1][1](ab) };
}

function writeNpy(file, dtype, dims, data) {
    const d = DT[dtype];
    if (!d) fail(`cannot write output of type ${dtype}`);
    const shapeStr = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
    let dict = `{'descr': '${d[0]}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
    dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
    const head = Buffer.alloc(10);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
    head.writeUInt16LE(dict.length, 8);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    fs.writeFileSync(file, Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.from(body)]));
}

// Writes dims into the `shape` vector of subgraph 0's input k (same rank) in the model bytes.
function patchInputShape(buf, k, dims) {
    const u32 = (o) => buf.readUInt32LE(o);
    const table = (pos) => {
        const vt = pos - buf.readInt32LE(pos);
        return (id) => {
            const e = 4 + 2 * id;
            if (e + 2 > buf.readUInt16LE(vt)) return 0;
            const o = buf.readUInt16LE(vt + e);
            return o ? pos + o : 0;
        };
    };
    const deref = (at) => at + u32(at);
    const vec = (at) => { if (!at) fail('the model lacks a field needed for --input_shape'); const p = deref(at); return { n: u32(p), data: p + 4 }; };
    const sg = table(deref(vec(table(u32(0))(2)).data));
    const ins = vec(sg(1));
    if (k >= ins.n) fail(`--input_shape: the model has ${ins.n} inputs`);
    const t = table(deref(vec(sg(0)).data + 4 * buf.readInt32LE(ins.data + 4 * k)));
    const shape = vec(t(0));
    if (shape.n !== dims.length) fail(`--input_shape: input ${k} has rank ${shape.n}, ${dims.length} dims given`);
    dims.forEach((d, i) => buf.writeInt32LE(d, shape.data + 4 * i));
}

async function main() {
    const argv = process.argv.slice(2);
    const o = { model: null, inputs: [], out: null, threads: 1, list: false, shapes: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => { if (i + 1 >= argv.length) fail(`${a} expects a value`); return argv[++i]; };
        if (a === '--model') o.model = next();
        else if (a === '--input') o.inputs.push(next());
        else if (a === '--output_dir') o.out = next();
        else if (a === '--threads') o.threads = Number(next());
        else if (a === '--list') o.list = true;
        else if (a === '--input_shape') {
            const m = /^(\d+)=([\d,]+)$/.exec(next());
            if (!m) fail('--input_shape expects K=D0,D1,...');
            o.shapes.push([Number(m[1]), m[2].split(',').map(Number)]);
        }
        else if (a === '-h' || a === '--help') { process.stdout.write(USAGE + '\n'); return 0; }
        else fail(`unknown argument '${a}'\n${USAGE}`);
    }
    if (!o.model) fail(`--model is required\n${USAGE}`);
    if (!o.list && !o.out) fail(`--output_dir is required\n${USAGE}`);
    const js = path.join(WASM_DIR, 'tflite_web_api_cc.js');
    if (!fs.existsSync(js)) fail(`${js} not found: run tools/setup.sh first`);
    const factory = require(js);
    const M = await factory({ wasmBinary: fs.readFileSync(path.join(WASM_DIR, 'tflite_web_api_cc.wasm')),
        print: () => {}, printErr: (s) => { if (!s.startsWith('INFO:')) process.stderr.write(s + '\n'); } });
    const bytes = fs.readFileSync(o.model);
    for (const [k, dims] of o.shapes) patchInputShape(bytes, k, dims);
    const ptr = M._malloc(bytes.length);
    M.HEAPU8.set(bytes, ptr);
    const st = M.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, bytes.length,
        { numThreads: o.threads, enableProfiling: false, maxProfilingBufferEntries: 1024 });
    if (!st.ok()) fail(`${o.model}: the TFLite interpreter cannot load it: ${st.errorMessage()}`);
    const runner = st.value();
    const vec = (v) => { const r = []; for (let i = 0; i < v.size(); i++) r.push(v.get(i)); return r; };
    const ins = vec(runner.GetInputs());
    const dimsOf = (t) => (t.shape === '' ? [] : t.shape.split(',').map(Number));
    if (o.list) {
        const outs = vec(runner.GetOutputs());
        const info = (t) => ({ name: t.name, dtype: t.dataType, shape: dimsOf(t) });
        process.stdout.write(JSON.stringify({ inputs: ins.map(info), outputs: outs.map(info) }) + '\n');
        return 0;
    }
    if (o.inputs.length !== ins.length) fail(`the model has ${ins.length} inputs, ${o.inputs.length} given`);
    o.inputs.forEach((spec, k) => {
        const eq = spec.indexOf('=');
        const name = eq > 0 && !spec.endsWith('.npy') ? null : (eq > 0 ? spec.slice(0, eq) : null);
        const file = eq > 0 ? spec.slice(eq + 1) : spec;
        const t = name === null ? ins[k] : ins.find((x) => x.name === name);
        if (!t) fail(`the model has no input '${name}'`);
        const arr = readNpy(file);
        if (arr.dtype !== t.dataType) fail(`${file}: ${arr.dtype}, input '${t.name}' is ${t.dataType}`);
        const want = dimsOf(t);
        if (want.join(',') !== arr.dims.join(',')) fail(`${file}: shape [${arr.dims}], input '${t.name}' is [${want}]`);
        const dst = t.data();
        if (dst.length !== arr.data.length) fail(`${file}: ${arr.data.length} values, input '${t.name}' holds ${dst.length}`);
        dst.set(arr.data);
    });
    if (!runner.Infer()) fail(`${o.model}: inference failed`);
    fs.mkdirSync(o.out, { recursive: true });
    for (const t of vec(runner.GetOutputs())) {
        const file = path.join(o.out, t.name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy');
        writeNpy(file, t.dataType, dimsOf(t), t.data().slice());
        process.stdout.write(`${t.name} -> ${file} ${t.dataType} [${dimsOf(t)}]\n`);
    }
    return 0;
}

main().then((rc) => { process.exitCode = rc; }, (e) => {
    process.stderr.write(`${PROG}: error: ${e && e.message ? e.message : e}\n`);
    process.exitCode = 1;
});
