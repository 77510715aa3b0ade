#!/usr/bin/env node
// tools/ort_bench.js - time onnxruntime-node's session.run on one model, the counterpart of
// `moir bench --json` (benchmarks/compare_ort.py runs both).
//
// Usage:
//   node tools/ort_bench.js --model M.onnx (--input NAME=FILE.npy | --shape NAME=[1,3,48,192])
//                           [--threads N] [--iterations N] [--warmup N]
//
// Prints one JSON object: median_ms, min_ms, p90_ms, mean_ms, max_ms, fps, threads, iterations,
// warmup, version. Session: intraOpNumThreads = --threads (default 1), interOpNumThreads = 1,
// sequential execution, graphOptimizationLevel 'all'. --input reads float32 .npy files (C order);
// --shape fills the input with uniform random values in [0, 1). onnxruntime-node is resolved from
// <repo>/third_party/npm/node_modules (tools/setup.sh installs it).
'use strict';

const fs = require('fs');
const path = require('path');

const ORT_DIR = path.join(path.resolve(__dirname, '..'), 'third_party', 'npm', 'node_modules', 'onnxruntime-node');

function fail(msg) {
    process.stderr.write(`ort_bench.js: error: ${msg}\n`);
    process.exit(1);
}

function parseArgs(argv) {
    const o = { model: null, inputs: [], shapes: [], threads: 1, iterations: 50, warmup: 5 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) fail(`${a} needs a value`);
            return argv[++i];
        };
        const int = (v) => {
            const n = Number(v);
            if (!Number.isInteger(n) || n < 0) fail(`${a} takes a non-negative integer, not '${v}'`);
            return n;
        };
        switch (a) {
            case '--model': o.model = next(); break;
            case '--input': o.inputs.push(next()); break;
            case '--shape': o.shapes.push(next()); break;
            case '--threads': o.threads = int(next()); break;
            case '--iterations': o.iterations = Math.max(1, int(next())); break;
            case '--warmup': o.warmup = int(next()); break;
            case '-h': case '--help':
                process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 14).join('\n') + '\n');
                process.exit(0);
                break;
            default: fail(`unknown argument '${a}'`);
        }
    }
    if (!o.model) fail('--model is required');
    return o;
}

/// A float32 .npy file -> { shape, data: Float32Array }.
function readNpyF32(file) {
    const buf = fs.readFileSync(file);
    if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`${file}: not a .npy file`);
    const major = buf[6];
    const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    const header = buf.toString('latin1', start, start + hlen);
    if (!/'descr':\s*'<f4'/.test(header)) fail(`${file}: only float32 (<f4) .npy files are supported`);
    if (/'fortran_order':\s*True/.test(header)) fail(`${file}: Fortran order is not supported`);
    const m = /'shape':\s*\(([^)]*)\)/.exec(header);
    const shape = m[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
    const off = start + hlen;
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(off + 4 * i);
    return { shape, data };
}

function splitSpec(spec, flag) {
    const eq = spec.indexOf('=');
    if (eq < 0) fail(`${flag} ${spec}: expected NAME=...`);
    return [spec.slice(0, eq), spec.slice(eq + 1)];
}

function stats(lat) {
    const s = [...lat].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    return { median_ms: q(0.5), min_ms: s[0], p90_ms: q(0.9), mean_ms: mean, max_ms: s[s.length - 1] };
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    if (!fs.existsSync(path.join(ORT_DIR, 'package.json'))) fail(`onnxruntime-node not found in ${ORT_DIR}; run tools/setup.sh`);
    const ort = require(ORT_DIR);
    const session = await ort.InferenceSession.create(path.resolve(o.model), {
        intraOpNumThreads: o.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
    });
    const feeds = {};
    let batch = 1;
    for (const spec of o.inputs) {
        const [name, file] = splitSpec(spec, '--input');
        const a = readNpyF32(file);
        feeds[name] = new ort.Tensor('float32', a.data, a.shape);
        batch = a.shape[0] || 1;
    }
    for (const spec of o.shapes) {
        const [name, text] = splitSpec(spec, '--shape');
        const shape = text.replace(/[[\]()]/g, '').split(/[ ,]+/).filter((s) => s.length).map(Number);
        const n = shape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = Math.random();
        feeds[name] = new ort.Tensor('float32', data, shape);
        batch = shape[0] || 1;
    }
    for (const name of session.inputNames) if (!feeds[name]) fail(`no --input or --shape for model input '${name}'`);
    for (let i = 0; i < o.warmup; i++) await session.run(feeds);
    const lat = [];
    for (let i = 0; i < o.iterations; i++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const st = stats(lat);
    const report = {
        runtime: 'onnxruntime-node',
        version: (ort.env && ort.env.versions && ort.env.versions.common) || null,
        model: o.model,
        threads: o.threads,
        iterations: o.iterations,
        warmup: o.warmup,
        ...st,
        fps: st.median_ms > 0 ? (1000 * batch) / st.median_ms : 0,
    };
    process.stdout.write(JSON.stringify(report) + '\n');
    if (typeof session.release === 'function') await session.release();
}

main().catch((e) => fail(e.message));
