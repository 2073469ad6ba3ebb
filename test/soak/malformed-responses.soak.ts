/**
 * Soak of the issue-18 fuzzer outside CI: `npm run soak:malformed` runs at least 100,000
 * iterations (`MALFORMED_SOAK_ITERATIONS`) of test/support/malformed-fuzz.ts, `MALFORMED_SOAK_CONCURRENCY`
 * (default 16) at a time (100,000-partition Metadata responses at a tenth of their turns,
 * `MALFORMED_SOAK_MANY_PARTITIONS_WEIGHT`), against responses recorded from the real test broker, printing progress
 * every 1000 iterations and the totals (iterations, time, mutations by kind, violations, RSS).
 * Concurrent iterations share the process, so leftover handles are checked once at the end; the
 * per-iteration handle check is the CI test's (test/integration/malformed-responses.test.ts).
 */
import { expect, it } from 'vitest'
import { Producer } from '../../src/index.js'
import { runFuzz, summarizeViolations } from '../support/malformed-fuzz.js'
import { recordFromBroker } from '../support/replay-broker.js'
import { bootstrapServers } from '../support/broker.js'

const ITERATIONS = Number(process.env.MALFORMED_SOAK_ITERATIONS ?? 100_000)
const CONCURRENCY = Number(process.env.MALFORMED_SOAK_CONCURRENCY ?? 16)
const SEED = Number(process.env.MALFORMED_SOAK_SEED ?? 1)
const TOPIC = `malformed-soak-${process.pid}-${Date.now()}`
const MANY_PARTITIONS_WEIGHT = Number(process.env.MALFORMED_SOAK_MANY_PARTITIONS_WEIGHT ?? 0.1)
const MiB = 1024 * 1024

it(`malformed responses: ${ITERATIONS} iterations, ${CONCURRENCY} at a time, seed ${SEED}`, async () => {
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
    iterations: ITERATIONS,
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
  expect(report.iterations).toBe(ITERATIONS)
  expect(summary).toBe('')
})
