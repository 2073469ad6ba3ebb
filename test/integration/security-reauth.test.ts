/**
 * KIP-368 re-authentication against a real broker with `connections.max.reauth.ms=5000`: a 60 s
 * idempotent stream over SASL_SSL/OAUTHBEARER and SASL_PLAINTEXT/SCRAM-SHA-512 at once, with at
 * least 5 re-authentications per connection, 0 failed and 0 lost records, the token / password
 * provider called at every (re-)authentication, and the broker's own listener metrics (JMX
 * `successful-reauthentication-total` up, `expired-connections-killed-count` unchanged) proving
 * that the sessions were renewed rather than cut. `KAFKA_SECURITY_VERSION` selects the version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_KAFKA_VERSION, KafkaCluster } from '../../src/broker/index.js'
import { Producer, type SaslOptions, type SslOptions } from '../../src/index.js'
import { capturedText, capturingLogger, kcatSecurity, readWithKcat, unsecuredJws } from '../support/security.js'

const VERSION = process.env.KAFKA_SECURITY_VERSION ?? DEFAULT_KAFKA_VERSION
const REAUTH_MS = 5000
const STREAM_MS = 60_000
const ATTRS = ['successful-reauthentication-total', 'expired-connections-killed-count'] as const

let cluster: KafkaCluster
beforeAll(async () => {
  cluster = await KafkaCluster.start({ kafkaVersion: VERSION, security: { reauthMs: REAUTH_MS, authorizer: false }, jmx: true, heapMb: 640 })
}, 300_000)
afterAll(async () => {
  await cluster?.stop({ graceful: false })
})

async function listenerMetrics(listener: string): Promise<Record<string, number>> {
  return cluster.jmxSum(`kafka.server:type=socket-server-metrics,listener=${listener},networkProcessor=*`, ATTRS)
}

interface Stream {
  readonly name: string
  readonly listener: 'SASL_SSL' | 'SASL_PLAINTEXT'
  readonly ssl?: SslOptions
  readonly sasl: SaslOptions
  readonly calls: () => number
}

describe(`KIP-368 re-authentication on Kafka ${VERSION} (connections.max.reauth.ms=${REAUTH_MS})`, () => {
  it(`keeps a ${STREAM_MS / 1000} s stream going with >= 5 re-authentications per connection, nothing failed or lost`, async () => {
    let tokenCalls = 0
    let passwordCalls = 0
    const streams: Stream[] = [
      {
        name: 'oauth',
        listener: 'SASL_SSL',
        ssl: { ca: cluster.pki.caPem },
        sasl: {
          mechanism: 'oauthbearer',
          oauthBearerProvider: () => {
            tokenCalls++
            return { value: unsecuredJws('alice', 3600) }
          },
        },
        calls: () => tokenCalls,
      },
      {
        name: 'scram',
        listener: 'SASL_PLAINTEXT',
        sasl: {
          mechanism: 'scram-sha-512',
          username: 'bob',
          password: async () => {
            passwordCalls++
            return 'bob-secret'
          },
        },
        calls: () => passwordCalls,
      },
    ]
    for (const s of streams) await cluster.createTopic(`reauth-${s.name}`, { partitions: 2, replicationFactor: 1 })
    const before = { SASL_SSL: await listenerMetrics('SASL_SSL'), SASL_PLAINTEXT: await listenerMetrics('SASL_PLAINTEXT') }
    const firstLog = capturedText.length
    const results = await Promise.all(
      streams.map(async (s) => {
        const p = new Producer<string, string>({
          bootstrapServers: cluster.listenerServers(s.listener),
          clientId: `kw-reauth-${s.name}`,
          enableIdempotence: true,
          logger: capturingLogger(),
          ...(s.ssl !== undefined ? { ssl: s.ssl } : {}),
          sasl: s.sasl,
        })
        const sent: string[] = []
        let failed = 0
        const end = Date.now() + STREAM_MS
        try {
          for (let i = 0; Date.now() < end; ) {
            const burst: Promise<unknown>[] = []
            for (let j = 0; j < 20; j++, i++) {
              const value = `${s.name}-${i}`
              sent.push(value)
              burst.push(p.send({ topic: `reauth-${s.name}`, key: `k${i % 64}`, value, headers: { n: String(i) } }).catch(() => failed++))
            }
            await Promise.all(burst)
            await new Promise((r) => setTimeout(r, 20))
          }
        } finally {
          await p.close()
        }
        return { s, sent, failed }
      }),
    )
    const after = { SASL_SSL: await listenerMetrics('SASL_SSL'), SASL_PLAINTEXT: await listenerMetrics('SASL_PLAINTEXT') }
    // Client side: every "SASL authenticated" debug line, by stream (client id is not logged; the
    // listener port tells them apart) and by connection (broker label).
    const events = capturedText.slice(firstLog).filter((l) => l.startsWith('debug SASL authenticated'))
    for (const { s, sent, failed } of results) {
      expect(failed, `${s.name}: failed sends`).toBe(0)
      const port = (cluster.listenerServers(s.listener)[0] as string).split(':')[1] as string
      const mine = events.filter((l) => l.includes(`:${port}`))
      const reauths = new Map<string, number>()
      for (const l of mine) {
        const broker = /broker: '([^']+)'/.exec(l)?.[1] ?? '?'
        if (l.includes('reauthentication: true')) reauths.set(broker, (reauths.get(broker) ?? 0) + 1)
      }
      // The leader connection carried the stream for 60 s; the bootstrap one may have idled out.
      expect(Math.max(0, ...reauths.values()), `${s.name}: re-authentications per connection ${JSON.stringify([...reauths])}`).toBeGreaterThanOrEqual(5)
      // The provider runs at every authentication, first and re-authentications alike.
      expect(s.calls()).toBe(mine.length)
      const total = [...reauths.values()].reduce((a, b) => a + b, 0)
      const b = before[s.listener]
      const a = after[s.listener]
      // Figures for the report (not assertions).
      console.info(`[reauth] ${s.name} ${s.listener}: ${sent.length} records, re-auths per connection ${JSON.stringify([...reauths])}, provider calls ${s.calls()}, broker ${JSON.stringify(b)} -> ${JSON.stringify(a)}`)
      expect((a['successful-reauthentication-total'] ?? 0) - (b['successful-reauthentication-total'] ?? 0)).toBeGreaterThanOrEqual(total)
      expect(a['expired-connections-killed-count']).toBe(b['expired-connections-killed-count'])
      const read = await readWithKcat(cluster.listenerServers('SASL_PLAINTEXT')[0] as string, `reauth-${s.name}`, kcatSecurity(cluster.pki, 'SASL_PLAINTEXT', { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' }))
      expect(read.length).toBe(sent.length)
      expect(new Set(read.map((r) => r.value))).toEqual(new Set(sent))
    }
  }, 300_000)
})
