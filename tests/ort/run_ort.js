// Runs an ONNX model in ONNX Runtime (CPU provider, npm onnxruntime-node) on NumPy .npy inputs and writes
// .npy outputs (C order; float32, int32, int64 or bool, little-endian), so tests and benchmarks can compare
// ONNX Runtime with strata.
//
//   node run_ort.js MODEL.onnx --input X.npy [--input X2.npy ...] --output Y.npy [--output Y2.npy ...]
//                   [--threads N]
//
// Inputs are fed to the model's inputs in order; the model's outputs are written in order. Exit status 1
// on any error, with the reason on stderr.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

// The .npy descr, ONNX Runtime's type name and the typed array of each element type exchanged.
const TYPES = [
  {descr: '<f4', ort: 'float32', array: Float32Array},
  {descr: '<i4', ort: 'int32', array: Int32Array},
  {descr: '<i8', ort: 'int64', array: BigInt64Array},
  {descr: '|b1', ort: 'bool', array: Uint8Array},
];

function readNpy(path) {
  const bytes = fs.readFileSync(path);
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLength);
  const descr = (header.match(/'descr':\s*'([^']*)'/) || [])[1];
  const type = TYPES.find((t) => t.descr === descr);
  if (!type) throw new Error(`${path}: expected one of ${TYPES.map((t) => t.descr)}, header ${header.trim()}`);
  if (!/'fortran_order':\s*False/.test(header)) throw new Error(`${path}: expected C order`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim() !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  const size = type.array.BYTES_PER_ELEMENT;
  if (bytes.length - dataStart !== count * size) throw new Error(`${path}: expected ${count * size} bytes of data`);
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of the element size.
  const data = new type.array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  return {shape, data, type: type.ort};
}

function writeNpy(path, shape, data, ortType) {
  const type = TYPES.find((t) => t.ort === ortType);
  if (!type) throw new Error(`${path}: an output of type ${ortType}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${type.descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';  // 10 + header is a multiple of 64
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const typed = data instanceof type.array ? data : type.array.from(data);
  const body = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
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
    const {shape, data, type} = readNpy(inputs[i]);
    feeds[name] = new ort.Tensor(type, data, shape);
  });
  const results = await session.run(feeds);
  session.outputNames.forEach((name, i) => writeNpy(outputs[i], results[name].dims, results[name].data, results[name].type));
}

main().catch((e) => {
  console.error(`run_ort.js: ${e.message || e}`);
  process.exit(1);
});
