import { it } from 'vitest'
import { Producer } from '../../src/index.js'
import { runFuzz, summarizeViolations } from '../support/malformed-fuzz.js'
import { recordFromBroker } from '../support/replay-broker.js'
import { bootstrapServers } from '../support/broker.js'
const TOPIC = `dbg-${Date.now()}`
it('debug', async () => {
  const recording = await recordFromBroker(bootstrapServers()[0] as string, async (proxy) => {
    const producer = new Producer({ bootstrapServers: [proxy], clientId: 'rec', acks: 'all', lingerMs: 0 })
    for (let i = 0; i < 3; i++) await producer.send({ topic: TOPIC, value: `r-${i}` })
    await producer.close()
  })
  const [seed, iter] = (process.env.DBG ?? '2:13').split(':').map(Number) as [number, number]
  const t0 = Date.now()
  const log = (l: string) => (m: string, f?: Record<string, unknown>) => console.log(Date.now() - t0, l, m, JSON.stringify(f, (_k, v) => (v instanceof Error ? `${v.name}: ${v.message}` : typeof v === 'bigint' ? v.toString() : v)))
  const r = await runFuzz({ recording, topic: TOPIC, seed, from: iter, iterations: iter + 1, logger: { debug: log('D'), info: log('I'), warn: log('W'), error: log('E') } })
  console.log(summarizeViolations(r.violations), r)
}, 120000)
