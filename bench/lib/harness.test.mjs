// Checks of the harness's own logic (no broker): node --test bench/lib/harness.test.mjs
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { test } from 'node:test'
import { baselineClient, CLIENTS } from './clients.mjs'
import { runMeasured } from './measure.mjs'
import { pinningText, pinProcess, planPinning } from './pin.mjs'
import { parseArgs, planScenarios } from './options.mjs'
import { makePayloads, readPayloadFile, writePayloadFile } from './payload.mjs'
import { cpuChart, goalSummaryTable, latencyChart, markdownTable, microTable, svgChart } from './report.mjs'
import { MemoryPeaks, Pacer, recordsPerCall, summarizeLatency } from './runner-common.mjs'
import { parseDescribe } from './txn-check.mjs'

test('payloads: same seed, same bytes; exact size; no newline; file round trip', () => {
  const a = makePayloads(100, 50, 42)
  const b = makePayloads(100, 50, 42)
  const c = makePayloads(100, 50, 43)
  assert.deepEqual(a, b)
  assert.notDeepEqual(a, c)
  for (const v of a) {
    assert.equal(v.length, 100)
    assert.equal(v.includes(0x0a), false)
  }
  const dir = mkdtempSync(join(tmpdir(), 'kw-bench-test-'))
  try {
    writePayloadFile(join(dir, 'p'), a)
    assert.deepEqual(readPayloadFile(readFileSync(join(dir, 'p'))), a)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('latency summary uses nearest rank', () => {
  const s = summarizeLatency(Array.from({ length: 100 }, (_, i) => 100 - i), 'x')
  assert.deepEqual([s.p50, s.p99, s.max, s.count], [50, 99, 100, 100])
  assert.equal(summarizeLatency([], 'x'), null)
})

test('caller-side batching fills one batch per partition', () => {
  assert.equal(recordsPerCall({ batchSize: 65536, valueSize: 100, partitions: 6 }), 546 * 6)
})

test('options: quick plan, validation', () => {
  const q = planScenarios(parseArgs(['--quick']))
  assert.deepEqual(q.map((s) => s.id), ['100b-acks1-none', '1024b-acksall-lz4'])
  assert.equal(q[0].warmupRecords, q[0].records / 10)
  const full = planScenarios(parseArgs([]))
  assert.equal(full.length, 13)
  assert.deepEqual(full.filter((s) => s.compression === 'zstd').map((s) => s.id), ['1024b-acksall-zstd'])
  assert.deepEqual(full.filter((s) => s.idempotence && !s.transactional).map((s) => s.id), ['100b-acksall-none-idem'])
  assert.ok(planScenarios(parseArgs(['--idempotence'])).every((s) => s.idempotence && s.acks === 'all'))
  assert.ok(planScenarios(parseArgs(['--quick', '--idempotence'])).every((s) => s.idempotence && s.acks === 'all'))
  assert.ok(!planScenarios(parseArgs(['--quick'])).some((s) => s.idempotence))
  assert.throws(() => parseArgs(['--acks', '2']), /not 1 or all/)
  assert.deepEqual(planScenarios(parseArgs(['--compression', 'zstd', '--value-sizes', '100', '--acks', '1'])).map((s) => s.id), ['100b-acks1-zstd'])
  assert.throws(() => parseArgs(['--compression', 'gzip']), /not one of none, lz4, zstd/)
  assert.throws(() => parseArgs(['--idempotence', '--acks', '1']), /needs acks=all/)
  assert.throws(() => parseArgs(['--nope']), /unknown option/)
})

test('ProducerPerformance output is parsed from its steady-state line', () => {
  const java = CLIENTS.find((c) => c.name === 'java')
  const out = [
    '200000 records sent, 24597.220514 records/sec (2.35 MB/sec), 2805.80 ms avg latency, 3708.00 ms max latency, 2969 ms 50th, 3596 ms 95th, 3703 ms 99th, 3705 ms 99.9th.',
    '180000 steady state records sent, 29239.766082 records/sec (2.79 MB/sec), 2989.96 ms avg latency, 3708.00 ms max latency, 3030 ms 50th, 3597 ms 95th, 3703 ms 99th, 3705 ms 99.9th.',
  ].join('\n')
  const r = java.parse(out, { records: 180000, warmupRecords: 20000 }, 0, { kafkaLibs: '/nonexistent' })
  assert.equal(r.records, 180000)
  assert.equal(r.warmupRecords, 20000)
  assert.ok(Math.abs(r.elapsedMs - (180000 / 29239.766082) * 1000) < 1e-6)
  assert.deepEqual([r.latency.p50, r.latency.p99, r.latency.max], [3030, 3703, 3708])
  assert.match(java.parse('garbage', { records: 1, warmupRecords: 0 }, 0, { kafkaLibs: '/x' }).error, /no summary line/)
})

const sc = { id: 's1', valueSize: 100, acks: '1', compression: 'none' }
const results = [
  { scenario: sc, client: 'kafka-wire', language: 'js', status: 'ok', recordsPerSec: 300, mbPerSec: 0.03, cpuSecPerMillion: 2, latency: null, maxRssMb: 50, endOffsets: 10 },
  { scenario: sc, client: 'kafkajs', language: 'js', status: 'ok', recordsPerSec: 100, mbPerSec: 0.01, cpuSecPerMillion: 8, latency: { p50: 1, p99: 2, max: 3 }, maxRssMb: 60, endOffsets: 10 },
  { scenario: sc, client: 'franz-go', language: 'go', status: 'invalid', reason: 'end offsets add up to 9, client sent 10', recordsPerSec: 600, mbPerSec: 0.06, cpuSecPerMillion: 1, latency: null, maxRssMb: 10, endOffsets: 9 },
  { scenario: sc, client: 'kcat', language: 'c', status: 'cannot run', reason: 'kcat not installed' },
]

test('table: ratios against kafka-wire, invalid and cannot-run rows, goal check', () => {
  const md = markdownTable(results, [sc])
  assert.match(md, /\| kafkajs \| 100 \| 0\.0 \| 3\.00x \| 1\.0 \/ 2\.0 \/ 3\.0 \| 8\.00 \| 4\.00x \|/)
  assert.match(md, /franz-go .*\*\*INVALID\*\*: end offsets add up to 9/)
  assert.match(md, /kcat \| cannot run: kcat not installed/)
  // the invalid run is not counted as "fastest other client"
  assert.match(md, /records\/s vs fastest other \(kafkajs\) 3\.00x \(≥ 1x\) met; vs platformatic n\/a \(platformatic not run\); vs kafkajs 3\.00x \(≥ 5x\) MISSED/)
  assert.match(md, /CPU per record vs franz-go n\/a \(franz-go invalid\)/)
  assert.match(md, /\(issue 8: CPU vs best other JS client, kafkajs, 0\.25x, goal ≤ 0\.5x\)/)
  assert.match(md, /1 of 2 met/)
  // RSS goal: bufferMemory + 64 MiB; 50 MiB against 32 + 64 is 0.52x
  assert.match(markdownTable(results, [sc], { bufferMemory: 32 * 2 ** 20 }), /peak RSS 50 MiB vs 96 MiB 0\.52x \(≤ 1x\) met/)
  const fg = { ...results[2], status: 'ok', cpuSecPerMillion: 1 }
  assert.match(markdownTable([results[0], fg], [sc]), /CPU per record vs franz-go 2\.00x \(≤ 1\.3x\) MISSED/)
})

test('goal summary: a row per kafka-wire form, each goal its ratio and met or missed, n/a for a peer that did not run validly', () => {
  const promise = { scenario: sc, client: 'kafka-wire-promise', language: 'js', status: 'ok', recordsPerSec: 900, mbPerSec: 0.09, cpuSecPerMillion: 1.5, latency: null, maxRssMb: 200, endOffsets: 10 }
  const base = { ...promise, client: 'kafka-wire-baseline' }
  const md = goalSummaryTable([...results, promise, base], [sc], { bufferMemory: 32 * 2 ** 20 })
  const rows = md.split('\n').slice(2)
  assert.equal(rows.length, 2) // the baseline build is not a form
  // callback: 300 ÷ kafkajs 100 = 3x (fastest valid other; franz-go is invalid), kafkajs 3x < 5x, RSS 50/96
  assert.equal(rows[0], '| 100 B, acks=1, none | callback | 300 | 3.00x met (kafkajs) | n/a | 3.00x **missed** | – | n/a | 0.52x met | 2 of 3 |')
  assert.equal(rows[1], '| 100 B, acks=1, none | promise | 900 | 9.00x met (kafkajs) | n/a | 9.00x met | – | n/a | 2.08x **missed** | 2 of 3 |')
})

/** Fails unless `svg` parses as XML (python3's minidom; without python3 the check is only noted). */
function assertWellFormed(t, svg) {
  const py = spawnSync('python3', ['-c', 'import sys,xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.read())'], { input: svg })
  if (py.error) t.diagnostic('python3 missing: XML well-formedness not checked')
  else assert.equal(py.status, 0, py.stderr?.toString())
}

test('chart is well-formed SVG with one bar per client that ran', (t) => {
  const svg = svgChart(results, [sc], CLIENTS.map((c) => c.name), 'title & <test>')
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 3 + 3) // 3 bars + 3 legend swatches
  assert.match(svg, /title &amp; &lt;test&gt;/)
  assertWellFormed(t, svg)
})

// Bars are the rects that carry a tooltip; the legend swatches have none. A bar's tooltip starts "client, scenario:".
const barsOf = (svg) => [...svg.matchAll(/<rect [^>]*><title>([^<]*)<\/title><\/rect>/g)].map((m) => ({ rect: m[0], tooltip: m[1] }))
// The legend's names are the only <text> elements with nothing but x and y.
const legendOf = (svg) => [...svg.matchAll(/<text x="[^"]*" y="[^"]*">([^<]*)<\/text>/g)].map((m) => m[1])

const sc2 = { id: 's2', valueSize: 1024, acks: 'all', compression: 'none' }
const chartResults = [
  ...results, // s1: kafka-wire 2, kafkajs 8, franz-go 1 but invalid, kcat cannot run
  { scenario: sc2, client: 'kafka-wire', language: 'js', status: 'ok', recordsPerSec: 200, cpuSecPerMillion: 0.3, latency: null },
  { scenario: sc2, client: 'kafkajs', language: 'js', status: 'failed', reason: 'timed out' },
  // ran validly, but this machine had no waiter to read its CPU with
  { scenario: sc2, client: 'franz-go', language: 'go', status: 'ok', recordsPerSec: 400, cpuSecPerMillion: null, latency: null },
  { scenario: sc2, client: 'kcat', language: 'c', status: 'cannot run', reason: 'kcat not installed' },
]

test('CPU chart: a bar per client and scenario that has a figure, a legend label per client that ran', (t) => {
  const svg = cpuChart(chartResults, [sc, sc2], CLIENTS.map((c) => c.name), 'CPU (lower is better)')
  assertWellFormed(t, svg)
  const bars = barsOf(svg)
  assert.deepEqual(
    bars.map((b) => b.tooltip),
    [
      'kafka-wire, 100 B, acks=1, none: 2.00 CPU s per 1M records',
      'kafkajs, 100 B, acks=1, none: 8.00 CPU s per 1M records',
      'franz-go, 100 B, acks=1, none: 1.00 CPU s per 1M records (INVALID)',
      'kafka-wire, 1 KiB, acks=all, none: 0.30 CPU s per 1M records',
    ],
  )
  assert.match(bars[2].rect, /fill="url\(#hatch\)"/)
  // kcat never ran, so it has no legend entry; kafkajs ran in s1 only and keeps its label
  assert.deepEqual(legendOf(svg), ['kafka-wire', 'kafkajs', 'franz-go'])
  assert.match(svg, /client CPU s per 1M records \(lower is better\)/)
  // ticks carry the decimals their step needs: rounded like the records/s axis, 0.3 would give "0, 0, 0, 0"
  const ticks = [...cpuChart(chartResults, [sc2], ['kafka-wire'], 't').matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1])
  assert.deepEqual(ticks, ['0.0', '0.1', '0.2', '0.3'])
})

test('charts: a client that failed a scenario or has no figure is absent there, not a zero bar', () => {
  const svg = cpuChart(chartResults, [sc, sc2], CLIENTS.map((c) => c.name), 't')
  // kafkajs failed s2 and franz-go's CPU there was not measured: neither has a bar or a value label in s2
  assert.deepEqual(barsOf(svg).filter((b) => b.tooltip.includes('1 KiB') && !b.tooltip.startsWith('kafka-wire,')), [])
  assert.doesNotMatch(svg, /height="0"/)
  assert.doesNotMatch(svg, />–<\/text>|>0\.00<\/text>/)
  // the gap keeps its place: in the records/s chart franz-go's s2 bar, after kafkajs's empty slot, is as
  // far from its group's centre as its s1 bar (the bars after a gap do not move up into it)
  const rate = svgChart(chartResults, [sc, sc2], CLIENTS.map((c) => c.name), 't')
  const xs = barsOf(rate).filter((b) => b.tooltip.startsWith('franz-go,')).map((b) => Number(/x="([^"]+)"/.exec(b.rect)?.[1]))
  const centres = ['100 B, acks=1, none', '1 KiB, acks=all, none'].map((label) => Number(new RegExp(`<text x="([^"]+)" y="[^"]+" text-anchor="middle">${label}</text>`).exec(rate)?.[1]))
  assert.equal(xs.length, 2)
  assert.ok(Math.abs(centres[0] - xs[0] - (centres[1] - xs[1])) < 1e-9, `bars at ${xs}, group centres at ${centres}`)
  // a measured 0 is a figure, though: it gets its (flat) bar, which is what "absent" is told apart from
  const zero = cpuChart([{ ...chartResults.find((r) => r.scenario === sc2 && r.client === 'kafka-wire'), cpuSecPerMillion: 0 }], [sc2], ['kafka-wire'], 't')
  assert.equal(barsOf(zero).length, 1)
  assert.match(zero, />0\.00<\/text>/)
  // and that chart leaves the failed kafkajs out of s2 the same way
  assert.deepEqual(barsOf(rate).filter((b) => b.tooltip.includes('1 KiB')).map((b) => b.tooltip.split(',')[0]), ['kafka-wire', 'franz-go'])
})

test('latency chart: p50 and p99 per client of the paced scenarios; none without a paced result', (t) => {
  const ps = { id: 'p', valueSize: 1024, acks: 'all', compression: 'none', rate: 1000 }
  const row = (client, status, latency, sustained) => ({ scenario: ps, client, language: 'js', status, reason: status === 'ok' ? null : 'x', recordsPerSec: 999, cpuSecPerMillion: 2, latency, paced: { rate: 1000, sustained, achievedRatio: sustained ? 0.999 : 0.5 } })
  const paced = [
    row('kafka-wire', 'ok', { p50: 2, p99: 8, p999: 9, max: 10, count: 10 }, true),
    row('franz-go', 'ok', { p50: 4, p99: 6, p999: 7, max: 8, count: 10 }, true),
    row('java', 'ok', { p50: 1, p99: 2.5, p999: 3, max: 4, count: 10 }, false),
    row('kafka-wire-promise', 'ok', null, true), // ran, reported no latency: in the legend, no bars
    { scenario: ps, client: 'kafkajs', language: 'js', status: 'cannot run', reason: 'not paced: no rate option' },
  ]
  const names = CLIENTS.map((c) => c.name)
  const svg = latencyChart([...chartResults, ...paced], [sc, sc2, ps], names, 'latency')
  assert.ok(svg !== null)
  assertWellFormed(t, svg)
  assert.deepEqual(
    barsOf(svg).map((b) => b.tooltip),
    [
      'kafka-wire, 1 KiB, acks=all, none, paced 1,000/s: ack p50 2.0 ms',
      'franz-go, 1 KiB, acks=all, none, paced 1,000/s: ack p50 4.0 ms',
      'java, 1 KiB, acks=all, none, paced 1,000/s: ack p50 1.0 ms (did not keep the offered rate: 50% of it)',
      'kafka-wire, 1 KiB, acks=all, none, paced 1,000/s: ack p99 8.0 ms',
      'franz-go, 1 KiB, acks=all, none, paced 1,000/s: ack p99 6.0 ms',
      'java, 1 KiB, acks=all, none, paced 1,000/s: ack p99 2.5 ms (did not keep the offered rate: 50% of it)',
    ],
  )
  // only the clients that ran a paced scenario: kafkajs ran s1 (unpaced) and cannot run the paced one, so it is not in it
  assert.deepEqual(legendOf(svg), ['kafka-wire', 'kafka-wire-promise', 'franz-go', 'java'])
  assert.match(svg, />p50: 1 KiB, acks=all, none, paced 1,000\/s<\/text>/)
  assert.match(svg, />2\.5\*<\/text>/) // java's figures are marked: another load than the others'
  assert.match(svg, />8\.0<\/text>/)
  // from 100 ms on a label drops its decimal, to fit its bar
  assert.match(latencyChart([{ ...paced[0], latency: { p50: 312.3, p99: 576.8 } }], [ps], names, 't') ?? '', />312<\/text>[^]*>577<\/text>/)
  // no paced scenario, or one that no client ran: no chart (and so no file)
  assert.equal(latencyChart(chartResults, [sc, sc2], names, 'latency'), null)
  assert.equal(latencyChart([...chartResults, paced[4], { ...paced[0], status: 'failed', latency: null }], [sc, sc2, ps], names, 'latency'), null)
})

test('measure: CPU and peak RSS of the child, not of the harness', async () => {
  const r = await runMeasured(process.execPath, ['-e', 'const a = Buffer.alloc(200 * 2 ** 20, 1); let x = 0; for (let i = 0; i < 3e7; i++) x += i; console.log(a[5] + (x > 0))'])
  assert.equal(r.code, 0)
  assert.equal(r.stdout.trim(), '2')
  if (r.method === null) return
  assert.ok(r.cpu.total > 0, 'some CPU time')
  assert.ok(r.maxRssKb > 200 * 1024, `peak RSS ${r.maxRssKb} KiB covers the 200 MiB buffer`)
  const fail = await runMeasured('sh', ['-c', 'exit 3'])
  assert.equal(fail.code, 3)
})

test('measure: a run past its timeout is killed with its waiter', async () => {
  const t0 = performance.now()
  const r = await runMeasured(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { timeoutMs: 500 })
  assert.ok(performance.now() - t0 < 10_000, 'did not wait for the child to finish by itself')
  assert.notEqual(r.code, 0)
})

test('the promise form gets its own goal line and is never counted as a peer', () => {
  const promise = { scenario: sc, client: 'kafka-wire-promise', language: 'js', status: 'ok', recordsPerSec: 900, mbPerSec: 0.09, cpuSecPerMillion: 1.5, latency: null, maxRssMb: 50, endOffsets: 10 }
  const md = markdownTable([...results, promise], [sc])
  assert.match(md, /\| kafka-wire-promise \| 900 \|/)
  assert.match(md, /- 100 B, acks=1, none: 1 of 2 met; records\/s vs fastest other \(kafkajs\) 3\.00x/)
  assert.match(md, /- 100 B, acks=1, none \(kafka-wire-promise\): 2 of 2 met; records\/s vs fastest other \(kafkajs\) 9\.00x/)
  const kw = CLIENTS.filter((c) => c.name.startsWith('kafka-wire'))
  assert.deepEqual(kw.map((c) => c.command({ x: 1 }, {}).args.slice(-2)), [['--send-mode', 'callback'], ['--send-mode', 'promise']])
})

test('baseline build: its own row with the same-run ratio, the callback runner on that dist/, no goal line', async () => {
  const base = { scenario: sc, client: 'kafka-wire-baseline', language: 'js', status: 'ok', recordsPerSec: 250, mbPerSec: 0.025, cpuSecPerMillion: 2.5, latency: null, maxRssMb: 50, endOffsets: 10 }
  const md = markdownTable([...results, base], [sc])
  // kafka-wire 300 ÷ baseline 250 = 1.20x; CPU 2.5 ÷ 2 = 1.25x
  assert.match(md, /\| kafka-wire-baseline \| 250 \| 0\.0 \| 1\.20x \| not reported \| 2\.50 \| 1\.25x \|/)
  assert.doesNotMatch(md, /\(kafka-wire-baseline\):/)
  // and it is never the "fastest other client" of kafka-wire's goal line
  assert.match(md, /records\/s vs fastest other \(kafkajs\) 3\.00x/)
  const dir = mkdtempSync(join(tmpdir(), 'kw-bench-base-'))
  try {
    const c = baselineClient(dir)
    assert.equal(c.ours, true)
    assert.deepEqual(c.command({ x: 1 }, {}).args.slice(-4), ['--send-mode', 'callback', '--dist', dir])
    assert.match(await c.prepare({}), /index\.js not built/)
    writeFileSync(join(dir, 'index.js'), 'export class Producer {}\n')
    assert.equal(await c.prepare({}), null)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  assert.equal(parseArgs(['--baseline-dist', '/x']).baselineDist, '/x')
  // the built-in rows check dist/ whatever the harness passes to prepare (its ctx is not a directory)
  for (const c of CLIENTS.filter((x) => x.name.startsWith('kafka-wire'))) {
    const reason = await c.prepare({ log() {} })
    assert.ok(reason === null || /dist\/index\.js/.test(reason), String(reason))
  }
})

test('zstd: a client without it is skipped with its reason, not the whole run', () => {
  const z = { id: 'z', valueSize: 100, acks: '1', compression: 'zstd' }
  const byName = (n) => CLIENTS.find((c) => c.name === n)
  assert.match(byName('kafkajs').supports(z, {}), /no zstd codec/)
  assert.equal(byName('kafkajs').supports(sc, {}), null)
  assert.equal(byName('franz-go').supports, undefined) // kgo has zstd built in
  const zlibHasZstd = typeof zlib.zstdCompressSync === 'function'
  assert.equal(byName('kafka-wire').supports(z, {}) === null, zlibHasZstd)
  const md = markdownTable([{ scenario: z, client: 'kafkajs', language: 'js', status: 'skipped', reason: 'KafkaJS ships no zstd codec' }], [z])
  assert.match(md, /\| 100 B, acks=1, zstd \| kafkajs \| skipped: KafkaJS ships no zstd codec \|/)
})

test('pinning: plan, report line, and a client really runs on the CPU it is given', async (t) => {
  assert.deepEqual(planPinning(true, { taskset: true, cpus: [2, 3, 4] }), { broker: 2, client: 3, reason: null })
  assert.match(planPinning(true, { taskset: true, cpus: [0] }).reason, /only 1 CPU/)
  assert.match(planPinning(true, { taskset: false, cpus: [0, 1] }).reason, /taskset not found/)
  assert.equal(pinningText(planPinning(false), null), 'CPU pinning: off (--no-pin)')
  assert.equal(pinningText({ broker: 0, client: 1, reason: null }, null), 'CPU pinning (taskset): broker on CPU 0, each client process on CPU 1')
  assert.equal(parseArgs(['--no-pin']).pin, false)
  const plan = planPinning(true)
  if (plan.reason !== null) return t.diagnostic(`not checked here: ${plan.reason}`)
  const r = await runMeasured(process.execPath, ['-e', "process.stdout.write(/Cpus_allowed_list:\\s*(\\S+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])"], { cpu: plan.client })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, String(plan.client))
  // the broker's way: a running process, every thread
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10_000)'], { stdio: 'ignore' })
  try {
    assert.equal(pinProcess(child.pid, plan.broker), null)
    assert.match(readFileSync(`/proc/${child.pid}/status`, 'utf8'), new RegExp(`Cpus_allowed_list:\\s*${plan.broker}\\n`))
  } finally {
    child.kill('SIGKILL')
  }
})

test('micro goals: batch build against the plain copy', () => {
  const rows = [
    { name: 'Buffer.copy of 1,000 x 100 B values', value: 20, unit: 'ns/record', note: '' },
    { name: 'batch build 1,000 x 100 B', value: 150, unit: 'ns/record', note: '' },
  ]
  const md = microTable(rows)
  assert.match(md, /batch build of 100 B records vs a plain copy 7\.50x \(≤ 2x\) MISSED/)
  assert.match(md, /batch build of 1024 B records vs a plain copy n\/a \(not measured\)/)
})

test('transactional scenario: in the full matrix only, its own size, peers Java and franz-go', () => {
  const full = planScenarios(parseArgs([]))
  assert.deepEqual(full.filter((s) => s.transactional).map((s) => [s.id, s.txnRecords, s.idempotence, s.acks]), [['100b-acksall-none-txn1000', 1000, true, 'all']])
  assert.ok(!planScenarios(parseArgs(['--quick'])).some((s) => s.transactional))
  const one = planScenarios(parseArgs(['--transactional', '--txn-records', '250', '--value-sizes', '100', '--compression', 'none']))
  assert.deepEqual(one.map((s) => [s.id, s.idempotence, s.transactional, s.txnRecords]), [['100b-acksall-none-txn250', true, true, 250]])
  assert.throws(() => parseArgs(['--transactional', '--acks', '1']), /needs acks=all/)
  const t = one[0]
  const byName = (n) => CLIENTS.find((c) => c.name === n)
  for (const n of ['kafkajs', 'platformatic', 'node-rdkafka', 'kcat']) assert.match(byName(n).supports(t, {}), /not a peer in the transactional scenario/)
  assert.equal(byName('franz-go').supports, undefined)
  assert.equal(byName('java').supports(t, { kafkaLibs: '/x' }), null)
  const args = byName('java').command({ topic: 't', records: 10, warmupRecords: 0, payloadFile: 'p', bootstrap: 'b', acks: 'all', compression: 'none', batchSize: 1, lingerMs: 0, maxInFlight: 5, idempotence: true, bufferMemory: 1, transactional: true, transactionalId: 't-txn', javaTxnMs: 5, transactionTimeoutMs: 60000 }, { kafkaLibs: '/libs' }).args
  assert.deepEqual(args.slice(args.indexOf('--transactional-id'), args.indexOf('--transactional-id') + 5), ['--transactional-id', 't-txn', '--transaction-duration-ms', '5', '--print-metrics'])
  assert.ok(args.indexOf('--transactional-id') < args.indexOf('--command-property'))
  assert.ok(args.includes('transaction.timeout.ms=60000'))
})

test('ProducerPerformance in a transactional run: commit total from its metrics, no per-commit latency', () => {
  const java = CLIENTS.find((c) => c.name === 'java')
  const out = [
    '1000 records sent, 500.0 records/sec (0.05 MB/sec), 5.00 ms avg latency, 9.00 ms max latency, 4 ms 50th, 8 ms 95th, 9 ms 99th, 9 ms 99.9th.',
    'producer-metrics:txn-commit-time-ns-total:{client-id=bench-java}                : 2500000000.000',
  ].join('\n')
  const r = java.parse(out, { records: 1000, warmupRecords: 0, transactional: true, javaTxnMs: 5, txnRecords: 1000 }, 0, { kafkaLibs: '/x' })
  assert.equal(r.txn.commitTotalMs, 2500)
  assert.equal(r.txn.commitLatency, null)
  assert.match(r.txn.commitLatencyWhyNot, /does not time each commitTransaction/)
})

test('transactional table: commit latency, n/a with its reason, read_committed check', () => {
  const t = { id: 't', valueSize: 100, acks: 'all', compression: 'none', idempotence: true, transactional: true, txnRecords: 1000, javaTxnMs: 5 }
  const lat = (p50) => ({ p50, p99: p50 * 2, max: p50 * 3, count: 10 })
  const rs = [
    { scenario: t, client: 'kafka-wire', language: 'js', status: 'ok', recordsPerSec: 1000, cpuSecPerMillion: 1, endOffsets: 11012, txn: { transactions: 11, txnRecords: 1000, commitLatency: lat(4), commitTotalMs: 40, committedRecords: 11000, markers: 12, transactionsFrom: 'client' } },
    { scenario: t, client: 'franz-go', language: 'go', status: 'ok', recordsPerSec: 2000, cpuSecPerMillion: 1, endOffsets: 11012, txn: { transactions: 11, txnRecords: 1000, commitLatency: lat(2), commitTotalMs: 20, committedRecords: 11000, markers: 12, transactionsFrom: 'client' } },
    { scenario: t, client: 'java', language: 'java', status: 'ok', recordsPerSec: 900, cpuSecPerMillion: 1, endOffsets: 11030, txn: { transactions: 22, txnRecords: null, recordsPerTransaction: 500, commitLatency: null, commitLatencyWhyNot: 'ProducerPerformance does not time each commit', commitTotalMs: 110, committedRecords: 11000, markers: 30, transactionsFrom: 'coordinator epoch' } },
    { scenario: t, client: 'kafkajs', language: 'js', status: 'skipped', reason: 'not a peer in the transactional scenario' },
  ]
  const md = markdownTable(rs, [t])
  assert.match(md, /\| 100 B, acks=all, none, transactions of 1,000 \| kafka-wire \| 1,000 \| .*ok \(11,000 read_committed \+ 12 markers\)/)
  assert.match(md, /\| kafka-wire \| 1,000 \| 1,000 \| 11 \| 4\.0 \/ 8\.0 \/ 12\.0 \| 4\.0 \| 1\.00x \| ok: 11,000 of 11,000 records \|/)
  assert.match(md, /\| franz-go \| 2,000 \| 1,000 \| 11 \| 2\.0 \/ 4\.0 \/ 6\.0 \| 2\.0 \| 2\.00x \|/)
  assert.match(md, /\| java \| 900 \| 500 \(mean; 5 ms each\) \| 22 \(coordinator epoch\) \| n\/a \(ProducerPerformance does not time each commit\) \| 5\.0 \| – \|/)
  assert.match(md, /kafkajs \| skipped: not a peer/)
  assert.equal(markdownTable(results, [sc]).includes('Transactions (issue 14)'), false)
})

test('TransactionsCommand describe output gives producer id, epoch and state', () => {
  const out = [
    'CoordinatorId\tTransactionalId\tProducerId\tProducerEpoch\tTransactionState\tTransactionTimeoutMs\tCurrentTransactionStartTimeMs\tTransactionDurationMs\tTopicPartitions',
    '1            \tt-txn          \t2         \t25           \tCompleteCommit  \t60000               \tNone                         \tNone                 \t',
  ].join('\n')
  assert.deepEqual(parseDescribe(out), { producerId: 2, epoch: 25, state: 'CompleteCommit' })
  assert.match(parseDescribe('Error: nothing').error, /no describe table/)
})

test('paced scenario: --rate paces every scenario; the full matrix has one, quick none', () => {
  const full = planScenarios(parseArgs([]))
  assert.deepEqual(full.filter((s) => s.rate).map((s) => [s.id, s.rate, s.records, s.warmupRecords]), [['1024b-acksall-none-rate10000', 10000, 300000, 30000]])
  assert.ok(!planScenarios(parseArgs(['--quick'])).some((s) => s.rate))
  const one = planScenarios(parseArgs(['--rate', '2000', '--rate-seconds', '5', '--value-sizes', '1024', '--acks', 'all', '--compression', 'none']))
  assert.deepEqual(one.map((s) => [s.id, s.rate, s.records]), [['1024b-acksall-none-rate2000', 2000, 10000]])
  assert.throws(() => parseArgs(['--rate', '10', '--transactional']), /not supported/)
  const byName = (n) => CLIENTS.find((c) => c.name === n)
  for (const n of ['kafkajs', 'platformatic', 'node-rdkafka', 'kcat']) assert.match(byName(n).supports(one[0], {}), /^not paced: /)
  assert.equal(byName('kafka-wire').supports(one[0]), null)
  const args = byName('java').command({ topic: 't', records: 10, warmupRecords: 1, payloadFile: 'p', bootstrap: 'b', acks: 'all', compression: 'none', batchSize: 1, lingerMs: 0, maxInFlight: 5, idempotence: false, bufferMemory: 1, rate: 2000 }, { kafkaLibs: '/libs' }).args
  assert.equal(args[args.indexOf('--throughput') + 1], '2000')
  const out = '9 steady state records sent, 2000.0 records/sec (2.05 MB/sec), 1.50 ms avg latency, 9.00 ms max latency, 1 ms 50th, 3 ms 95th, 5 ms 99th, 8 ms 99.9th.'
  const r = byName('java').parse(out, { records: 9, warmupRecords: 1, rate: 2000 }, 0, { kafkaLibs: '/nonexistent' })
  assert.deepEqual([r.latency.p50, r.latency.p99, r.latency.p999, r.paced.rate], [1, 5, 8, 2000])
  assert.equal(summarizeLatency(Array.from({ length: 1000 }, (_, i) => i + 1), 'x').p999, 999)
})

test('pacer: a record is due i / rate after start, lag noted, never early', async () => {
  const p = new Pacer(1000)
  p.start()
  assert.equal(p.wait(0), null)
  const t0 = performance.now()
  for (let due = p.wait(5); due !== null; due = p.wait(5)) await due
  assert.ok(performance.now() - t0 >= 4.9)
  assert.ok(p.maxLagMs >= 0 && p.maxLagMs < 50)
})

test('paced table and latency goals: vs the best other client that kept the rate', () => {
  const ps = { id: 'p', valueSize: 1024, acks: 'all', compression: 'none', rate: 1000 }
  const row = (client, language, p50, p99, sustained, cpu = 2) => ({
    scenario: ps, client, language, status: 'ok', recordsPerSec: sustained ? 999 : 500, mbPerSec: 1, cpuSecPerMillion: cpu, maxRssMb: 50, endOffsets: 10,
    latency: { p50, p99, p999: p99 + 1, max: p99 + 2, count: 10 }, paced: { rate: 1000, maxLagMs: 0.5, sustained, achievedRatio: sustained ? 0.999 : 0.5 },
  })
  const rs = [row('kafka-wire', 'js', 2, 8, true), row('franz-go', 'go', 4, 6, true, 1), row('java', 'java', 1, 2, false)]
  const md = markdownTable(rs, [ps])
  assert.match(md, /\| 1 KiB, acks=all, none, paced 1,000\/s \| franz-go \| 1,000 \| 999 \| 4\.0 \/ 6\.0 \/ 7\.0 \/ 8\.0 \| 10 \| 0\.50x \/ 1\.33x \| kept, max 0\.5 ms behind \|/)
  assert.match(md, /java .*\*\*NOT KEPT\*\* \(50% of the rate\)/)
  // java did not keep the rate, so franz-go is the best other for both percentiles
  assert.match(md, /ack p50 at the offered load vs best other \(franz-go, 4\.0 ms; kafka-wire 2\.0 ms\) 0\.50x \(≤ 1x\) met; ack p99 at the offered load vs best other \(franz-go, 6\.0 ms; kafka-wire 8\.0 ms\) 1\.33x \(≤ 1x\) MISSED/)
  assert.doesNotMatch(md, /records\/s vs fastest/)
  assert.match(md, /At a fixed offered load \(the paced scenarios\)/)
  assert.match(markdownTable([row('kafka-wire', 'js', 2, 8, false)], [ps]), /kept the offered 1,000 records\/s: no, 50% \(95-105%\) MISSED/)
  assert.match(markdownTable(results, [sc]), /not checked in this run \(no paced scenario/)
})

test('SASL_SSL: one scenario in the full matrix, --security for all or both ways; each client its login', () => {
  const full = planScenarios(parseArgs([]))
  assert.deepEqual(full.filter((s) => s.security === 'sasl_ssl').map((s) => [s.id, s.records]), [['1024b-acksall-none-saslssl', 300000]])
  assert.ok(full.some((s) => s.id === '1024b-acksall-none' && s.security === 'plaintext'))
  assert.ok(!planScenarios(parseArgs(['--quick'])).some((s) => s.security === 'sasl_ssl'))
  assert.ok(planScenarios(parseArgs(['--quick', '--security', 'sasl_ssl'])).every((s) => s.security === 'sasl_ssl'))
  const both = planScenarios(parseArgs(['--security', 'plaintext,sasl_ssl', '--value-sizes', '1024', '--acks', 'all', '--compression', 'none']))
  assert.deepEqual(both.map((s) => s.id), ['1024b-acksall-none', '1024b-acksall-none-saslssl'])
  assert.throws(() => parseArgs(['--security', 'ssl']), /not one of plaintext, sasl_ssl/)
  assert.throws(() => parseArgs(['--security', 'sasl_ssl', '--bootstrap', 'h:1']), /cannot be combined with --bootstrap/)
  const byName = (n) => CLIENTS.find((c) => c.name === n)
  assert.equal(byName('kcat').sasl, 'PLAIN')
  assert.equal(byName('node-rdkafka').sasl, 'PLAIN')
  assert.equal(byName('franz-go').sasl, undefined)
  const dir = mkdtempSync(join(tmpdir(), 'kw-sasl-'))
  try {
    const sec = { protocol: 'SASL_SSL', caPath: '/ca.pem', mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'bob-secret' }
    const s = { topic: 't', records: 10, warmupRecords: 0, payloadFile: join(dir, 'p'), bootstrap: 'b', acks: 'all', compression: 'none', batchSize: 1, lingerMs: 0, maxInFlight: 5, idempotence: false, bufferMemory: 1, security: sec }
    const args = byName('java').command(s, { kafkaLibs: '/libs' }).args
    const file = args[args.indexOf('--command-config') + 1]
    assert.ok(args.indexOf('--command-config') < args.indexOf('--command-property'))
    assert.match(readFileSync(file, 'utf8'), /^security\.protocol=SASL_SSL\nsasl\.mechanism=SCRAM-SHA-512\nsasl\.jaas\.config=org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule required username="bob" password="bob-secret";\nssl\.truststore\.type=PEM\nssl\.truststore\.location=\/ca\.pem\n$/)
    const kargs = byName('kcat').command({ ...s, kcatFile: 'k', security: { ...sec, mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } }).args
    for (const x of ['security.protocol=sasl_ssl', 'sasl.mechanisms=PLAIN', 'sasl.username=alice', 'ssl.ca.location=/ca.pem']) assert.ok(kargs.includes(x), x)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const plainSc = { id: '1024b-acksall-none', valueSize: 1024, acks: 'all', compression: 'none', security: 'plaintext' }
  const secSc = { ...plainSc, id: '1024b-acksall-none-saslssl', security: 'sasl_ssl' }
  const row = (scn, rps, cpu, sasl) => ({ scenario: scn, client: 'kafka-wire', language: 'js', status: 'ok', recordsPerSec: rps, mbPerSec: 1, cpuSecPerMillion: cpu, maxRssMb: 50, endOffsets: 10, latency: null, sasl })
  const md = markdownTable([row(plainSc, 100, 2, null), row(secSc, 80, 3, { mechanism: 'SCRAM-SHA-512', username: 'bob', why: null })], [plainSc, secSc])
  assert.match(md, /\| 1 KiB, acks=all, none, SASL_SSL \| kafka-wire \| SCRAM-SHA-512 \(bob\) \| 80 \| 100 \| 0\.80x \| 3\.00 \/ 2\.00 \| 1\.50x \|/)
})

test('memory peaks: a runner\'s V8 heap and Buffer peaks, kept after the memory is gone', async () => {
  const m = new MemoryPeaks()
  let big = Buffer.alloc(48 * 2 ** 20, 1)
  await new Promise((r) => setTimeout(r, 250))
  // garbage enough for young-generation collections, seen by the observer before summary()
  let keep = 0
  for (let i = 0; i < 2e6; i++) keep += { i }.i
  assert.ok(keep > 0)
  await new Promise((r) => setTimeout(r, 20))
  big = null
  const s = m.summary()
  assert.equal(big, null)
  assert.deepEqual(Object.keys(s), ['rssMiB', 'heapTotalMiB', 'heapUsedMiB', 'externalMiB', 'arrayBuffersMiB', 'gc'])
  assert.ok(s.arrayBuffersMiB >= 48, JSON.stringify(s))
  assert.ok(s.rssMiB >= s.arrayBuffersMiB && s.heapTotalMiB >= s.heapUsedMiB, JSON.stringify(s))
  assert.ok(s.gc.minor.count > 0 && s.gc.minor.ms >= 0, JSON.stringify(s.gc))
})
