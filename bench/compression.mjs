// Compression microbenchmark: kafka-wire's codecs next to native packages for the same codec.
//
// Run:  npx tsc -p tsconfig.build.json && node bench/compression.mjs [batchKiB=256] [seconds=2]
//
// Input: one records section made of ~1 KiB JSON-like records (the size of a typical batch),
// compressed and decompressed for `seconds` per implementation, in interleaved rounds,
// timed in process CPU time (median round kept), so load from other processes on a shared machine
// distorts ours and native alike as little as possible. MB/s is uncompressed
// bytes per second (1 MB = 10^6 B); ratio is uncompressed / compressed. Speed goals are judged as
// ratios against the native package measured in the same run, never as absolute numbers.
import { spawnSync } from 'node:child_process'
import * as zlib from 'node:zlib'
import { getCodec, lz4FrameCompress, lz4FrameDecompress, snappyCompress, snappyDecompress } from '../dist/compression/index.js'

// The native packages' buffers need explicit GCs (see `rate`): re-run with --expose-gc if needed.
if (typeof globalThis.gc !== 'function') {
  const { status } = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' })
  process.exit(status ?? 1)
}

const batchKiB = Number(process.argv[2] ?? 256)
const seconds = Number(process.argv[3] ?? 2)

async function optional(name) {
  try {
    const mod = await import(name)
    // CommonJS packages expose their exports on `default` when imported from ESM.
    return mod.default ?? mod
  } catch {
    return undefined
  }
}

/** Deterministic ~1 KiB JSON-like records, concatenated to `size` bytes. */
function jsonRecords(size) {
  let seed = 12345
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296)
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy']
  const events = ['page_view', 'click', 'add_to_cart', 'checkout', 'login', 'logout', 'search']
  const parts = []
  let total = 0
  for (let id = 0; total < size; id++) {
    const items = []
    let rec = ''
    for (let n = 0; rec.length < 1000; n++) {
      items.push({ sku: `SKU-${(rnd() * 1e6) | 0}`, qty: (rnd() * 5) | 0, price: Math.round(rnd() * 10000) / 100 })
      rec = JSON.stringify({
        id,
        ts: 1700000000000 + id * 17 + ((rnd() * 1000) | 0),
        user: { name: names[(rnd() * names.length) | 0], id: (rnd() * 1e9) | 0, country: 'NL' },
        event: events[(rnd() * events.length) | 0],
        session: Math.floor(rnd() * 2 ** 52).toString(36),
        items,
      })
    }
    parts.push(rec)
    total += rec.length
  }
  return new Uint8Array(Buffer.from(parts.join(''), 'utf8').subarray(0, size))
}

/** CPU seconds used by this process so far (user + system). */
function cpuSeconds() {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

/**
 * Operations per CPU-second of `fn(input)`, run for about `ms` of CPU time after a warm-up.
 * CPU time rather than wall time: on a shared machine, time spent descheduled is not ours.
 * The native packages hand back buffers whose memory V8 does not see, so without a forced GC
 * between short chunks (and a turn of the event loop for their finalizers) their RSS grows by
 * gigabytes; both happen outside the timed chunks.
 */
async function rate(fn, input, ms) {
  for (let i = 0; i < 3; i++) fn(input)
  let iterations = 0
  let elapsed = 0
  while (elapsed < ms / 1000) {
    const start = cpuSeconds()
    let chunk = 0
    do {
      fn(input)
      iterations++
      chunk = cpuSeconds() - start
    } while (chunk < 0.02)
    elapsed += chunk
    globalThis.gc()
    // Native finalizers run from the event loop, so let it turn before the next chunk.
    await new Promise((resolve) => setImmediate(resolve))
  }
  return iterations / elapsed
}

const input = jsonRecords(batchKiB * 1024)
const max = input.length
const rows = []
const ROUNDS = 7

/** Middle value: one slow round (another process woke up) or one lucky round does not move it. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}

/** Measure the implementations of one codec in interleaved rounds; keep each one's median round. */
async function group(codec, impls) {
  const entries = impls.map(([impl, compress, decompress]) => {
    const compressed = compress(input)
    const back = decompress(compressed)
    if (Buffer.compare(Buffer.from(back), Buffer.from(input)) !== 0) throw new Error(`${codec}/${impl}: round trip failed`)
    return { impl, compress, decompress, compressed, c: [], d: [] }
  })
  const ms = (seconds * 1000) / ROUNDS
  for (let round = 0; round < ROUNDS; round++) {
    for (const e of entries) {
      e.c.push(await rate(e.compress, input, ms))
      e.d.push(await rate(e.decompress, e.compressed, ms))
    }
  }
  for (const e of entries) {
    rows.push({ codec, impl: e.impl, cMBs: (median(e.c) * input.length) / 1e6, dMBs: (median(e.d) * input.length) / 1e6, ratio: input.length / e.compressed.length })
  }
}

await group('gzip', [['kafka-wire (node:zlib, level 6)', (b) => getCodec('gzip').compress(b), (b) => getCodec('gzip').decompress(b, max)]])

const napiSnappy = await optional('@napi-rs/snappy')
const snappyjs = await optional('snappyjs')
await group('snappy', [
  ['kafka-wire (pure TS)', snappyCompress, (b) => snappyDecompress(b, max)],
  ...(napiSnappy ? [['native @napi-rs/snappy', (b) => napiSnappy.compressSync(b), (b) => napiSnappy.uncompressSync(b)]] : []),
  ...(snappyjs ? [['snappyjs (pure JS)', (b) => snappyjs.compress(b), (b) => snappyjs.uncompress(b)]] : []),
])

const lz4napi = await optional('lz4-napi')
await group('lz4', [
  ['kafka-wire (pure TS)', lz4FrameCompress, (b) => lz4FrameDecompress(b, max)],
  ...(lz4napi
    ? [['native lz4-napi (frame)', (b) => lz4napi.compressFrameSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), (b) => lz4napi.decompressFrameSync(b)]]
    : []),
])

const builtinZstd = 'zstdCompressSync' in zlib
const zstdNapi = await optional('zstd-napi')
await group('zstd', [
  ...(builtinZstd ? [['kafka-wire (node:zlib, level 3)', (b) => getCodec('zstd').compress(b, 3), (b) => getCodec('zstd').decompress(b, max)]] : []),
  ...(zstdNapi ? [['native zstd-napi (level 3, plug-in)', (b) => zstdNapi.compress(b, { compressionLevel: 3 }), (b) => zstdNapi.decompress(b)]] : []),
])
if (!builtinZstd) rows.push({ codec: 'zstd', impl: `kafka-wire built-in: none on Node ${process.versions.node} (needs 22.15+ or a plug-in)` })

console.log(`records section: ${input.length} bytes of ~1 KiB JSON-like records; ${seconds}s per implementation; Node ${process.versions.node}`)
console.log(['codec', 'impl', 'compress MB/s', 'decompress MB/s', 'ratio'].join('\t'))
for (const r of rows) {
  if (r.cMBs === undefined) console.log(`${r.codec}\t${r.impl}`)
  else console.log(`${r.codec}\t${r.impl}\t${r.cMBs.toFixed(0)}\t${r.dMBs.toFixed(0)}\t${r.ratio.toFixed(2)}`)
}
const find = (codec, prefix) => rows.find((r) => r.codec === codec && r.impl.startsWith(prefix))
for (const codec of ['snappy', 'lz4']) {
  const ours = find(codec, 'kafka-wire')
  const native = find(codec, 'native')
  if (ours?.cMBs && native?.cMBs) {
    console.log(
      `${codec}: native/kafka-wire speed = compress ${(native.cMBs / ours.cMBs).toFixed(2)}x, decompress ${(native.dMBs / ours.dMBs).toFixed(2)}x (goal <= 3x); ratio ours ${ours.ratio.toFixed(2)} vs native ${native.ratio.toFixed(2)}`,
    )
  }
}
