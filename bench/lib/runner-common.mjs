// Shared by the Node.js peer runners: settings in, one JSON result line out.
import { readFileSync } from 'node:fs'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { readPayloadFile } from './payload.mjs'

/** Every runner gets the same settings object as its single argument (JSON). */
export function readSettings() {
  const arg = process.argv[2]
  if (arg === undefined) throw new Error('usage: <runner> <settings-json>')
  const s = JSON.parse(arg)
  return { ...s, payloads: readPayloadFile(readFileSync(s.payloadFile)) }
}

/** One in LATENCY_SAMPLE_EVERY records has its ack latency taken (the same rule in every runner). */
export const LATENCY_SAMPLE_EVERY = 64

/** Collects ack latencies in ms and reduces them to p50/p99/max. */
export class LatencyRecorder {
  constructor(basis) {
    this.basis = basis
    this.samples = []
  }
  add(ms) {
    this.samples.push(ms)
  }
  summary() {
    return summarizeLatency(this.samples, this.basis)
  }
}

/** p50/p99/p99.9/max of a list of latencies (nearest-rank). */
export function summarizeLatency(samples, basis) {
  if (samples.length === 0) return null
  const s = Float64Array.from(samples).sort()
  const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
  const r = (x) => Math.round(x * 1000) / 1000
  return { p50: r(at(0.5)), p99: r(at(0.99)), p999: r(at(0.999)), max: r(s[s.length - 1]), count: s.length, basis }
}

/**
 * The pacer of a paced scenario (issue 15: `rate` records/s offered): record i of a phase is due
 * i / rate seconds after the phase's start(). The runner sends every record that is due, then
 * awaits wait(i) until it returns null (a timer, so at least ~1 ms: records leave in bursts of
 * about rate / 1000).
 * `maxLagMs` is how far behind its due time a record was sent at worst (a client that blocks in
 * send() falls behind; the harness also compares the achieved rate with the offered one).
 */
export class Pacer {
  constructor(rate) {
    this.msPerRecord = 1000 / rate
    this.t0 = 0
    this.maxLagMs = 0
  }
  start() {
    this.t0 = performance.now()
  }
  /** null when record i is due now (its lag noted), else a promise resolving at its due time. */
  wait(i) {
    const late = performance.now() - (this.t0 + i * this.msPerRecord)
    if (late >= 0) {
      if (late > this.maxLagMs) this.maxLagMs = late
      return null
    }
    return new Promise((resolve) => setTimeout(resolve, -late))
  }
}

/** Prints the result line the harness parses (the last line of stdout starting with '{'). */
/**
 * Peaks of a Node runner's process.memoryUsage(), sampled every 100 ms, and its garbage collections
 * by kind (issue 15: peak RSS is a goal, and these say where it goes: V8's heap, Buffers outside
 * it, or neither, i.e. freed pages the allocator kept; GC time is CPU the client spends). The
 * harness's peak RSS comes from the kernel (rusage) and is the figure judged. memoryUsage() is not
 * free (it showed as 1-2% of a CPU profile at 20 ms), hence 100 ms.
 */
export class MemoryPeaks {
  constructor() {
    this.peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }
    this.gc = { minor: { count: 0, ms: 0 }, major: { count: 0, ms: 0 }, incremental: { count: 0, ms: 0 }, weakcb: { count: 0, ms: 0 } }
    const kinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' }
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const g = this.gc[kinds[e.detail?.kind]]
        if (g === undefined) continue
        g.count++
        g.ms += e.duration
      }
    })
    this.observer.observe({ entryTypes: ['gc'] })
    this.timer = setInterval(() => this.sample(), 100)
    this.timer.unref()
  }
  sample() {
    const m = process.memoryUsage()
    for (const k of Object.keys(this.peak)) if (m[k] > this.peak[k]) this.peak[k] = m[k]
  }
  /** Stops sampling; peaks in MiB (one decimal), each its own maximum (not one instant), and GC count / ms per kind. */
  summary() {
    clearInterval(this.timer)
    this.observer.disconnect()
    this.sample()
    const gc = Object.fromEntries(Object.entries(this.gc).map(([k, v]) => [k, { count: v.count, ms: Math.round(v.ms) }]))
    return { ...Object.fromEntries(Object.entries(this.peak).map(([k, v]) => [`${k}MiB`, Math.round(v / 104857.6) / 10])), gc }
  }
}

export function emitResult(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

/** Reports a failure as a result line and exits non-zero, so the harness can show the reason. */
export function fail(err) {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  process.stdout.write(`${JSON.stringify({ error: message })}\n`)
  process.exit(1)
}

/**
 * Fails the process if it runs longer than `ms` (a wedged client must not hang the whole bench);
 * `progress()` may say how far it got, for the report.
 */
export function watchdog(ms, progress) {
  const t = setTimeout(() => fail(new Error(`runner did not finish within ${ms} ms${progress ? ` (${progress()})` : ''}`)), ms)
  t.unref()
}

/**
 * For clients that batch by caller (KafkaJS sendBatch, @platformatic/kafka send): how many records
 * one call carries: enough to fill one batch of `batchSize` bytes in each partition, as a user
 * tuning for throughput would do.
 */
export function recordsPerCall(s) {
  return Math.max(1, Math.floor(s.batchSize / (s.valueSize + 20))) * s.partitions
}

/**
 * Drives a caller-batched client: `sendCall(records)` sends one call's worth of values and resolves
 * when acknowledged; up to `maxInFlight` calls are outstanding. Returns elapsed ms of the measured part.
 */
export async function driveBatches(s, sendCall, lat) {
  const per = recordsPerCall(s)
  const pool = s.payloads
  let next = 0
  const run = async (total, measure) => {
    let sent = 0
    const worker = async () => {
      while (sent < total) {
        const n = Math.min(per, total - sent)
        sent += n
        const values = new Array(n)
        for (let i = 0; i < n; i++) values[i] = pool[next++ % pool.length]
        const t0 = performance.now()
        await sendCall(values)
        if (measure) lat.add(performance.now() - t0)
      }
    }
    await Promise.all(Array.from({ length: s.maxInFlight }, worker))
  }
  if (s.warmupRecords > 0) await run(s.warmupRecords, false)
  const start = performance.now()
  await run(s.records, true)
  return { elapsedMs: performance.now() - start, recordsPerCall: per }
}

/** The installed version of a package in bench/node_modules (read from disk: not every package exports package.json). */
export function pkgVersion(name) {
  const url = new URL(`../node_modules/${name}/package.json`, import.meta.url)
  try {
    return JSON.parse(readFileSync(url, 'utf8')).version
  } catch {
    return 'unknown'
  }
}
