// Runs an ONNX model in ONNX Runtime (CPU provider, npm onnxruntime-node) on raw float32 inputs and writes
// raw float32 outputs, so C++ tests can compare ONNX Runtime with strata without a NumPy dependency.
//
//   node run_ort.js SPEC.json
//
// SPEC: {"model": "m.onnx", "threads": 1,
//        "inputs":  [{"name": "input_1", "dims": [2, 32, 32, 3], "file": "x.bin"}],
//        "outputs": [{"name": "add", "file": "y.bin"}]}
// Each output file gets a sibling FILE.shape with its dims separated by spaces. Exit status 1 on any error.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  if (process.argv.length !== 3) throw new Error('usage: node run_ort.js SPEC.json');
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const threads = spec.threads || 1;
  const session = await ort.InferenceSession.create(spec.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds = {};
  for (const input of spec.inputs) {
    const bytes = fs.readFileSync(input.file);
    const count = input.dims.reduce((a, b) => a * b, 1);
    if (bytes.length !== count * 4) {
      throw new Error(`${input.file}: ${bytes.length} bytes, expected ${count * 4} for dims [${input.dims}]`);
    }
    // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes);
    feeds[input.name] = new ort.Tensor('float32', data, input.dims);
  }
  const results = await session.run(feeds);
  for (const output of spec.outputs) {
    const tensor = results[output.name];
    if (!tensor) throw new Error(`no output '${output.name}'; the model has [${session.outputNames}]`);
    fs.writeFileSync(output.file, Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    fs.writeFileSync(output.file + '.shape', tensor.dims.join(' ') + '\n');
  }
}

main().catch((e) => {
  console.error(`run_ort.js: ${e.message || e}`);
  process.exit(1);
});
