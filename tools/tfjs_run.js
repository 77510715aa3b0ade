#!/usr/bin/env node
// tools/tfjs_run.js - run a TensorFlow.js graph model with tfjs (pure JS CPU backend) on .npy inputs.
//
// The reference runner of moir's TensorFlow frontend: loads model.json and its weight shards with
// @tensorflow/tfjs-converter 4.22.0 on @tensorflow/tfjs-backend-cpu (no native code), feeds .npy
// tensors and writes every model output as a .npy file. Packages are resolved from
// <repo>/third_party/npm/node_modules (tools/setup.sh installs them).
'use strict';

const fs = require('fs');
const path = require('path');

const PROG = 'tfjs_run.js';
const NPM = path.join(path.resolve(__dirname, '..'), 'third_party', 'npm', 'node_modules');

const USAGE = `Usage:
  node tools/tfjs_run.js --model model.json [--input NAME=FILE.npy ...] [--outputs N1,N2,...] --output_dir D
  node tools/tfjs_run.js --info model.json
  node tools/tfjs_run.js --extract_bundle DIR --output_dir D

Runs a TF.js graph model (model.json + weight shards) with tfjs-core/-converter/-backend-cpu
4.22.0 and writes one .npy file per model output into D, named after the output node (every
character outside [A-Za-z0-9._-] replaced by '_', a ':0' port suffix dropped). Models with
control flow run with executeAsync. --info prints the inputs and outputs as JSON.
--extract_bundle turns a model shipped as browserify bundles (nsfwjs: DIR/model.min.js and
DIR/group*-shard*.min.js, base64 weights) into D/model.json and D/group*-shard*.bin.
--outputs fetches those nodes (any node of the graph, e.g. to compare intermediate tensors)
instead of the model's outputs. Input names may omit the ':0' suffix. Exit status: 0 on success, 1 on any error.`;

function fail(msg) {
    throw new Error(msg);
}

// ------------------------------------------------------------------ .npy --
const DTYPES = {
    f4: ['float32', 4, Float32Array], i4: ['int32', 4, Int32Array], b1: ['bool', 1, Uint8Array],
    i8: ['int64', 8, BigInt64Array], u1: ['uint8', 1, Uint8Array], f8: ['float64', 8, Float64Array],
};

function readNpy(file) {
    const buf = fs.readFileSync(file);
    if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') fail(`${file}: not an .npy file`);
    const major = buf[6];
    const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
    const start = (major === 1 ? 10 : 12) + hlen;
    const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
    const descr = /'descr':\s*'([<|=]?)(\w\d)'/.exec(header);
    const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
    if (!descr || !shape || !/'fortran_order':\s*False/.test(header)) fail(`${file}: unsupported .npy header ${header.trim()}`);
    const dt = DTYPES[descr[2]];
    if (!dt) fail(`${file}: unsupported dtype ${descr[2]}`);
    const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    if (buf.length - start !== count * dt[1]) fail(`${file}: data size does not match shape [${dims}]`);
    const ab = new ArrayBuffer(count * dt[1]);
    new Uint8Array(ab).set(buf.subarray(start));
    let data = new dt[2](ab);
    let dtype = dt[0];
    if (dtype === 'int64') { data = Int32Array.from(data, Number); dtype = 'int32'; }
    if (dtype === 'float64') { data = Float32Array.from(data); dtype = 'float32'; }
    if (dtype === 'uint8') { data = Int32Array.from(data); dtype = 'int32'; }
    return { dtype, dims, data };
}

function writeNpy(file, dtype, dims, data) {
    const code = { float32: '<f4', int32: '<i4', bool: '|b1' }[dtype];
    if (!code) fail(`cannot write output of type ${dtype}`);
    const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
    let dict = `{'descr': '${code}', 'fortran_order': False, 'shape': ${shape}, }`;
    dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
    const head = Buffer.alloc(10);
    head.write('\x93NUMPY', 0, 'latin1');
    head[6] = 1;
    head.writeUInt16LE(dict.length, 8);
    const typed = dtype === 'bool' ? Uint8Array.from(data, (v) => (v ? 1 : 0))
        : dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
    fs.writeFileSync(file, Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.from(typed.buffer)]));
}

// ---------------------------------------------------------------- model --
function loadTf() {
    const need = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-converter'];
    for (const p of need) {
        if (!fs.existsSync(path.join(NPM, p, 'package.json'))) fail(`${p} not found in ${NPM}; run tools/setup.sh first`);
    }
    const tf = require(path.join(NPM, need[0]));
    require(path.join(NPM, need[1]));
    const tfconv = require(path.join(NPM, need[2]));
    return { tf, tfconv };
}

// An IOHandler reading model.json and the shards next to it from disk.
function fileHandler(tf, file) {
    return {
        load: async () => {
            const json = JSON.parse(fs.readFileSync(file, 'utf8'));
            const dir = path.dirname(file);
            const specs = [];
            const buffers = [];
            for (const group of json.weightsManifest || []) {
                for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
                specs.push(...group.weights);
            }
            const all = Buffer.concat(buffers);
            const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
            return {
                modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format,
                generatedBy: json.generatedBy, convertedBy: json.convertedBy, signature: json.signature,
                userDefinedMetadata: json.userDefinedMetadata, modelInitializer: json.modelInitializer,
            };
        },
    };
}

function stripPort(name) {
    return name.endsWith(':0') ? name.slice(0, -2) : name;
}

function sanitize(name) {
    return stripPort(name).replace(/[^A-Za-z0-9._-]/g, '_');
}

function hasControlFlow(json) {
    const cf = new Set(['Enter', 'Exit', 'Merge', 'Switch', 'LoopCond', 'NextIteration', 'If', 'StatelessIf', 'While',
        'StatelessWhile', 'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5', 'Where']);
    return (json.modelTopology.node || []).some((n) => cf.has(n.op));
}

async function run(opts) {
    const { tf, tfconv } = loadTf();
    await tf.setBackend('cpu');
    const model = await tfconv.loadGraphModel(fileHandler(tf, opts.model));
    if (opts.info) {
        const desc = (t) => ({ name: t.name, dtype: t.dtype, shape: t.shape });
        process.stdout.write(JSON.stringify({ inputs: model.inputs.map(desc), outputs: model.outputs.map(desc) }) + '\n');
        return 0;
    }
    const feeds = {};
    for (const inp of opts.inputs) {
        const match = model.inputs.find((t) => t.name === inp.name || stripPort(t.name) === stripPort(inp.name));
        if (!match) fail(`the model has no input '${inp.name}' (inputs: ${model.inputs.map((t) => t.name).join(', ')})`);
        const a = readNpy(inp.file);
        feeds[match.name] = tf.tensor(a.data, a.dims, a.dtype);
    }
    const json = JSON.parse(fs.readFileSync(opts.model, 'utf8'));
    const names = opts.outputs || model.outputs.map((t) => t.name);
    let outs = hasControlFlow(json) ? await model.executeAsync(feeds, names) : model.execute(feeds, names);
    if (!Array.isArray(outs)) outs = [outs];
    fs.mkdirSync(opts.outputDir, { recursive: true });
    for (let i = 0; i < outs.length; i++) {
        const t = outs[i];
        const file = path.join(opts.outputDir, sanitize(names[i]) + '.npy');
        writeNpy(file, t.dtype, t.shape, t.dataSync());
        process.stdout.write(`${names[i]} -> ${file} ${t.dtype} [${t.shape.join(', ')}]\n`);
    }
    return 0;
}

// nsfwjs ships its models as browserify bundles exporting the model JSON and base64 shards.
function extractBundle(dir, out) {
    const json = require(path.resolve(dir, 'model.min.js'));
    fs.mkdirSync(out, { recursive: true });
    for (const group of json.weightsManifest) {
        for (const p of group.paths) {
            const b64 = require(path.resolve(dir, p + '.min.js'));
            if (typeof b64 !== 'string') fail(`${dir}/${p}.min.js does not export a base64 string`);
            fs.writeFileSync(path.join(out, p + '.bin'), Buffer.from(b64, 'base64'));
        }
        group.paths = group.paths.map((p) => p + '.bin');
    }
    fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(json));
    process.stdout.write(`${dir} -> ${out}/model.json\n`);
    return 0;
}

function parseArgs(argv) {
    const o = { model: null, inputs: [], outputs: null, outputDir: null, info: false, extract: null };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) fail(`${a} expects a value`);
            return argv[++i];
        };
        if (a === '-h' || a === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0); }
        else if (a === '--model') o.model = next();
        else if (a === '--info') { o.model = next(); o.info = true; }
        else if (a === '--extract_bundle') o.extract = next();
        else if (a === '--output_dir') o.outputDir = next();
        else if (a === '--outputs') o.outputs = next().split(',').filter((n) => n.length);
        else if (a === '--input') {
            const s = next();
            const k = s.indexOf('=');
            if (k <= 0) fail(`--input expects NAME=FILE.npy, got '${s}'`);
            o.inputs.push({ name: s.slice(0, k), file: s.slice(k + 1) });
        } else fail(`unknown argument '${a}'\n${USAGE}`);
    }
    if (o.extract) {
        if (!o.outputDir) fail('--extract_bundle needs --output_dir');
    } else if (!o.model || (!o.info && !o.outputDir)) {
        fail(`--model and --output_dir are required\n${USAGE}`);
    }
    return o;
}

(async () => {
    try {
        const o = parseArgs(process.argv.slice(2));
        process.exitCode = o.extract ? extractBundle(o.extract, o.outputDir) : await run(o);
    } catch (e) {
        process.stderr.write(`${PROG}: error: ${e.message}\n`);
        process.exitCode = 1;
    }
})();
