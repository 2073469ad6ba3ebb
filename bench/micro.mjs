#!/usr/bin/env node
// CPU-only microbenchmarks (no broker): batch build vs a plain Buffer.copy of the same bytes,
// CRC32C throughput, murmur2 per key. Imports kafka-wire's build (dist/); a part that is not
// built yet prints "not available yet". `--json` prints one JSON line instead of the table.
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { makePayloads } from './lib/payload.mjs'
import { microTable } from './lib/report.mjs'

const require = createRequire(import.meta.url)
const asJson = process.argv.includes('--json')
const TARGET_MS = 400 // per measurement; bounded because the machine is shared

async function load(path, names) {
  const url = new URL(`../dist/${path}`, import.meta.url)
  if (!existsSync(url)) return null
  try {
    const mod = await import(url.href)
    return names.every((n) => typeof mod[n] === 'function') ? mod : null
  } catch {
    return null
  }
}

/** Runs fn repeatedly for about TARGET_MS (after a short warm-up); returns ms per call (best of 3 rounds). */
function time(fn) {
  for (let i = 0; i < 20; i++) fn()
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    let calls = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < TARGET_MS / 3) {
      fn()
      calls++
      t = performance.now()
    }
    best = Math.min(best, (t - t0) / calls)
  }
  return best
}

const rows = []
const row = (name, value, unit, note = '') => rows.push({ name, value, unit, note })

// 1. Batch build: 1,000 records (null key, no headers) into one RecordBatch v2 incl. CRC32C.
const rb = await load('protocol/record-batch.js', ['RecordBatchBuilder'])
for (const size of [100, 1024]) {
  const values = makePayloads(size, 1000, 42)
  const total = values.reduce((n, v) => n + v.length, 0)
  const dest = Buffer.allocUnsafe(total)
  const copyMs = time(() => {
    let off = 0
    for (let i = 0; i < values.length; i++) off += values[i].copy(dest, off)
  })
  row(`Buffer.copy of 1,000 x ${size} B values`, (copyMs * 1e6) / 1000, 'ns/record', 'the floor: bytes moved, nothing encoded')
  if (rb === null) {
    row(`batch build 1,000 x ${size} B`, null, 'ns/record', 'not available yet (dist/protocol/record-batch.js)')
    continue
  }
  const cap = 61 + 1000 * (size + 24)
  const now = Date.now()
  const buildMs = time(() => {
    const b = new rb.RecordBatchBuilder(cap)
    for (let i = 0; i < values.length; i++) b.tryAppend(now, null, values[i], null)
    b.build()
  })
  row(`batch build 1,000 x ${size} B`, (buildMs * 1e6) / 1000, 'ns/record', `${(buildMs / copyMs).toFixed(1)}x the copy; includes CRC32C of the batch`)
}

// 2. CRC32C over 1 MiB.
const buf = Buffer.alloc(1 << 20)
for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24
const mbps = (fn) => (buf.length / 1e6) / (time(fn) / 1000)
const crc = await load('protocol/crc32c.js', ['crc32c'])
if (crc === null) row('CRC32C kafka-wire (1 MiB)', null, 'MB/s', 'not available yet (dist/protocol/crc32c.js)')
else {
  row('CRC32C kafka-wire crc32c() (1 MiB)', mbps(() => crc.crc32c(buf)), 'MB/s', 'what the producer calls')
  if (typeof crc.crc32cSoftware === 'function') row('CRC32C kafka-wire crc32cSoftware() (1 MiB)', mbps(() => crc.crc32cSoftware(buf)), 'MB/s', 'pure JS path')
}
try {
  const ref = require('crc-32/crc32c')
  row('CRC32C crc-32/crc32c (1 MiB)', mbps(() => ref.buf(buf)), 'MB/s', 'JS reference (devDependency)')
} catch {
  row('CRC32C crc-32/crc32c (1 MiB)', null, 'MB/s', 'crc-32 not installed')
}
try {
  const native = require('./node_modules/@node-rs/crc32')
  row('CRC32C @node-rs/crc32 (1 MiB)', mbps(() => native.crc32c(buf)), 'MB/s', 'native SIMD reference')
} catch {
  row('CRC32C @node-rs/crc32 (1 MiB)', null, 'MB/s', 'not installed in bench/node_modules')
}
const copyOnly = Buffer.allocUnsafe(buf.length)
row('Buffer.copy (1 MiB)', mbps(() => buf.copy(copyOnly)), 'MB/s', 'memory bandwidth floor')

// 3. murmur2 per key (the Java client's key partitioner hash).
const part = await load('producer/partitioner.js', ['murmur2'])
const keys = Array.from({ length: 1024 }, (_, i) => Buffer.from(`user-${String(i * 7919).padStart(8, '0')}`))
if (part === null) row('murmur2 (13 B keys)', null, 'ns/key', 'not available yet (dist/producer/partitioner.js)')
else {
  let sink = 0
  const ms = time(() => {
    for (let i = 0; i < keys.length; i++) sink ^= part.murmur2(keys[i])
  })
  row(`murmur2 (${keys[0].length} B keys)`, (ms * 1e6) / keys.length, 'ns/key', 'Java-compatible key hash')
  globalThis.__kwSink = sink // keeps the hash results observable, so no call is optimised away
}

// 4. send() with and without tracing subscribers (issue 16: no subscriber must cost nothing
// measurable). A producer on a transport that acknowledges at once, lingerMs 0; one send() per
// record in the callback form, 1,000 per measured call, settled before the next.
const kw = await load('index.js', ['Producer'])
if (kw === null) row('send() no subscriber', null, 'ns/record', 'not available yet (dist/index.js)')
else {
  const dc = await import('node:diagnostics_channel')
  const transport = {
    metadata: async (topics) => ({ brokers: [{ nodeId: 1, host: 'h', port: 1 }], topics: topics.map((topic) => ({ topic, errorCode: 0, partitions: [{ partition: 0, errorCode: 0, leaderId: 1, leaderEpoch: 0 }] })) }),
    produce: async (_n, data) => ({ throttleTimeMs: 0, nodeEndpoints: [], topics: data.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((x) => ({ partition: x.partition, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, errorMessage: null, recordErrors: [], currentLeader: null })) })) }),
    initProducerId: async () => ({ errorCode: 0, producerId: 1n, producerEpoch: 0, throttleTimeMs: 0 }),
    updateBrokers() {},
    close: async () => {},
  }
  const producer = new kw.Producer({ bootstrapServers: ['bench:1'], lingerMs: 0, logger: {} }, { transport })
  await producer.send({ topic: 'micro', value: 'warm' })
  const value = Buffer.alloc(100, 1)
  const runSends = () =>
    new Promise((resolve) => {
      let left = 1000
      const done = () => {
        if (--left === 0) resolve()
      }
      for (let i = 0; i < 1000; i++) producer.send({ topic: 'micro', value }, done)
    })
  const timeAsync = async () => {
    for (let i = 0; i < 5; i++) await runSends()
    let best = Infinity
    for (let round = 0; round < 5; round++) {
      const t0 = performance.now()
      for (let i = 0; i < 10; i++) await runSends()
      best = Math.min(best, (performance.now() - t0) / 10)
    }
    return (best * 1e6) / 1000
  }
  const bare = await timeAsync()
  row('send() no subscriber', bare, 'ns/record', 'callback form through a scripted transport (no broker)')
  const tc = dc.tracingChannel('kafka-wire:producer:send')
  const handlers = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} }
  tc.subscribe(handlers)
  const traced = await timeAsync()
  tc.unsubscribe(handlers)
  row('send() TracingChannel subscribed', traced, 'ns/record', `${(traced / bare).toFixed(2)}x no subscriber`)
  const again = await timeAsync()
  row('send() no subscriber (after unsubscribe)', again, 'ns/record', `${(again / bare).toFixed(2)}x the first no-subscriber run: the noise floor`)
  await producer.close()
}

if (asJson) process.stdout.write(`${JSON.stringify({ node: process.version, rows })}\n`)
else console.log(microTable(rows))
