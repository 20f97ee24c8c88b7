// Driver of the peer benchmark (run through tests/bench/compare_peers.sh): strata against ONNX Runtime on
// the identical graph and weights (strata's own ONNX export), timed alternately in one run.
//
//   node compare_peers.js --bin BUILD/tests/bench/compare_peers --dir WORKDIR [--md FILE] [--quick]
//                         [--only MODEL[,MODEL...]] [--threads 1,2] [--no-profile] [--modes
//                         idle,loaded,concurrent,files]
//                         [--strata-fixed]
//
// For each model, batch and thread count it starts a fresh strata process (`compare_peers serve`) and a
// fresh Node process with ONNX Runtime (`ort_serve.js`), each measuring its own idle memory first; checks
// that their outputs agree; warms each side up for about a second (and 16 passes on more than one thread);
// then alternates blocks of repetitions
// (strata, ORT, strata, ORT, ...) and reports medians over all repetitions and the median of the per-round
// ratios strata/ORT. Then strata's bfloat16 ResNet50 against its float32, alternately, with the error, and
// CompiledModel::profile's table for the 1-thread rows that miss issue 6's targets. Prints a markdown table.
//
// Modes (--modes, all four by default): `idle` is the above. `loaded` runs the same models with default
// threads on both sides (strata num_threads 0, ONNX Runtime intraOpNumThreads 0) while one busy process
// (a Node busy loop started by this driver, bounded in time, ended by its process id after the row) holds a
// core. `concurrent` times 4 callers at once on one compiled model against 4 callers of one ONNX Runtime
// session (throughput), idle and loaded, and strata's calls from a std::thread against calls from the
// program's first thread. `fixed` (not in the default set) times strata against itself with
// adaptive_threads off (every pass on exactly THREADS threads on the calling thread, as before the thread
// budget), idle, on each model, batch and thread count: what sharing the cores costs when nothing else runs.
// `files` times going from a model file to a batch-1 plan, each in a fresh process, alternately: strata's
// load_model of the model's .keras archive (Model::save of the same seeded weights) plus compile and the
// batch-1 plan build, against ONNX Runtime's InferenceSession.create from the .onnx file (default threads).
'use strict';
const {spawn, execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const args = process.argv.slice(2);
const opt = {
  bin: null,
  dir: null,
  md: null,
  quick: false,
  only: null,
  threads: [1, 2],
  profile: true,
  fixed: false,
  modes: ['idle', 'loaded', 'concurrent', 'files']
};
for (let i = 0; i < args.length; ++i) {
  const a = args[i];
  if (a === '--bin') opt.bin = args[++i];
  else if (a === '--dir') opt.dir = args[++i];
  else if (a === '--md') opt.md = args[++i];
  else if (a === '--quick') opt.quick = true;
  else if (a === '--only') opt.only = args[++i];
  else if (a === '--threads') opt.threads = args[++i].split(',').map(Number);
  else if (a === '--no-profile') opt.profile = false;
  else if (a === '--modes') opt.modes = args[++i].split(',');
  else if (a === '--strata-fixed') opt.fixed = true;
  else throw new Error(`unknown argument ${a}`);
}
if (!opt.bin || !opt.dir) throw new Error('usage: node compare_peers.js --bin COMPARE_PEERS --dir WORKDIR [--md FILE]');
fs.mkdirSync(opt.dir, {recursive: true});

// Issue 6's targets for 1 thread (strata/ORT at most this); on 2 threads no row above 1.0.
// Issue 18's: every further application family at most 1.0 at batch 1 and 8. Issue 16's: the DCGAN generator
// and the U-Net at most 1.0 on 1 and 2 threads; issue 17's for sequence models (keras-io's text classifiers,
// with convolutions and with a Transformer, and its bidirectional LSTM) the same.
const targets = {
  seed_block_1: {1: 0.9},
  seed_block_2: {1: 0.9},
  resnet50: {1: 0.9, 8: 0.9},
  mobilenet_v2: {1: 1.0, 8: 1.0},
  vgg16: {1: 1.0, 8: 1.0},
  resnet50v2: {1: 1.0, 8: 1.0},
  densenet121: {1: 1.0, 8: 1.0},
  inception_v3: {1: 1.0, 8: 1.0},
  inception_resnet_v2: {1: 1.0, 8: 1.0},
  mobilenet: {1: 1.0, 8: 1.0},
  xception: {1: 1.0, 8: 1.0},
  efficientnetb0: {1: 1.0, 8: 1.0},
  efficientnetv2b0: {1: 1.0, 8: 1.0},
  convnext_tiny: {1: 1.0, 8: 1.0},
  nasnetmobile: {1: 1.0, 8: 1.0},
  nasnetlarge: {1: 1.0, 8: 1.0},
  mobilenetv3small: {1: 1.0, 8: 1.0},
  mobilenetv3large: {1: 1.0, 8: 1.0},
  dcgan_generator: {1: 1.0, 8: 1.0},
  unet: {1: 1.0, 8: 1.0},
  text_cnn: {1: 1.0, 32: 1.0},
  bilstm: {1: 1.0, 32: 1.0},
  transformer: {1: 1.0, 32: 1.0}
};
const workloads =
    [
      {model: 'seed_block_1', batches: [1, 64]},
      {model: 'seed_block_2', batches: [1, 64]},
      {model: 'resnet50', batches: [1, 8]},
      {model: 'mobilenet_v2', batches: [1, 8]},
      {model: 'vgg16', batches: [1, 8]},
      {model: 'resnet50v2', batches: [1, 8]},
      {model: 'densenet121', batches: [1, 8]},
      {model: 'inception_v3', batches: [1, 8]},
      {model: 'inception_resnet_v2', batches: [1, 8]},
      {model: 'mobilenet', batches: [1, 8]},
      {model: 'xception', batches: [1, 8]},
      {model: 'efficientnetb0', batches: [1, 8]},
      {model: 'efficientnetv2b0', batches: [1, 8]},
      {model: 'convnext_tiny', batches: [1, 8]},
      {model: 'nasnetmobile', batches: [1, 8]},
      {model: 'nasnetlarge', batches: [1, 8]},
      {model: 'mobilenetv3small', batches: [1, 8]},
      {model: 'mobilenetv3large', batches: [1, 8]},
      {model: 'dcgan_generator', batches: [1, 8]},
      {model: 'unet', batches: [1, 8]},
      {model: 'text_cnn', batches: [1, 32]},
      {model: 'bilstm', batches: [1, 32]},
      {model: 'transformer', batches: [1, 32]},
    ]
        .filter(
            (w, _, all) => !opt.only ||
                opt.only.split(',').some(
                    (o) =>
                        // An exact model name selects that model alone (`mobilenet`, not also
                        // `mobilenet_v2`); any other word, every model whose name contains it.
                    all.some((x) => x.model === o) ? w.model === o : w.model.includes(o)));

const warmupMs = opt.quick ? 300 : 1000;
const blockMs = opt.quick ? 100 : 250;   // per side and round
const measureMs = opt.quick ? 1000 : 3000;  // per side
const minRounds = opt.quick ? 3 : 7;

class Server {
  constructor(name, command, argv) {
    this.name = name;
    this.proc = spawn(command, argv, {stdio: ['pipe', 'pipe', 'inherit']});
    this.waiters = [];
    this.lines = [];
    readline.createInterface({input: this.proc.stdout}).on('line', (line) => {
      if (this.waiters.length) this.waiters.shift()(line);
      else this.lines.push(line);
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
    this.exited.then((code) => {
      for (const w of this.waiters) w(null);
      if (code !== 0) console.error(`${name} exited with status ${code}`);
    });
  }
  next() {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  async ask(command) {
    this.proc.stdin.write(command + '\n');
    const line = await this.next();
    if (line === null) throw new Error(`${this.name}: no answer to '${command}'`);
    return line;
  }
  async ready() {
    const line = await this.next();
    if (line === null || !line.startsWith('ready')) throw new Error(`${this.name}: did not start (${line})`);
    return Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  }
  async run(reps) {
    const words = (await this.ask(`run ${reps}`)).split(' ').slice(1);
    const times = words.filter((w) => !w.startsWith('cpu=')).map(Number);
    times.cpuPerRep = Number(words.find((w) => w.startsWith('cpu=')).slice(4)) / reps;
    return times;
  }
  async mem() {
    const line = await this.ask('mem');
    return Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  }
  async quit() {
    this.proc.stdin.write('quit\n');
    await this.exited;
  }
}

// --strata-fixed: strata with adaptive_threads off (as before the thread budget) in the idle, loaded and
// concurrent modes.
function strataServer(model, input, threads, precision = 'float32', release = false) {
  return new Server(
      `strata ${precision}${release ? ' release_weights' : ''}`, opt.bin,
      ['serve', model, input, String(threads), precision, ...(release ? ['release'] : opt.fixed ? ['fixed'] : [])]);
}

// The other work of the loaded mode: one process spinning on one core, for at most `limitMs` whatever
// happens to this driver, and killed by its process id when the row is done.
const busyProcesses = new Set();
process.on('exit', () => {
  for (const p of busyProcesses) p.kill('SIGKILL');
});
function startBusy(limitMs = 10 * 60 * 1000) {
  const busy = spawn(process.execPath, ['-e', `const end = Date.now() + ${limitMs}; while (Date.now() < end) {}`],
                     {stdio: 'ignore'});
  busyProcesses.add(busy);
  return busy;
}
async function stopBusy(busy) {
  const exited = new Promise((resolve) => busy.on('exit', resolve));
  process.kill(busy.pid, 'SIGKILL');
  await exited;
  busyProcesses.delete(busy);
}
function ortServer(onnx, input, threads) {
  return new Server('onnxruntime', process.execPath, ['--expose-gc', path.join(__dirname, 'ort_serve.js'), onnx, input, String(threads)]);
}

function readNpy(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim() !== '').map(Number);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  new Uint8Array(data.buffer).set(bytes.subarray(10 + headerLength));
  return {shape, data};
}

// Error of `a` against `b`: the largest difference relative to the output's scale (max |b|), and the share
// of rows whose arg-max agrees (for classifier outputs).
function compare(a, b) {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shapes differ: ${a.shape} vs ${b.shape}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.data.length; ++i) {
    diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
    scale = Math.max(scale, Math.abs(b.data[i]));
  }
  const rows = a.shape[0], width = a.data.length / rows;
  let agree = 0;
  for (let r = 0; r < rows; ++r) {
    let ia = 0, ib = 0;
    for (let j = 1; j < width; ++j) {
      if (a.data[r * width + j] > a.data[r * width + ia]) ia = j;
      if (b.data[r * width + j] > b.data[r * width + ib]) ib = j;
    }
    if (ia === ib) ++agree;
  }
  return {rel: diff / (scale || 1), top1: agree / rows};
}

const median = (v) => {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
};

// Idle rows on more than one thread warm up for at least this many passes per side: strata's thread chooser
// tries one thread once, after 10 passes, on every new plan (a process started on a loaded machine finds
// fewer threads faster that way); on a 250 ms pass that try falls inside a one-second warm-up's measured
// rounds and costs a start-up price the rows would report as speed. The loaded mode keeps the short warm-up:
// there, finding the right count quickly is what is measured.
const kChooserPasses = 16;

async function warmUp(server, minPasses = 2) {
  const times = [];
  const start = Date.now();
  while (times.length < minPasses || Date.now() - start < warmupMs) times.push(...(await server.run(1)));
  // The fastest recent pass sizes the blocks: ONNX Runtime's first passes can take far longer than the rest,
  // and a median of two or three of them would shrink its blocks to one repetition.
  return Math.min(...times.slice(-5));
}

// Alternates blocks of repetitions of a and b; returns all times and the per-round ratios of medians.
async function alternate(a, b, msA, msB) {
  const repsA = Math.max(1, Math.round(blockMs / msA)), repsB = Math.max(1, Math.round(blockMs / msB));
  const rounds = Math.max(minRounds, Math.ceil(measureMs / blockMs));
  const timesA = [], timesB = [], ratios = [], cpuA = [], cpuB = [];
  for (let r = 0; r < rounds; ++r) {
    // Alternate which side goes first, so neither always follows the other's cache and clock state.
    const [first, second] = r % 2 ? [b, a] : [a, b];
    const t1 = await first.run(first === a ? repsA : repsB);
    const t2 = await second.run(second === a ? repsA : repsB);
    const [ta, tb] = first === a ? [t1, t2] : [t2, t1];
    timesA.push(...ta);
    timesB.push(...tb);
    ratios.push(median(ta) / median(tb));
    cpuA.push(ta.cpuPerRep);
    cpuB.push(tb.cpuPerRep);
  }
  return {a: median(timesA), b: median(timesB), ratio: median(ratios), reps: [timesA.length, timesB.length],
          cpuA: median(cpuA), cpuB: median(cpuB)};
}

const fmtMs = (ms) => (ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(1));
const mb = (kb) => (kb / 1024).toFixed(1);

async function main() {
  const [, dnnlVersion, , isa] = execFileSync(opt.bin, ['machine'], {encoding: 'utf8'}).trim().split(' ');
  const cpuModel = (fs.readFileSync('/proc/cpuinfo', 'latin1').match(/^model name\s*:\s*(.*)$/m) || [, '?'])[1];
  const ortVersion = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'ort', 'node_modules', 'onnxruntime-node', 'package.json'))).version;
  const machine = `${cpuModel}, ${os.cpus().length} cores, oneDNN ${dnnlVersion} (ISA ${isa}), ONNX Runtime ${ortVersion} ` +
                  `(npm onnxruntime-node, CPU provider), Node ${process.version}, ${os.type()} ${os.release()}`;
  const started = new Date().toISOString();
  console.log(`machine: ${machine}`);
  console.log(`start ${started}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const rows = [];
  let resnetB1Mem = null;
  for (const {model, batches} of opt.modes.includes('idle') ? workloads : []) {
    execFileSync(opt.bin, ['export', model, opt.dir, ...batches.map(String)], {stdio: 'inherit'});
    const onnx = path.join(opt.dir, `${model}.onnx`);
    for (const batch of batches) {
      const input = path.join(opt.dir, `${model}_b${batch}_in.npy`);
      for (const threads of opt.threads) {
        const load = os.loadavg()[0];
        // One at a time, so neither's compile shares the cores with the other's.
        const s = strataServer(model, input, threads);
        const sReady = await s.ready();
        const o = ortServer(onnx, input, threads);
        const oReady = await o.ready();
        const sOut = path.join(opt.dir, `${model}_b${batch}_t${threads}_strata.npy`);
        const oOut = path.join(opt.dir, `${model}_b${batch}_t${threads}_ort.npy`);
        await s.ask(`save ${sOut}`);
        await o.ask(`save ${oOut}`);
        const err = compare(readNpy(sOut), readNpy(oOut));
        const warmPasses = threads > 1 ? kChooserPasses : 2;
        const sWarm = await warmUp(s, warmPasses);
        const oWarm = await warmUp(o, warmPasses);
        const t = await alternate(s, o, sWarm, oWarm);
        const sMem = await s.mem(), oMem = await o.mem();
        await s.quit();
        await o.quit();
        const target = threads === 1 ? (targets[model][batch] ?? null) : 1.0;
        const row = {model, batch, threads, strata: t.a, ort: t.b, ratio: t.ratio, target, err,
                     cpuRatio: t.cpuA / t.cpuB, sCpu: t.cpuA, oCpu: t.cpuB, compile: sReady.compile_ms, session: oReady.compile_ms, sMem, oMem, load, reps: t.reps};
        rows.push(row);
        if (model === 'resnet50' && batch === 1 && threads === 1) resnetB1Mem = row;
        console.log(`${model} batch ${batch}, ${threads} thread(s): strata ${fmtMs(t.a)} ms, ORT ${fmtMs(t.b)} ms, ` +
                    `ratio ${t.ratio.toFixed(3)}${target ? ` (target <= ${target})` : ''}; CPU ${fmtMs(t.cpuA)} vs ${fmtMs(t.cpuB)} ms, ` +
                    `ratio ${(t.cpuA / t.cpuB).toFixed(3)}; error ${err.rel.toExponential(1)}; ` +
                    `compile ${fmtMs(sReady.compile_ms)} ms vs session ${fmtMs(oReady.compile_ms)} ms; ` +
                    `memory +${mb(sMem.rss_kb)} MB (peak +${mb(sMem.hwm_kb)}) vs +${mb(oMem.rss_kb)} MB (peak +${mb(oMem.hwm_kb)}); ` +
                    `load ${load.toFixed(2)}; reps ${t.reps.join('/')}`);
        if (err.rel > 1e-3) console.log(`  WARNING: outputs disagree (max |diff| / max |y| = ${err.rel})`);
      }
    }
  }

  // bfloat16 ResNet50 against float32, both strata, alternately.
  const bf16 = [];
  // strata refuses bfloat16 where the CPU has no native bfloat16 (oneDNN ISA below avx512_core_bf16).
  const nativeBf16 = isa.includes('bf16') || isa.includes('amx');
  if (!nativeBf16) console.log(`bfloat16 rows skipped: oneDNN ISA ${isa} has no native bfloat16`);
  if (nativeBf16 && opt.modes.includes('idle') && (!opt.only || 'resnet50'.includes(opt.only))) {
    for (const threads of [1]) {
      const batch = 1;
      const input = path.join(opt.dir, `resnet50_b${batch}_in.npy`);
      const load = os.loadavg()[0];
      const f = strataServer('resnet50', input, threads, 'float32');
      await f.ready();
      const h = strataServer('resnet50', input, threads, 'bfloat16');
      const hReady = await h.ready();
      const fOut = path.join(opt.dir, 'resnet50_bf16ref_f32.npy'), hOut = path.join(opt.dir, 'resnet50_bf16.npy');
      await f.ask(`save ${fOut}`);
      await h.ask(`save ${hOut}`);
      const err = compare(readNpy(hOut), readNpy(fOut));
      const t = await alternate(h, f, await warmUp(h), await warmUp(f));
      await f.quit();
      await h.quit();
      bf16.push({batch, threads, bf16: t.a, f32: t.b, speedup: 1 / t.ratio, err, compile: hReady.compile_ms, load});
      console.log(`resnet50 bfloat16 batch ${batch}, ${threads} thread: ${fmtMs(t.a)} ms vs float32 ${fmtMs(t.b)} ms, ` +
                  `speedup ${(1 / t.ratio).toFixed(2)}x; error ${err.rel.toExponential(2)}, top-1 agreement ${err.top1}`);
    }
  }
  // ResNet50 batch 1 compiled with release_weights: its memory, and outputs bitwise equal to the plain run's.
  let released = null;
  if (resnetB1Mem) {
    const input = path.join(opt.dir, 'resnet50_b1_in.npy');
    const r = strataServer('resnet50', input, 1, 'float32', true);
    const rReady = await r.ready();
    const rOut = path.join(opt.dir, 'resnet50_b1_t1_strata_released.npy');
    await r.ask(`save ${rOut}`);
    const same =
        Buffer.compare(
            fs.readFileSync(rOut), fs.readFileSync(path.join(opt.dir, 'resnet50_b1_t1_strata.npy'))) === 0;
    await warmUp(r);
    await r.run(20);
    released = {mem: await r.mem(), compile: rReady.compile_ms, same};
    await r.quit();
    console.log(
        `resnet50 batch 1, release_weights: memory +${mb(released.mem.rss_kb)} MB (peak +${
            mb(released.mem.hwm_kb)}), ` +
        `compile ${fmtMs(released.compile)} ms, output ${
            same ? 'bitwise equal to' : 'DIFFERENT from'} the plain run's`);
    if (!same) console.log('  WARNING: release_weights changed the output');
  }

  // Loaded mode: default threads on both sides beside one busy process.
  const loadedRows = [];
  for (const {model, batches} of opt.modes.includes('loaded') ? workloads : []) {
    execFileSync(opt.bin, ['export', model, opt.dir, ...batches.map(String)], {stdio: 'inherit'});
    const onnx = path.join(opt.dir, `${model}.onnx`);
    for (const batch of batches) {
      const input = path.join(opt.dir, `${model}_b${batch}_in.npy`);
      const s = strataServer(model, input, 0);
      await s.ready();
      const o = ortServer(onnx, input, 0);
      await o.ready();
      const busy = startBusy();
      const load = os.loadavg()[0];
      const sWarm = await warmUp(s);
      const oWarm = await warmUp(o);
      const t = await alternate(s, o, sWarm, oWarm);
      await stopBusy(busy);
      await s.quit();
      await o.quit();
      const row = {model, batch, strata: t.a, ort: t.b, ratio: t.ratio, sCpu: t.cpuA, oCpu: t.cpuB, cpuRatio: t.cpuA / t.cpuB, load};
      loadedRows.push(row);
      console.log(`loaded: ${model} batch ${batch}, default threads: strata ${fmtMs(t.a)} ms, ORT ${fmtMs(t.b)} ms, ` +
                  `ratio ${t.ratio.toFixed(3)} (target <= 1); CPU ${fmtMs(t.cpuA)} vs ${fmtMs(t.cpuB)} ms, ` +
                  `ratio ${row.cpuRatio.toFixed(3)} (target <= 1.5); load ${load.toFixed(2)}`);
    }
  }

  // Concurrent callers (batch 1, default threads), idle and loaded; and the calling-thread row.
  const callers = 4;
  const concurrentRows = [], threadRows = [];
  for (const {model} of opt.modes.includes('concurrent') ? workloads : []) {
    const batch = 1;
    execFileSync(opt.bin, ['export', model, opt.dir, String(batch)], {stdio: 'inherit'});
    const onnx = path.join(opt.dir, `${model}.onnx`);
    const input = path.join(opt.dir, `${model}_b${batch}_in.npy`);
    const s = strataServer(model, input, 0);
    await s.ready();
    const o = ortServer(onnx, input, 0);
    await o.ready();
    const sWarm = await warmUp(s);
    const oWarm = await warmUp(o);
    // Calls from a std::thread against calls from the first thread, alternately, in the one process.
    {
      const reps = Math.max(1, Math.round(blockMs / sWarm));
      const rounds = Math.max(minRounds, Math.ceil(measureMs / blockMs));
      const main = [], other = [], ratios = [];
      for (let r = 0; r < rounds; ++r) {
        const a = await s.run(reps);
        const words = (await s.ask(`trun ${reps}`)).split(' ').slice(1).filter((w) => !w.startsWith('cpu='));
        const b = words.map(Number);
        main.push(...a);
        other.push(...b);
        ratios.push(median(b) / median(a));
      }
      threadRows.push({model, batch, main: median(main), other: median(other), ratio: median(ratios)});
      console.log(`calling thread: ${model} batch ${batch}: first thread ${fmtMs(median(main))} ms, std::thread ` +
                  `${fmtMs(median(other))} ms, ratio ${median(ratios).toFixed(3)} (target <= 1.1)`);
    }
    for (const loaded of [false, true]) {
      const busy = loaded ? startBusy() : null;
      const load = os.loadavg()[0];
      // Each round: every caller makes `reps` calls; sized from the serial warm-up to about 2 blocks.
      const repsS = Math.max(2, Math.round((2 * blockMs) / (callers * sWarm)));
      const repsO = Math.max(2, Math.round((2 * blockMs) / (callers * oWarm)));
      const rounds = Math.max(minRounds, Math.ceil(measureMs / (2 * blockMs)));
      const sPer = [], oPer = [], ratios = [], sCpu = [], oCpu = [];
      const crun = async (server, reps) => {
        const words = (await server.ask(`crun ${callers} ${reps}`)).split(' ').slice(1);
        const wall = Number(words.find((w) => !w.startsWith('cpu=')));
        const cpu = Number(words.find((w) => w.startsWith('cpu=')).slice(4));
        return {perPass: wall / (callers * reps), cpuPerPass: cpu / (callers * reps)};
      };
      // Warm-up of the concurrent pattern on both sides: strata builds a plan for each thread count its
      // callers are given the first time it is used (once per process, as a server would).
      for (let r = 0; r < 2; ++r) {
        await crun(s, repsS);
        await crun(o, repsO);
      }
      for (let r = 0; r < rounds; ++r) {
        const first = r % 2 ? 'o' : 's';
        const x = first === 's' ? await crun(s, repsS) : await crun(o, repsO);
        const y = first === 's' ? await crun(o, repsO) : await crun(s, repsS);
        const [a, b] = first === 's' ? [x, y] : [y, x];
        sPer.push(a.perPass);
        oPer.push(b.perPass);
        sCpu.push(a.cpuPerPass);
        oCpu.push(b.cpuPerPass);
        ratios.push(a.perPass / b.perPass);
      }
      if (busy) await stopBusy(busy);
      const row = {model, batch, loaded, strata: median(sPer), ort: median(oPer), ratio: median(ratios),
                   sCpu: median(sCpu), oCpu: median(oCpu), load};
      concurrentRows.push(row);
      console.log(`concurrent (${callers} callers${loaded ? ', loaded' : ''}): ${model} batch ${batch}: strata ` +
                  `${(1000 / row.strata).toFixed(1)} passes/s, ORT ${(1000 / row.ort).toFixed(1)} passes/s, time ratio ` +
                  `${row.ratio.toFixed(3)} (target <= 1); load ${load.toFixed(2)}`);
    }
    await s.quit();
    await o.quit();
  }
  // strata (adaptive threads, the default) against strata with adaptive_threads off, idle.
  const fixedRows = [];
  for (const {model, batches} of opt.modes.includes('fixed') ? workloads : []) {
    for (const batch of batches) {
      execFileSync(opt.bin, ['export', model, opt.dir, String(batch)], {stdio: 'inherit'});
      const input = path.join(opt.dir, `${model}_b${batch}_in.npy`);
      for (const threads of opt.threads) {
        const a = strataServer(model, input, threads);
        await a.ready();
        const f = new Server('strata fixed', opt.bin, ['serve', model, input, String(threads), 'float32', 'fixed']);
        await f.ready();
        const load = os.loadavg()[0];
        const t = await alternate(a, f, await warmUp(a), await warmUp(f));
        await a.quit();
        await f.quit();
        fixedRows.push({model, batch, threads, adaptive: t.a, fixed: t.b, ratio: t.ratio, cpuA: t.cpuA, cpuB: t.cpuB, load});
        console.log(`fixed: ${model} batch ${batch}, ${threads} thread(s): adaptive ${fmtMs(t.a)} ms, fixed ${fmtMs(t.b)} ms, ` +
                    `ratio ${t.ratio.toFixed(3)}; CPU ${fmtMs(t.cpuA)} vs ${fmtMs(t.cpuB)} ms; load ${load.toFixed(2)}`);
      }
    }
  }

  // From a model file to a batch-1 plan, each side in a fresh process, alternating which starts.
  const fileRows = [];
  for (const model of opt.modes.includes('files') ?
           ['resnet50', 'mobilenet_v2'].filter((m) => !opt.only || m.includes(opt.only)) :
           []) {
    execFileSync(opt.bin, ['export', model, opt.dir, '1'], {stdio: 'inherit'});
    execFileSync(opt.bin, ['save', model, opt.dir], {stdio: 'inherit'});
    const keras = path.join(opt.dir, `${model}.keras`), onnx = path.join(opt.dir, `${model}.onnx`);
    const input = path.join(opt.dir, `${model}_b1_in.npy`);
    const load = os.loadavg()[0];
    const sLoad = [], sCompile = [], sTotal = [], oSession = [], ratios = [];
    const strataOnce = async () => {
      const s = strataServer(keras, input, 0);
      const ready = await s.ready();
      await s.quit();
      return ready;
    };
    const ortOnce = async () => {
      const o = ortServer(onnx, input, 0);
      const ready = await o.ready();
      await o.quit();
      return ready;
    };
    for (let r = 0; r < (opt.quick ? 3 : 7); ++r) {
      const [s, o] = r % 2 ? [null, await ortOnce()] : [await strataOnce(), null];
      const sReady = s || await strataOnce();
      const oReady = o || await ortOnce();
      sLoad.push(sReady.build_ms);
      sCompile.push(sReady.compile_ms);
      sTotal.push(sReady.build_ms + sReady.compile_ms);
      oSession.push(oReady.compile_ms);
      ratios.push((sReady.build_ms + sReady.compile_ms) / oReady.compile_ms);
    }
    const row = {
      model,
      load,
      sLoad: median(sLoad),
      sCompile: median(sCompile),
      sTotal: median(sTotal),
      oSession: median(oSession),
      ratio: median(ratios),
      mb: fs.statSync(keras).size / 1e6
    };
    fileRows.push(row);
    console.log(
        `files: ${model}: strata load_model ${fmtMs(row.sLoad)} ms + compile and plan ${
            fmtMs(row.sCompile)} ms ` +
        `= ${fmtMs(row.sTotal)} ms, ORT session ${fmtMs(row.oSession)} ms, ratio ${
            row.ratio.toFixed(2)}; load ${load.toFixed(2)}`);
  }

  const finished = new Date().toISOString();
  const loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');

  let md = `Measured ${started} to ${finished} by \`bash tests/bench/compare_peers.sh${opt.quick ? ' --quick' : ''}\`.\n\n`;
  md += `Machine: ${machine}. Load average (1 min) at each row's start in the last column; at the end ${loadEnd}.\n\n`;
  if (rows.length) {
    md +=
        '| model | batch | threads | strata ms | ORT ms | strata/ORT | target | met | CPU ms strata / ORT (ratio) | max error vs ORT | strata compile ms | ORT session ms | strata memory MB (peak) | ORT memory MB (peak) | load |\n';
    md += '|---|---:|---:|---:|---:|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---:|\n';
  }
  for (const r of rows) {
    const met = r.target === null ? '' : r.ratio <= r.target ? 'yes' : `no (+${(100 * (r.ratio / r.target - 1)).toFixed(0)}%)`;
    md += `| ${r.model} | ${r.batch} | ${r.threads} | ${fmtMs(r.strata)} | ${fmtMs(r.ort)} | ${r.ratio.toFixed(3)} | ` +
          `${r.target === null ? '-' : `<= ${r.target}`} | ${met} | ${fmtMs(r.sCpu)} / ${fmtMs(r.oCpu)} (${r.cpuRatio.toFixed(2)}) | ${r.err.rel.toExponential(1)} | ${fmtMs(r.compile)} | ` +
          `${fmtMs(r.session)} | +${mb(r.sMem.rss_kb)} (+${mb(r.sMem.hwm_kb)}) | +${mb(r.oMem.rss_kb)} (+${mb(r.oMem.hwm_kb)}) | ${r.load.toFixed(2)} |\n`;
  }
  if (bf16.length) {
    md += '\n| strata ResNet50 bfloat16 | batch | threads | bfloat16 ms | float32 ms | speedup | target | max error vs float32 | top-1 agreement | compile ms | load |\n';
    md += '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n';
    for (const r of bf16) {
      md += `| resnet50 | ${r.batch} | ${r.threads} | ${fmtMs(r.bf16)} | ${fmtMs(r.f32)} | ${r.speedup.toFixed(2)}x | >= 1.6x | ` +
            `${r.err.rel.toExponential(2)} | ${r.err.top1} | ${fmtMs(r.compile)} | ${r.load.toFixed(2)} |\n`;
    }
  }
  if (loadedRows.length) {
    md += '\n| loaded (one busy process) | batch | threads | strata ms | ORT ms | strata/ORT | target | met | CPU ms strata / ORT (ratio) | CPU target | met | load |\n';
    md += '|---|---:|---:|---:|---:|---:|---:|:-:|---:|---:|:-:|---:|\n';
    for (const r of loadedRows) {
      md += `| ${r.model} | ${r.batch} | default | ${fmtMs(r.strata)} | ${fmtMs(r.ort)} | ${r.ratio.toFixed(3)} | <= 1 | ` +
            `${r.ratio <= 1 ? 'yes' : 'no'} | ${fmtMs(r.sCpu)} / ${fmtMs(r.oCpu)} (${r.cpuRatio.toFixed(2)}) | <= 1.5 | ` +
            `${r.cpuRatio <= 1.5 ? 'yes' : 'no'} | ${r.load.toFixed(2)} |\n`;
    }
  }
  if (concurrentRows.length) {
    md += `\n| ${callers} concurrent callers | batch | busy process | strata passes/s | ORT passes/s | strata/ORT time per pass | target | met | CPU ms per pass strata / ORT | load |\n`;
    md += '|---|---:|:-:|---:|---:|---:|---:|:-:|---:|---:|\n';
    for (const r of concurrentRows) {
      md += `| ${r.model} | ${r.batch} | ${r.loaded ? 'yes' : 'no'} | ${(1000 / r.strata).toFixed(1)} | ${(1000 / r.ort).toFixed(1)} | ` +
            `${r.ratio.toFixed(3)} | <= 1 | ${r.ratio <= 1 ? 'yes' : 'no'} | ${fmtMs(r.sCpu)} / ${fmtMs(r.oCpu)} | ${r.load.toFixed(2)} |\n`;
    }
  }
  if (fixedRows.length) {
    md += '\n| adaptive vs fixed threads (strata, idle) | batch | threads | adaptive ms | fixed ms | adaptive/fixed | CPU ms adaptive / fixed | load |\n';
    md += '|---|---:|---:|---:|---:|---:|---:|---:|\n';
    for (const r of fixedRows) {
      md += `| ${r.model} | ${r.batch} | ${r.threads} | ${fmtMs(r.adaptive)} | ${fmtMs(r.fixed)} | ${r.ratio.toFixed(3)} | ` +
            `${fmtMs(r.cpuA)} / ${fmtMs(r.cpuB)} | ${r.load.toFixed(2)} |\n`;
    }
  }
  if (threadRows.length) {
    md += '\n| calling thread (strata, default threads) | batch | first thread ms | std::thread ms | ratio | target | met |\n';
    md += '|---|---:|---:|---:|---:|---:|:-:|\n';
    for (const r of threadRows) {
      md += `| ${r.model} | ${r.batch} | ${fmtMs(r.main)} | ${fmtMs(r.other)} | ${r.ratio.toFixed(3)} | <= 1.1 | ${r.ratio <= 1.1 ? 'yes' : 'no'} |\n`;
    }
  }
  if (fileRows.length) {
    md +=
        '\n| from a model file to a batch-1 plan (fresh processes, default threads) | file MB | strata load_model ms | strata compile + plan ms | strata total ms | ORT session ms | strata/ORT | load |\n';
    md += '|---|---:|---:|---:|---:|---:|---:|---:|\n';
    for (const r of fileRows) {
      md += `| ${r.model} (.keras vs .onnx) | ${r.mb.toFixed(0)} | ${fmtMs(r.sLoad)} | ${
                fmtMs(r.sCompile)} | ${fmtMs(r.sTotal)} | ` +
          `${fmtMs(r.oSession)} | ${r.ratio.toFixed(2)} | ${r.load.toFixed(2)} |\n`;
    }
  }
  md += '\nTimes are medians over all repetitions after a warm-up of about a second per side; strata/ORT is the median of the ' +
        'per-round ratios (each round times a block of strata and a block of ORT, alternating which goes first). ' +
        'CPU ms: each process\'s CPU time (all its threads) per forward pass, median over the rounds: not inflated when ' +
        'other load takes the cores away, so on one thread its ratio is the load-robust comparison (on two threads it ' +
        'also counts spin-waiting). Max error: max |strata - ORT| / max |ORT| over the output (the logits). Memory: growth of each process\'s VmRSS after the ' +
        'timed runs over its own idle state (strata: input loaded, no model built; ORT: Node running, onnxruntime-node ' +
        'loaded, input read), peak (VmHWM) growth in parentheses. strata compile: Model::compile plus the first plan build ' +
        '(model construction with seeded weights not counted); ORT session: InferenceSession.create from the .onnx file.\n';
  if (resnetB1Mem) {
    md += `\nResNet50 batch-1 forward pass, memory growth: strata +${mb(resnetB1Mem.sMem.rss_kb)} MB, ` +
        (released ? `strata with \`release_weights\` +${mb(released.mem.rss_kb)} MB (peak +${
                        mb(released.mem.hwm_kb)}; ` +
                 `compile ${fmtMs(released.compile)} ms; output ${
                        released.same ? 'bitwise equal' : 'DIFFERENT'}), ` :
                    '') +
        `ONNX Runtime +${mb(resnetB1Mem.oMem.rss_kb)} MB.\n`;
  }
  console.log('\n' + md);
  if (opt.md) fs.writeFileSync(opt.md, md);

  if (opt.profile) {
    for (const r of rows.filter((r) => r.threads === 1 && r.target !== null && r.ratio > r.target)) {
      const text = execFileSync(opt.bin, ['profile', r.model, String(r.batch), '1', '20'], {encoding: 'utf8'});
      const file = path.join(opt.dir, `profile_${r.model}_b${r.batch}.txt`);
      fs.writeFileSync(file, text);
      console.log(`CompiledModel::profile, ${r.model} batch ${r.batch}, 1 thread (missed target; full table in ${file}):`);
      console.log(text.split('\n').slice(0, 10).join('\n'));
    }
  }
}

main().catch((e) => {
  console.error(`compare_peers.js: ${e.stack || e}`);
  process.exit(1);
});
