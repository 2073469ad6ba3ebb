/**
 * Soak of the issue-18 fuzzer outside CI: `npm run soak:malformed` runs at least 100,000
 * iterations (`MALFORMED_SOAK_ITERATIONS`) of test/support/malformed-fuzz.ts, `MALFORMED_SOAK_CONCURRENCY`
 * (default 16) at a time (100,000-partition Metadata responses at a tenth of their turns,
 * `MALFORMED_SOAK_MANY_PARTITIONS_WEIGHT`), against responses recorded from the real test broker, printing progress
 * every 1000 iterations and the totals (iterations, time, mutations by kind, violations, RSS).
 * Concurrent iterations share the process, so leftover handles are checked once at the end; the
 * per-iteration handle check is the CI test's (test/integration/malformed-responses.test.ts).
 * A violation names its seed and iteration: `MALFORMED_SOAK_SEED=1 MALFORMED_SOAK_FROM=722
 * MALFORMED_SOAK_ITERATIONS=723 MALFORMED_SOAK_CONCURRENCY=1` runs that iteration alone, and
 * `MALFORMED_SOAK_DEBUG=1` adds the producer's logs. The mutations follow from seed and iteration,
 * but bit positions land on the same fields only if the recording has the same layout: the topic
 * name holds the pid, so a run whose pid has another number of digits shifts them.
 */
import { expect, it } from 'vitest'
import { type Logger, Producer } from '../../src/index.js'
import { runFuzz, summarizeViolations } from '../support/malformed-fuzz.js'
import { recordFromBroker } from '../support/replay-broker.js'
import { bootstrapServers } from '../support/broker.js'

const ITERATIONS = Number(process.env.MALFORMED_SOAK_ITERATIONS ?? 100_000)
const CONCURRENCY = Number(process.env.MALFORMED_SOAK_CONCURRENCY ?? 16)
const SEED = Number(process.env.MALFORMED_SOAK_SEED ?? 1)
/** First iteration to run; iterations run are FROM..ITERATIONS-1. */
const FROM = Number(process.env.MALFORMED_SOAK_FROM ?? 0)
const DEBUG = process.env.MALFORMED_SOAK_DEBUG === '1'
const TOPIC = `malformed-soak-${process.pid}-${Date.now()}`
const MANY_PARTITIONS_WEIGHT = Number(process.env.MALFORMED_SOAK_MANY_PARTITIONS_WEIGHT ?? 0.1)
const MiB = 1024 * 1024

function logLine(level: string, message: string, fields?: Record<string, unknown>): void {
  const json = fields === undefined ? '' : ` ${JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : typeof v === 'bigint' ? v.toString() : v))}`
  process.stderr.write(`[producer] ${level} ${message}${json}\n`)
}
const debugLogger: Logger = {
  debug: (m, f) => logLine('debug', m, f),
  info: (m, f) => logLine('info', m, f),
  warn: (m, f) => logLine('warn', m, f),
  error: (m, f) => logLine('error', m, f),
}

it(`malformed responses: ${ITERATIONS - FROM} iterations, ${CONCURRENCY} at a time, seed ${SEED}`, async () => {
  const recording = await recordFromBroker(bootstrapServers()[0] as string, async (proxy) => {
    const producer = new Producer({ bootstrapServers: [proxy], clientId: 'malformed-recorder', acks: 'all', enableIdempotence: true, lingerMs: 0 })
    try {
      for (let i = 0; i < 3; i++) await producer.send({ topic: TOPIC, value: `recorded-${i}` })
    } finally {
      await producer.close()
    }
  })
  const started = Date.now()
  let reported = 0
  const report = await runFuzz({
    recording,
    topic: TOPIC,
    seed: SEED,
    from: FROM,
    iterations: ITERATIONS,
    ...(DEBUG ? { logger: debugLogger } : {}),
    concurrency: CONCURRENCY,
    warmup: 200,
    progressEvery: 1000,
    // ~1 s of CPU each (3 MB to decode): 1 in 10 of their turns, so the soak fits a shared machine.
    kindWeights: { 'metadata-many-partitions': MANY_PARTITIONS_WEIGHT },
    onProgress: (r) => {
      const fresh = r.violations.slice(reported)
      reported = r.violations.length
      if (fresh.length > 0) process.stderr.write(`${summarizeViolations(fresh, undefined, 2)}\n`)
      const secs = (Date.now() - started) / 1000
      process.stderr.write(
        `[soak] ${r.iterations} iterations, ${r.mutations} mutations, ${r.violations.length} violations, ${secs.toFixed(0)} s, ` +
          `${(r.iterations / secs).toFixed(1)}/s, rss ${(process.memoryUsage.rss() / MiB).toFixed(0)} MiB (start ${(r.rssStart / MiB).toFixed(0)}, max ${(r.rssMax / MiB).toFixed(0)})\n`,
      )
    },
  })
  const { violations, ...totals } = report
  process.stderr.write(`[soak] done: ${JSON.stringify({ ...totals, rssStartMiB: report.rssStart / MiB, rssEndMiB: report.rssEnd / MiB, rssMaxMiB: report.rssMax / MiB })}\n`)
  const summary = summarizeViolations(violations, undefined, 5)
  if (summary !== '') process.stderr.write(`[soak] violations:\n${summary}\n`)
  expect(report.iterations).toBe(ITERATIONS - FROM)
  expect(summary).toBe('')
})
