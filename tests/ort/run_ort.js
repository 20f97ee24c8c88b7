// Runs an ONNX model in ONNX Runtime (CPU provider, npm onnxruntime-node) on NumPy .npy inputs and writes
// .npy outputs (float32, C order), so tests and benchmarks can compare ONNX Runtime with strata.
//
//   node run_ort.js MODEL.onnx --input X.npy [--input X2.npy ...] --output Y.npy [--output Y2.npy ...]
//                   [--threads N]
//
// Inputs are fed to the model's inputs in order; the model's outputs are written in order. Exit status 1
// on any error, with the reason on stderr.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpy(path) {
  const bytes = fs.readFileSync(path);
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLength);
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${path}: expected float32 ('<f4'), header ${header.trim()}`);
  if (!/'fortran_order':\s*False/.test(header)) throw new Error(`${path}: expected C order`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim() !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.length - dataStart !== count * 4) throw new Error(`${path}: expected ${count * 4} bytes of data`);
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  return {shape, data};
}

function writeNpy(path, shape, data) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';  // 10 + header is a multiple of 64
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]));
}

async function main() {
  const args = process.argv.slice(2);
  const inputs = [], outputs = [];
  let model = null, threads = 1;
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--input') inputs.push(args[++i]);
    else if (args[i] === '--output') outputs.push(args[++i]);
    else if (args[i] === '--threads') threads = Number(args[++i]);
    else if (model === null) model = args[i];
    else throw new Error(`unexpected argument '${args[i]}'`);
  }
  if (model === null) throw new Error('usage: node run_ort.js MODEL.onnx --input X.npy ... --output Y.npy ...');
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  if (inputs.length !== session.inputNames.length || outputs.length !== session.outputNames.length) {
    throw new Error(`the model has ${session.inputNames.length} inputs and ${session.outputNames.length} outputs; ` +
                    `given ${inputs.length} and ${outputs.length}`);
  }
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const {shape, data} = readNpy(inputs[i]);
    feeds[name] = new ort.Tensor('float32', data, shape);
  });
  const results = await session.run(feeds);
  session.outputNames.forEach((name, i) => writeNpy(outputs[i], results[name].dims, results[name].data));
}

main().catch((e) => {
  console.error(`run_ort.js: ${e.message || e}`);
  process.exit(1);
});
