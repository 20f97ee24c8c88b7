// ONNX Runtime's side of the peer benchmark (tests/bench/compare_peers.sh): serves timed forward passes
// over the same line protocol as `compare_peers serve`, so a driver can alternate the two engines.
//
//   node --expose-gc ort_serve.js MODEL.onnx INPUT.npy THREADS
//
// Measures this process's resident memory (VmRSS) with Node running, onnxruntime-node loaded and the input
// read (the idle state, so Node's own footprint is not counted as ONNX Runtime's), creates the session
// (CPU provider, graphOptimizationLevel 'all', intraOpNumThreads THREADS, interOpNumThreads 1, sequential),
// then prints "ready compile_ms=<session creation>" and answers:
//   run K     -> "times t1 ... tK cpu=C" (milliseconds of each session.run, await included; C: the
//                process's CPU milliseconds over the K runs)
//   crun C K  -> "times T cpu=C": C callers each awaiting K runs of the one session at once; T the wall
//                milliseconds until the last finishes. onnxruntime-node runs each session.run synchronously
//                on Node's main thread, so the callers' runs take turns on the session (its intra-op pool
//                still uses THREADS threads): ONNX Runtime's throughput with C callers of one session.
//   save PATH -> "saved"             (the first output of one run, as .npy)
//   mem       -> "mem rss_kb=<VmRSS - idle> hwm_kb=<VmHWM - idle>"
//   quit
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const ort = require(path.join(__dirname, '..', 'ort', 'node_modules', 'onnxruntime-node'));

function statusKb(field) {
  const m = fs.readFileSync('/proc/self/status', 'latin1').match(new RegExp(`^${field}:\\s*(\\d+)`, 'm'));
  return m ? Number(m[1]) : -1;
}

// The input: float32 images, or int64 token ids ('<i8', fed as ONNX Runtime's int64).
function readNpy(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = bytes[6] === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = bytes[6] === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLength);
  const int64 = /'descr':\s*'<i8'/.test(header);
  if (!int64 && !/'descr':\s*'<f4'/.test(header)) throw new Error(`${file}: expected float32 or int64`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim() !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = int64 ? new BigInt64Array(count) : new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(headerStart + headerLength));
  return {shape, data, type: int64 ? 'int64' : 'float32'};
}

function writeNpy(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.length === 1 ? `${shape[0]},` : shape.join(', ')}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'),
                                        Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

async function main() {
  const [model, inputPath, threadsText] = process.argv.slice(2);
  const threads = Number(threadsText);
  const {shape, data, type} = readNpy(inputPath);
  if (global.gc) global.gc();
  const idleKb = statusKb('VmRSS');
  const start = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const compileMs = Number(process.hrtime.bigint() - start) / 1e6;
  const feeds = {[session.inputNames[0]]: new ort.Tensor(type, data, shape)};
  process.stdout.write(`ready compile_ms=${compileMs.toFixed(3)}\n`);

  const lines = readline.createInterface({input: process.stdin});
  for await (const line of lines) {
    const [command, arg] = line.trim().split(/\s+/);
    if (command === 'run') {
      const times = [];
      const cpuStart = process.cpuUsage();
      for (let i = 0; i < Number(arg); ++i) {
        const t = process.hrtime.bigint();
        const results = await session.run(feeds);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (results[session.outputNames[0]].data.length === 0) throw new Error('empty output');
      }
      const cpu = process.cpuUsage(cpuStart);
      process.stdout.write(`times ${times.map((t) => t.toFixed(4)).join(' ')} cpu=${((cpu.user + cpu.system) / 1e3).toFixed(4)}\n`);
    } else if (command === 'crun') {
      const [callers, reps] = line.trim().split(/\s+/).slice(1).map(Number);
      const cpuStart = process.cpuUsage();
      const t = process.hrtime.bigint();
      const caller = async () => {
        for (let i = 0; i < reps; ++i) await session.run(feeds);
      };
      await Promise.all(Array.from({length: callers}, caller));
      const wall = Number(process.hrtime.bigint() - t) / 1e6;
      const cpu = process.cpuUsage(cpuStart);
      process.stdout.write(`times ${wall.toFixed(4)} cpu=${((cpu.user + cpu.system) / 1e3).toFixed(4)}\n`);
    } else if (command === 'save') {
      const out = (await session.run(feeds))[session.outputNames[0]];
      writeNpy(arg, out.dims, out.data);
      process.stdout.write('saved\n');
    } else if (command === 'mem') {
      process.stdout.write(`mem rss_kb=${statusKb('VmRSS') - idleKb} hwm_kb=${statusKb('VmHWM') - idleKb}\n`);
    } else if (command === 'quit') {
      break;
    } else {
      throw new Error(`unknown command '${line}'`);
    }
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(`error: ${e.message || e}`);
  process.exit(1);
});
