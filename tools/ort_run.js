#!/usr/bin/env node
// tools/ort_run.js - run an ONNX model with onnxruntime-node on .npy inputs.
//
// Reference runner for moir: feeds .npy tensors to onnxruntime (CPU) and
// writes every model output as a .npy file, or benchmarks the model.
// onnxruntime-node is resolved from <repo>/third_party/npm/node_modules
// (installed by tools/setup.sh); nothing else is required.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const PROG = 'ort_run.js';
const REPO_ROOT = path.resolve(__dirname, '..');
const ORT_DIR = path.join(REPO_ROOT, 'third_party', 'npm', 'node_modules', 'onnxruntime-node');

const USAGE = `Usage:
  node tools/ort_run.js --model M.onnx --input NAME=FILE.npy [--input ...]
                        --output_dir D [--threads N]
  node tools/ort_run.js --model M.onnx --input NAME=FILE.npy [--input ...]
                        --bench K [--warmup W] [--threads N] [--output_dir D]
  node tools/ort_run.js --model M.onnx --input NAME=DIR/ [--input ...] --output_dir D
                        [--feedback OUT=IN ...] [--threads N] [--timing T.json]

Runs an ONNX model with onnxruntime-node (CPU) and writes one .npy file per
model output into D, named after the output with every character outside
[A-Za-z0-9._-] replaced by '_'.

Options:
  --model PATH        ONNX model file
  --input NAME=FILE   .npy file for the model input NAME (repeat per input)
  --input NAME=DIR/   a folder: run the model on every DIR/*.npy in name
                      order, in this one process, and write the outputs of
                      DIR/S.npy into D/S/ (as 'moir run' does); the other
                      --input files are the same for every run
  --feedback OUT=IN   with a folder input: after each run, output OUT becomes
                      input IN of the next (a streaming model's state)
  --timing FILE       with a folder input: write JSON with each file's
                      inference time in ms and their mean (the first run,
                      untimed, warms up)
  --output_dir DIR    where to write the outputs (created if missing);
                      optional with --bench (then the last run's outputs)
  --threads N         intra-op threads (default 1); inter-op threads are 1
  --bench K           run K timed iterations and print JSON with the
                      per-iteration latencies in milliseconds to stdout
  --warmup W          untimed iterations before --bench (default 1)
  -h, --help          show this help

Supported .npy files: format versions 1.0, 2.0 (and 3.0), C order,
little-endian dtypes <f4 <f8 <f2 |i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8 |b1.
Exit status: 0 on success, 1 on any error.`;

class UsageError extends Error {}

function fail(msg) {
    throw new Error(msg);
}

// ------------------------------------------------------------------ dtypes --

// npy type code (without byte-order char) <-> onnxruntime tensor type.
const DTYPES = [
    // code, ort type, item size, typed array constructor
    ['f4', 'float32', 4, Float32Array],
    ['f8', 'float64', 8, Float64Array],
    ['f2', 'float16', 2, Uint16Array], // raw IEEE half bits
    ['i1', 'int8', 1, Int8Array],
    ['u1', 'uint8', 1, Uint8Array],
    ['i2', 'int16', 2, Int16Array],
    ['u2', 'uint16', 2, Uint16Array],
    ['i4', 'int32', 4, Int32Array],
    ['u4', 'uint32', 4, Uint32Array],
    ['i8', 'int64', 8, BigInt64Array],
    ['u8', 'uint64', 8, BigUint64Array],
    ['b1', 'bool', 1, Uint8Array],
];
const BY_CODE = new Map(DTYPES.map((d) => [d[0], { code: d[0], ort: d[1], size: d[2], Array: d[3] }]));
const BY_ORT = new Map(DTYPES.map((d) => [d[1], { code: d[0], ort: d[1], size: d[2], Array: d[3] }]));

function descrFor(dt) {
    return (dt.size === 1 ? '|' : '<') + dt.code;
}

function dtypeFromDescr(descr, file) {
    const m = /^([<>|=]?)([a-zA-Z]\d+)$/.exec(descr);
    const supported = DTYPES.map((d) => descrFor({ code: d[0], size: d[2] })).join(' ');
    if (!m) fail(`${file}: unsupported dtype '${descr}' (supported: ${supported})`);
    const order = m[1];
    const dt = BY_CODE.get(m[2]);
    if (!dt) fail(`${file}: unsupported dtype '${descr}' (supported: ${supported})`);
    if (order === '>' && dt.size > 1) fail(`${file}: big-endian dtype '${descr}' is not supported`);
    if (order === '=' && os.endianness() !== 'LE') fail(`${file}: native-endian dtype on a big-endian host`);
    return dt;
}

// ------------------------------------------------------ npy header parsing --

// Parses the Python dict literal of an .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 48, 320), }
function parsePyLiteral(text, file) {
    let i = 0;
    const err = (what) => fail(`${file}: malformed .npy header (${what} at offset ${i}): ${text.trim()}`);
    const ws = () => {
        while (i < text.length && /\s/.test(text[i])) i++;
    };
    function value() {
        ws();
        const c = text[i];
        if (c === "'" || c === '"') {
            const end = text.indexOf(c, i + 1);
            if (end < 0) err('unterminated string');
            const s = text.slice(i + 1, end);
            i = end + 1;
            return s;
        }
        if (c === '{') {
            i++;
            const obj = {};
            for (;;) {
                ws();
                if (text[i] === '}') { i++; return obj; }
                const k = value();
                if (typeof k !== 'string') err('non-string key');
                ws();
                if (text[i] !== ':') err("expected ':'");
                i++;
                obj[k] = value();
                ws();
                if (text[i] === ',') { i++; continue; }
                if (text[i] === '}') { i++; return obj; }
                err("expected ',' or '}'");
            }
        }
        if (c === '(' || c === '[') {
            const close = c === '(' ? ')' : ']';
            i++;
            const arr = [];
            for (;;) {
                ws();
                if (text[i] === close) { i++; return arr; }
                arr.push(value());
                ws();
                if (text[i] === ',') { i++; continue; }
                if (text[i] === close) { i++; return arr; }
                err(`expected ',' or '${close}'`);
            }
        }
        const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
        if (!m) err('unexpected token');
        i += m[0].length;
        if (m[0] === 'True') return true;
        if (m[0] === 'False') return false;
        if (m[0] === 'None') return null;
        return Number(m[0].replace('L', ''));
    }
    const v = value();
    ws();
    if (i !== text.length) err('trailing characters');
    return v;
}

// ---------------------------------------------------------------- npy I/O --

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function readNpy(file) {
    let buf;
    try {
        buf = fs.readFileSync(file);
    } catch (e) {
        fail(`cannot read '${file}': ${e.message}`);
    }
    if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail(`${file}: not an .npy file (bad magic)`);
    const major = buf[6];
    const minor = buf[7];
    let headerLen;
    let headerStart;
    if (major === 1) {
        headerLen = buf.readUInt16LE(8);
        headerStart = 10;
    } else if (major === 2 || major === 3) {
        if (buf.length < 12) fail(`${file}: truncated .npy header`);
        headerLen = buf.readUInt32LE(8);
        headerStart = 12;
    } else {
        fail(`${file}: unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
    }
    const dataStart = headerStart + headerLen;
    if (buf.length < dataStart) fail(`${file}: truncated .npy header`);
    const headerText = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, dataStart);
    const header = parsePyLiteral(headerText, file);
    if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(`${file}: .npy header is not a dict`);
    for (const k of ['descr', 'fortran_order', 'shape']) {
        if (!(k in header)) fail(`${file}: .npy header lacks '${k}'`);
    }
    if (typeof header.descr !== 'string') fail(`${file}: structured dtypes are not supported`);
    const dt = dtypeFromDescr(header.descr, file);
    if (header.fortran_order !== false) {
        // A 0-d or 1-d array is the same in both orders, but keep it simple and strict.
        fail(`${file}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
    }
    const shape = header.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        fail(`${file}: bad shape in .npy header`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    const nbytes = count * dt.size;
    if (buf.length - dataStart !== nbytes) {
        fail(`${file}: data size ${buf.length - dataStart} bytes does not match shape (${shape.join(', ')}) of ${header.descr} (${nbytes} bytes)`);
    }
    // Copy into a fresh, aligned ArrayBuffer.
    const ab = new ArrayBuffer(nbytes);
    new Uint8Array(ab).set(buf.subarray(dataStart, dataStart + nbytes));
    return { dtype: dt, shape, data: new dt.Array(ab) };
}

function npyHeader(descr, shape) {
    const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
    let major = 1;
    let prefix = 10;
    const pad = (p) => {
        const total = p + dict.length + 1; // + '\n'
        return (64 - (total % 64)) % 64;
    };
    if (dict.length + 1 + pad(prefix) > 0xffff) {
        major = 2;
        prefix = 12;
    }
    dict = dict + ' '.repeat(pad(prefix)) + '\n';
    const head = Buffer.alloc(prefix);
    MAGIC.copy(head, 0);
    head[6] = major;
    head[7] = 0;
    if (major === 1) head.writeUInt16LE(dict.length, 8);
    else head.writeUInt32LE(dict.length, 8);
    return Buffer.concat([head, Buffer.from(dict, 'latin1')]);
}

function writeNpy(file, ortType, shape, data) {
    const dt = BY_ORT.get(ortType);
    if (!dt) fail(`cannot save output of type '${ortType}' as .npy (unsupported type)`);
    let bytes;
    if (ortType === 'bool' && !(data instanceof Uint8Array)) {
        bytes = Buffer.from(Array.from(data, (v) => (v ? 1 : 0)));
    } else if (ArrayBuffer.isView(data)) {
        bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    } else {
        fail(`output of type '${ortType}' has no typed-array data`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== count * dt.size) fail(`output data size ${bytes.length} does not match shape [${shape}]`);
    fs.writeFileSync(file, Buffer.concat([npyHeader(descrFor(dt), shape), bytes]));
}

// ------------------------------------------------------------ arguments --

function parseArgs(argv) {
    const opts = { model: null, inputs: [], feedback: [], outputDir: null, threads: 1, bench: null, warmup: 1, timing: null,
                   help: false };
    const intArg = (name, v, min) => {
        if (!/^\d+$/.test(v || '') || Number(v) < min) throw new UsageError(`${name} expects an integer >= ${min}, got '${v}'`);
        return Number(v);
    };
    for (let i = 0; i < argv.length; i++) {
        let a = argv[i];
        let val = null;
        const eq = a.indexOf('=');
        if (a.startsWith('--') && eq > 0) {
            val = a.slice(eq + 1);
            a = a.slice(0, eq);
        }
        const next = () => {
            if (val !== null) return val;
            if (i + 1 >= argv.length) throw new UsageError(`${a} expects a value`);
            return argv[++i];
        };
        switch (a) {
            case '-h':
            case '--help': opts.help = true; break;
            case '--model': opts.model = next(); break;
            case '--input': {
                const spec = next();
                const k = spec.indexOf('=');
                if (k <= 0 || k === spec.length - 1) throw new UsageError(`--input expects NAME=FILE.npy, got '${spec}'`);
                opts.inputs.push({ name: spec.slice(0, k), file: spec.slice(k + 1) });
                break;
            }
            case '--feedback': {
                const spec = next();
                const k = spec.indexOf('=');
                if (k <= 0 || k === spec.length - 1) throw new UsageError(`--feedback expects OUTPUT=INPUT, got '${spec}'`);
                opts.feedback.push({ out: spec.slice(0, k), in: spec.slice(k + 1) });
                break;
            }
            case '--output_dir': opts.outputDir = next(); break;
            case '--threads': opts.threads = intArg('--threads', next(), 1); break;
            case '--bench': opts.bench = intArg('--bench', next(), 1); break;
            case '--warmup': opts.warmup = intArg('--warmup', next(), 0); break;
            case '--timing': opts.timing = next(); break;
            default: throw new UsageError(`unknown argument '${argv[i]}'`);
        }
    }
    if (opts.help) return opts;
    if (!opts.model) throw new UsageError('--model is required');
    if (opts.bench === null && !opts.outputDir) throw new UsageError('--output_dir is required (unless --bench is given)');
    const seen = new Set();
    for (const inp of opts.inputs) {
        if (seen.has(inp.name)) throw new UsageError(`input '${inp.name}' given twice`);
        seen.add(inp.name);
    }
    return opts;
}

function sanitize(name) {
    return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function loadOrt() {
    if (!fs.existsSync(path.join(ORT_DIR, 'package.json'))) {
        fail(`onnxruntime-node not found in ${ORT_DIR}; run tools/setup.sh first`);
    }
    try {
        return require(ORT_DIR);
    } catch (e) {
        fail(`cannot load onnxruntime-node from ${ORT_DIR}: ${e.message}`);
    }
    return null;
}

// ------------------------------------------------------------------ main --

function stats(lat) {
    const s = [...lat].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return { mean_ms: mean, median_ms: median, min_ms: s[0], max_ms: s[s.length - 1], p90_ms: q(0.9) };
}

// Writes every output of one run into dir (one .npy per output, sanitized names).
function writeOutputs(session, results, dir, log) {
    fs.mkdirSync(dir, { recursive: true });
    const used = new Map();
    for (const name of session.outputNames) {
        const t = results[name];
        const fname = sanitize(name) + '.npy';
        if (used.has(fname)) fail(`outputs '${used.get(fname)}' and '${name}' both map to file '${fname}'`);
        used.set(fname, name);
        const file = path.join(dir, fname);
        writeNpy(file, t.type, t.dims.map(Number), t.data);
        log(`${name} -> ${file} ${t.type} [${t.dims.join(', ')}]`);
    }
}

// --input NAME=DIR/: every DIR/*.npy through the model, outputs into D/<stem>/.
async function runFolder(session, folder, opts, log) {
    if (opts.bench !== null) fail('--bench takes files, not a folder input');
    if (!opts.outputDir) fail('--output_dir is required with a folder input');
    const files = fs.readdirSync(folder.file).filter((f) => f.endsWith('.npy')).sort();
    if (!files.length) fail(`${folder.file}: no .npy files in the folder`);
    const ort = loadOrt();
    const feeds = {};  // the other inputs: files, the same for every run (or fed back, --feedback)
    for (const inp of opts.inputs) {
        if (inp === folder) continue;
        if (fs.statSync(inp.file).isDirectory()) fail(`only one --input may be a folder (${folder.file}, ${inp.file})`);
        const arr = readNpy(inp.file);
        feeds[inp.name] = new ort.Tensor(arr.dtype.ort, arr.data, arr.shape);
    }
    for (const fb of opts.feedback) {
        if (!session.outputNames.includes(fb.out)) fail(`--feedback: the model has no output '${fb.out}'`);
        if (!session.inputNames.includes(fb.in) || fb.in === folder.name) fail(`--feedback: '${fb.in}' is not a file input of the model`);
    }
    const latencies = {};
    for (let i = 0; i < files.length; i++) {
        const arr = readNpy(path.join(folder.file, files[i]));
        feeds[folder.name] = new ort.Tensor(arr.dtype.ort, arr.data, arr.shape);
        const once = async () => {
            try {
                return await session.run(feeds);
            } catch (e) {
                fail(`${files[i]}: inference failed: ${e.message}`);
            }
            return null;
        };
        if (i === 0) await once(); // warm-up
        const t0 = process.hrtime.bigint();
        const results = await once();
        latencies[files[i]] = Number(process.hrtime.bigint() - t0) / 1e6;
        writeOutputs(session, results, path.join(opts.outputDir, files[i].slice(0, -4)), () => {});
        for (const fb of opts.feedback) feeds[fb.in] = results[fb.out];  // state for the next file
    }
    const values = Object.values(latencies);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    log(`${files.length} inputs from ${folder.file} -> ${opts.outputDir}, mean ${mean.toFixed(3)} ms`);
    if (opts.timing) {
        fs.writeFileSync(opts.timing, JSON.stringify({ runtime: 'onnxruntime-node', threads: opts.threads, files: files.length,
            mean_ms: mean, latencies_ms: latencies }) + '\n');
    }
    if (typeof session.release === 'function') await session.release();
    return 0;
}

async function main() {
    if (os.endianness() !== 'LE') fail('this tool supports little-endian hosts only');
    let opts;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (e) {
        if (e instanceof UsageError) {
            process.stderr.write(`${PROG}: error: ${e.message}\n${USAGE}\n`);
            return 1;
        }
        throw e;
    }
    if (opts.help) {
        process.stdout.write(USAGE + '\n');
        return 0;
    }
    const log = (msg) => (opts.bench !== null ? process.stderr : process.stdout).write(msg + '\n');

    if (!fs.existsSync(opts.model)) fail(`model file '${opts.model}' not found`);
    const ort = loadOrt();

    let session;
    try {
        session = await ort.InferenceSession.create(path.resolve(opts.model), {
            intraOpNumThreads: opts.threads,
            interOpNumThreads: 1,
            graphOptimizationLevel: 'all',
        });
    } catch (e) {
        fail(`cannot load model '${opts.model}': ${e.message}`);
    }

    const expected = session.inputNames;
    const given = new Set(opts.inputs.map((x) => x.name));
    for (const inp of opts.inputs) {
        if (!expected.includes(inp.name)) fail(`model has no input '${inp.name}' (inputs: ${expected.join(', ')})`);
    }
    const missing = expected.filter((n) => !given.has(n));
    if (missing.length) fail(`no --input given for model input(s): ${missing.join(', ')}`);

    const folder = opts.inputs.find((x) => fs.existsSync(x.file) && fs.statSync(x.file).isDirectory());
    if (folder) return runFolder(session, folder, opts, log);
    if (opts.timing) fail('--timing needs a folder input (--input NAME=DIR/)');

    const feeds = {};
    for (const inp of opts.inputs) {
        const arr = readNpy(inp.file);
        feeds[inp.name] = new ort.Tensor(arr.dtype.ort, arr.data, arr.shape);
    }

    const runOnce = async () => {
        try {
            return await session.run(feeds);
        } catch (e) {
            fail(`inference failed: ${e.message}`);
        }
        return null;
    };

    let results;
    if (opts.bench !== null) {
        for (let i = 0; i < opts.warmup; i++) results = await runOnce();
        const lat = [];
        for (let i = 0; i < opts.bench; i++) {
            const t0 = process.hrtime.bigint();
            results = await runOnce();
            const t1 = process.hrtime.bigint();
            lat.push(Number(t1 - t0) / 1e6);
        }
        const report = {
            runtime: 'onnxruntime-node',
            version: (ort.env && ort.env.versions && ort.env.versions.common) || null,
            model: opts.model,
            threads: opts.threads,
            warmup: opts.warmup,
            iterations: opts.bench,
            latencies_ms: lat,
            ...stats(lat),
        };
        process.stdout.write(JSON.stringify(report) + '\n');
    } else {
        results = await runOnce();
    }

    if (opts.outputDir) {
        fs.mkdirSync(opts.outputDir, { recursive: true });
        const used = new Map();
        for (const name of session.outputNames) {
            const t = results[name];
            const fname = sanitize(name) + '.npy';
            if (used.has(fname)) fail(`outputs '${used.get(fname)}' and '${name}' both map to file '${fname}'`);
            used.set(fname, name);
            const file = path.join(opts.outputDir, fname);
            writeNpy(file, t.type, t.dims.map(Number), t.data);
            log(`${name} -> ${file} ${t.type} [${t.dims.join(', ')}]`);
        }
    }
    if (typeof session.release === 'function') await session.release();
    return 0;
}

main().then(
    (rc) => { process.exitCode = rc; },
    (e) => {
        process.stderr.write(`${PROG}: error: ${e && e.message ? e.message : e}\n`);
        process.exitCode = 1;
    },
);
