/**
 * The code each gzip pool worker runs, as a string for `new Worker(code, { eval: true })`: a worker
 * file next to this one would not exist in the esbuild action bundles, and a function's `toString()`
 * would carry esbuild's `keepNames` helpers. Plain CommonJS, only Node built-ins.
 *
 * Protocol: the main thread posts `{ id, slot, dictLength, length, level, final }` where `slot.input`
 * is a SharedArrayBuffer holding the preset dictionary at [WINDOW - dictLength, WINDOW) and the block
 * at [WINDOW, WINDOW + length); the worker raw-deflates the block into `slot.output` (another
 * SharedArrayBuffer) and answers `{ id, length }`, or `{ id, overflow }` with the bytes when they do
 * not fit, or `{ id, error }`. Shared slots, reused block after block, mean no per-block buffers cross
 * threads (transferred buffers are not counted by V8's external-memory GC trigger, and pile up).
 * A block that is not the last ends with a sync flush (byte-aligned, no BFINAL bit), so blocks
 * concatenate into one deflate stream.
 *
 * Incompressible blocks (random data, already-compressed files) are stored instead of deflated:
 * three 16 KiB samples of the block (start, middle, end) are deflated at level 1 first, and when
 * none shrinks below 97% the whole block is written as stored deflate blocks (level 0). Deflate at
 * level 6 would spend most of its time finding no matches there and save under 1%; storing runs
 * at memory speed. The choice depends only on the block's bytes and the level, so the output stays
 * deterministic; every gzip reader reads stored blocks.
 */
export const GZIP_WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
const WINDOW = 32 * 1024;
// Deflates straight into the shared output through the zlib handle, so a block allocates no buffer
// (a worker's V8 heap sees almost no allocation and would let garbage output buffers pile up until
// its external-memory limit). Falls back to deflateRawSync if the handle is not as expected.
function deflateInto(input, opts, flush, output) {
  const d = new zlib.DeflateRaw({ ...opts, chunkSize: 64 });
  try {
    const h = d._handle;
    const state = d._writeState;
    if (!h || typeof h.writeSync !== 'function' || !state) return undefined;
    let error;
    d.on('error', (e) => { error = e; });
    h.writeSync(flush, input, 0, input.byteLength, output, 0, output.byteLength);
    if (error) throw error;
    // all input consumed and room left: the block is complete
    if (state[1] !== 0 || state[0] === 0) return undefined;
    return output.byteLength - state[0];
  } finally {
    d.close();
  }
}
const SAMPLE = 16 * 1024;
function incompressible(input) {
  if (input.byteLength < 8 * SAMPLE) return false;
  for (const at of [0, (input.byteLength >>> 1) - SAMPLE / 2, input.byteLength - SAMPLE]) {
    const sample = input.subarray(at, at + SAMPLE);
    if (zlib.deflateRawSync(sample, { level: 1 }).byteLength < SAMPLE * 0.97) return false;
  }
  return true;
}
parentPort.on('message', (m) => {
  try {
    const input = new Uint8Array(m.slot.input, WINDOW, m.length);
    const output = new Uint8Array(m.slot.output);
    const flush = m.final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH;
    const stored = m.level > 0 && incompressible(input);
    const opts = { level: stored ? 0 : m.level };
    if (m.dictLength > 0 && !stored)
      opts.dictionary = new Uint8Array(m.slot.input, WINDOW - m.dictLength, m.dictLength);
    const length = deflateInto(input, opts, flush, output);
    if (length !== undefined) {
      parentPort.postMessage({ id: m.id, length });
      return;
    }
    const out = zlib.deflateRawSync(input, { ...opts, finishFlush: flush });
    if (out.byteLength <= output.byteLength) {
      output.set(out);
      parentPort.postMessage({ id: m.id, length: out.byteLength });
    } else {
      parentPort.postMessage({ id: m.id, overflow: out });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});
`;
