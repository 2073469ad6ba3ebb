/**
 * Issue 13 against a real secured broker (one node per file): every mechanism produces 10,000 keyed
 * records with headers idempotently, read back by an independent consumer with the same security
 * settings (kcat/librdkafka for SSL/mTLS, PLAIN and OAUTHBEARER; Kafka's Java console consumer for
 * SCRAM); every authentication failure is typed, prompt, writes nothing and is not retried; a
 * principal without WRITE gets TopicAuthorizationFailedError; and no secret appears in any log,
 * error or debug state. `KAFKA_SECURITY_VERSION` selects the Kafka version (default 4.4).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_KAFKA_VERSION, KafkaCluster } from '../../src/broker/index.js'
import {
  ClusterAuthorizationFailedError,
  Producer,
  SaslAuthenticationError,
  SslAuthenticationError,
  TopicAuthorizationFailedError,
  type ProducerOptions,
  type SaslOptions,
  type SslOptions,
} from '../../src/index.js'
import { apiByKey } from '../../src/cli/apis.js'
import { decodeFrame } from '../../src/cli/dump/frame.js'
import { renderFrame } from '../../src/cli/dump/render.js'
import { makeStyle } from '../../src/cli/io.js'
import { Connection } from '../../src/network/connection.js'
import { saslAuthenticator } from '../../src/network/sasl/authenticate.js'
import { tlsSocketFactory } from '../../src/network/tls.js'
import { captureError, capturedText, capturingLogger, countingProxy, kcatSecurity, readWithJavaConsumer, readWithKcat, unsecuredJws, type ConsumerSecurity, type ReadRecord } from '../support/security.js'

const VERSION = process.env.KAFKA_SECURITY_VERSION ?? DEFAULT_KAFKA_VERSION
const RECORDS = 10_000
/** Every secret used in this file, for the final grep. */
const SECRETS = new Set<string>(['alice-secret', 'bob-secret', 'wrong-password-xyz'])

let cluster: KafkaCluster

beforeAll(async () => {
  cluster = await KafkaCluster.start({ kafkaVersion: VERSION, security: {}, heapMb: 640 })
}, 300_000)

afterAll(async () => {
  await cluster?.stop({ graceful: false })
})

/** Kafka 4 moved AclCommand from core (Scala) to tools. */
function aclCommand(): string {
  return cluster.kafkaVersion.startsWith('3.') ? 'kafka.admin.AclCommand' : 'org.apache.kafka.tools.AclCommand'
}

function producer(servers: string, extra: Partial<ProducerOptions<string, string>>): Producer<string, string> {
  return new Producer<string, string>({ bootstrapServers: [servers], clientId: 'kw-security', enableIdempotence: true, lingerMs: 5, logger: capturingLogger(), ...extra })
}

/** Produces RECORDS keyed records with two headers each; returns what was sent. */
async function produceAll(p: Producer<string, string>, topic: string): Promise<ReadRecord[]> {
  const tag = randomBytes(4).toString('hex')
  const sent: ReadRecord[] = []
  const acks: Promise<unknown>[] = []
  for (let i = 0; i < RECORDS; i++) {
    const key = `k-${i % 500}`
    const value = `v-${i}-${tag}`
    acks.push(p.send({ topic, key, value, headers: { idx: String(i), src: 'kafka-wire' } }))
    sent.push({ key, value, headers: `idx=${i},src=kafka-wire` })
  }
  const results = await Promise.allSettled(acks)
  const failed = results.filter((r) => r.status === 'rejected')
  for (const f of failed.slice(0, 3)) captureError((f as PromiseRejectedResult).reason)
  expect(failed.length).toBe(0)
  return sent
}

function sortRecords(r: ReadRecord[]): ReadRecord[] {
  return [...r].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
}

interface Case {
  readonly name: string
  readonly listener: 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL_ONEWAY'
  readonly ssl?: (c: KafkaCluster) => SslOptions
  readonly sasl?: SaslOptions
  /** kcat settings, or Java console-consumer properties when `java` is set. */
  readonly consumer: (c: KafkaCluster) => ConsumerSecurity
  readonly java?: boolean
}

const tlsCa = (c: KafkaCluster): SslOptions => ({ ca: c.pki.caPem })

/**
 * Java console-consumer properties for a SCRAM login (Debian's kcat cannot: Kafka 4.x refuses
 * librdkafka 2.0.2's SCRAM nonce), over SASL_SSL trusting the test CA when `caPath` is given.
 */
function javaScram(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: string, password: string, caPath?: string): ConsumerSecurity {
  const login = {
    'sasl.mechanism': mechanism,
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
  }
  if (caPath === undefined) return { 'security.protocol': 'SASL_PLAINTEXT', ...login }
  return { 'security.protocol': 'SASL_SSL', ...login, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': caPath }
}
const oauthCalls = { n: 0 }
const oauth: SaslOptions = {
  mechanism: 'oauthbearer',
  oauthBearerProvider: async () => {
    oauthCalls.n++
    const value = unsecuredJws('alice', 3600)
    SECRETS.add(value)
    return { value, principal: 'alice', lifetimeMs: 3_600_000, extensions: { traceId: 'abc123' } }
  },
}
let passwordCalls = 0

const CASES: readonly Case[] = [
  { name: 'SSL with mTLS (client certificate)', listener: 'SSL', ssl: (c) => ({ ca: Buffer.from(c.pki.caPem), cert: c.pki.clientCertPem, key: c.pki.clientKeyPem }), consumer: (c) => kcatSecurity(c.pki, 'SSL') },
  { name: 'SASL_PLAINTEXT PLAIN', listener: 'SASL_PLAINTEXT', sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, consumer: (c) => kcatSecurity(c.pki, 'SASL_PLAINTEXT', { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' }) },
  {
    name: 'SASL_SSL PLAIN (async credential functions)',
    listener: 'SASL_SSL',
    ssl: tlsCa,
    sasl: {
      mechanism: 'plain',
      username: async () => 'bob',
      password: async () => {
        passwordCalls++
        return 'bob-secret'
      },
    },
    consumer: (c) => kcatSecurity(c.pki, 'SASL_SSL', { mechanism: 'PLAIN', username: 'bob', password: 'bob-secret' }),
  },
  {
    name: 'SASL_PLAINTEXT SCRAM-SHA-256',
    listener: 'SASL_PLAINTEXT',
    sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret' },
    java: true,
    consumer: () => javaScram('SCRAM-SHA-256', 'alice', 'alice-secret'),
  },
  {
    name: 'SASL_SSL SCRAM-SHA-512',
    listener: 'SASL_SSL',
    ssl: tlsCa,
    sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' },
    java: true,
    consumer: (c) => javaScram('SCRAM-SHA-512', 'bob', 'bob-secret', c.pki.caPath),
  },
  { name: 'SASL_SSL OAUTHBEARER (extensions)', listener: 'SASL_SSL', ssl: tlsCa, sasl: oauth, consumer: (c) => kcatSecurity(c.pki, 'SASL_SSL', { mechanism: 'OAUTHBEARER', oauthPrincipal: 'alice' }) },
  { name: 'SASL_PLAINTEXT OAUTHBEARER', listener: 'SASL_PLAINTEXT', sasl: oauth, consumer: (c) => kcatSecurity(c.pki, 'SASL_PLAINTEXT', { mechanism: 'OAUTHBEARER', oauthPrincipal: 'alice' }) },
  // Issue 13: one-way TLS (only the broker proves who it is), and each SCRAM hash over the other listener.
  { name: 'SSL one-way (CA only, no client certificate)', listener: 'SSL_ONEWAY', ssl: tlsCa, consumer: (c) => kcatSecurity(c.pki, 'SSL_ONEWAY') },
  {
    name: 'SASL_SSL SCRAM-SHA-256',
    listener: 'SASL_SSL',
    ssl: tlsCa,
    sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret' },
    java: true,
    consumer: (c) => javaScram('SCRAM-SHA-256', 'alice', 'alice-secret', c.pki.caPath),
  },
  {
    name: 'SASL_PLAINTEXT SCRAM-SHA-512',
    listener: 'SASL_PLAINTEXT',
    sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' },
    java: true,
    consumer: () => javaScram('SCRAM-SHA-512', 'bob', 'bob-secret'),
  },
]

describe(`secured Kafka ${VERSION}: 10,000 idempotent keyed records with headers per mechanism, read back independently`, () => {
  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const topic = `sec-${i}-${c.listener.toLowerCase()}`
      await cluster.createTopic(topic, { partitions: 3, replicationFactor: 1 })
      const servers = cluster.listenerServers(c.listener)[0] as string
      const p = producer(servers, { ...(c.ssl !== undefined ? { ssl: c.ssl(cluster) } : {}), ...(c.sasl !== undefined ? { sasl: c.sasl } : {}) })
      let sent: ReadRecord[]
      try {
        sent = await produceAll(p, topic)
        capturedText.push(JSON.stringify(p.debugState(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
        expect(p.metrics()['record-error-total']).toBe(0)
      } finally {
        await p.close()
      }
      const read = c.java === true ? await readWithJavaConsumer(cluster, servers, topic, RECORDS, c.consumer(cluster)) : await readWithKcat(servers, topic, c.consumer(cluster))
      expect(read.length).toBe(RECORDS)
      expect(sortRecords(read)).toEqual(sortRecords(sent))
    }, 300_000)
  })

  it('called the credential and token providers on every authentication', () => {
    // One bootstrap connection plus at least one leader connection each authenticated.
    expect(passwordCalls).toBeGreaterThanOrEqual(1)
    expect(oauthCalls.n).toBeGreaterThanOrEqual(2)
  })
})

interface FailureCase {
  readonly name: string
  readonly listener: 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'
  readonly options: (c: KafkaCluster) => Partial<ProducerOptions<string, string>>
  readonly type: typeof SaslAuthenticationError | typeof SslAuthenticationError
  /** Text the error message must contain (it names the cause). */
  readonly mentions: RegExp
}

const FAILURES: readonly FailureCase[] = [
  { name: 'wrong password (PLAIN)', listener: 'SASL_PLAINTEXT', options: () => ({ sasl: { mechanism: 'plain', username: 'alice', password: 'wrong-password-xyz' } }), type: SaslAuthenticationError, mentions: /PLAIN.*SASL_AUTHENTICATION_FAILED.*(Invalid username or password|Authentication failed)/ },
  { name: 'wrong password (SCRAM-SHA-512)', listener: 'SASL_SSL', options: (c) => ({ ssl: { ca: c.pki.caPem }, sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'wrong-password-xyz' } }), type: SaslAuthenticationError, mentions: /SCRAM-SHA-512.*SASL_AUTHENTICATION_FAILED.*(invalid credentials|Authentication failed)/i },
  { name: 'unknown user (SCRAM-SHA-256)', listener: 'SASL_PLAINTEXT', options: () => ({ sasl: { mechanism: 'scram-sha-256', username: 'mallory', password: 'wrong-password-xyz' } }), type: SaslAuthenticationError, mentions: /SCRAM-SHA-256.*SASL_AUTHENTICATION_FAILED.*(Authentication failed|credentials)/i },
  {
    name: 'expired token (OAUTHBEARER)',
    listener: 'SASL_SSL',
    options: (c) => ({
      ssl: { ca: c.pki.caPem },
      sasl: {
        mechanism: 'oauthbearer',
        oauthBearerProvider: () => {
          const value = unsecuredJws('alice', 60, Math.floor(Date.now() / 1000) - 3600)
          SECRETS.add(value)
          return { value }
        },
      },
    }),
    type: SaslAuthenticationError,
    mentions: /OAUTHBEARER.*SASL_AUTHENTICATION_FAILED.*invalid_token/,
  },
  { name: 'untrusted CA', listener: 'SASL_SSL', options: (c) => ({ ssl: { ca: c.pki.otherCaPem }, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } }), type: SslAuthenticationError, mentions: /TLS authentication failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/ },
  { name: 'wrong hostname', listener: 'SASL_SSL', options: (c) => ({ ssl: { ca: c.pki.caPem, servername: 'kafka.example.invalid' }, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } }), type: SslAuthenticationError, mentions: /ERR_TLS_CERT_ALTNAME_INVALID.*kafka\.example\.invalid/ },
  { name: 'missing client certificate (mTLS listener)', listener: 'SSL', options: (c) => ({ ssl: { ca: c.pki.caPem } }), type: SslAuthenticationError, mentions: /TLS authentication failed \(ERR_SSL_.*ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE)\)/ },
]

describe(`secured Kafka ${VERSION}: authentication failures are typed, prompt, write nothing and are not retried`, () => {
  FAILURES.forEach((f, i) => {
    it(f.name, async () => {
      const topic = `sec-fail-${i}`
      await cluster.createTopic(topic, { partitions: 1, replicationFactor: 1 })
      const port = Number((cluster.listenerServers(f.listener)[0] as string).split(':')[1])
      const proxy = await countingProxy(port)
      // maxBlockMs and deliveryTimeoutMs far above the connect timeout: a TimeoutError would mean retrying.
      const p = producer(proxy.address, { ...f.options(cluster), maxBlockMs: 120_000, deliveryTimeoutMs: 180_000, socketConnectionSetupTimeoutMs: 20_000 })
      try {
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, j) => p.send({ topic, key: `k${j}`, value: `v${j}` })))
        for (const r of results) {
          expect(r.status).toBe('rejected')
          const err = (r as PromiseRejectedResult).reason as Error
          captureError(err)
          expect(err).toBeInstanceOf(f.type)
          expect(err.message).toMatch(f.mentions)
        }
        console.info(`[auth-failure] ${f.name}: ${((results[0] as PromiseRejectedResult).reason as Error).message} (connections: ${proxy.connections})`)
        // Wait past several reconnect backoffs: no background retry loop may open connections.
        const after = proxy.connections
        await new Promise((r) => setTimeout(r, 3000))
        expect(proxy.connections).toBe(after)
        expect(after).toBeLessThanOrEqual(2)
      } finally {
        await p.close()
        await proxy.close()
      }
      const read = await readWithKcat(cluster.listenerServers('SASL_PLAINTEXT')[0] as string, topic, kcatSecurity(cluster.pki, 'SASL_PLAINTEXT', { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' }))
      expect(read.length).toBe(0)
    }, 180_000)
  })
})

describe(`secured Kafka ${VERSION}: ACLs (StandardAuthorizer)`, () => {
  it('a principal without WRITE gets TopicAuthorizationFailedError on every pending send, not retried', async () => {
    const topic = 'sec-acl-denied'
    await cluster.createTopic(topic, { partitions: 2, replicationFactor: 1 })
    const acl = (args: string[]): Promise<unknown> => cluster.runTool(aclCommand(), ['--bootstrap-server', cluster.bootstrapServers[0] as string, '--add', '--force', ...args])
    await acl(['--allow-principal', 'User:bob', '--operation', 'Describe', '--topic', topic])
    await acl(['--deny-principal', 'User:bob', '--operation', 'Write', '--topic', topic])
    const p = producer(cluster.listenerServers('SASL_PLAINTEXT')[0] as string, { sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' }, deliveryTimeoutMs: 180_000, maxBlockMs: 120_000 })
    try {
      // Denied ACLs reach the broker asynchronously through the metadata log: wait until they bite.
      for (let attempt = 0; ; attempt++) {
        const r = await p.send({ topic, key: 'probe', value: 'x' }).then(
          () => 'written',
          (e: unknown) => e,
        )
        if (r instanceof TopicAuthorizationFailedError) break
        expect(attempt).toBeLessThan(30)
        await new Promise((res) => setTimeout(res, 1000))
      }
      const before = p.metrics()['record-retry-total']
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, j) => p.send({ topic, key: `k${j}`, value: `v${j}` })))
      for (const r of results) {
        expect(r.status).toBe('rejected')
        const err = (r as PromiseRejectedResult).reason as Error
        captureError(err)
        expect(err).toBeInstanceOf(TopicAuthorizationFailedError)
        expect(err).toMatchObject({ code: 29, errorName: 'TOPIC_AUTHORIZATION_FAILED' })
      }
      expect(p.metrics()['record-retry-total']).toBe(before)
    } finally {
      await p.close()
    }
  }, 180_000)

  it('a principal without IDEMPOTENT_WRITE gets ClusterAuthorizationFailedError on every pending send (fatal, not retried)', async () => {
    const topic = 'sec-acl-cluster'
    await cluster.createTopic(topic, { partitions: 1, replicationFactor: 1 })
    const acl = (args: string[]): Promise<unknown> => cluster.runTool(aclCommand(), ['--bootstrap-server', cluster.bootstrapServers[0] as string, '--add', '--force', ...args])
    // InitProducerId is allowed with IDEMPOTENT_WRITE on the cluster or WRITE on any topic
    // (KafkaApis.handleInitProducerIdRequest): deny both for alice (the last tests to use her ran above).
    await acl(['--deny-principal', 'User:alice', '--operation', 'IdempotentWrite', '--cluster'])
    await acl(['--deny-principal', 'User:alice', '--operation', 'Write', '--topic', '*'])
    // An ACL on '*' now matches every topic, so DESCRIBE (metadata) needs its own allow.
    await acl(['--allow-principal', 'User:alice', '--operation', 'Describe', '--topic', topic])
    const make = (): Producer<string, string> => producer(cluster.listenerServers('SASL_PLAINTEXT')[0] as string, { sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, deliveryTimeoutMs: 180_000, maxBlockMs: 120_000 })
    for (let attempt = 0; ; attempt++) {
      const probe = make()
      const r = await probe.send({ topic, key: 'probe', value: 'x' }).then(
        () => 'written',
        (e: unknown) => e,
      )
      await probe.close()
      if (r instanceof ClusterAuthorizationFailedError) break
      expect(attempt, `last probe result: ${r instanceof Error ? `${r.name}: ${r.message}` : String(r)}`).toBeLessThan(30)
      await new Promise((res) => setTimeout(res, 1000))
    }
    const p = make()
    try {
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, j) => p.send({ topic, key: `k${j}`, value: `v${j}` })))
      for (const r of results) {
        expect(r.status).toBe('rejected')
        const err = (r as PromiseRejectedResult).reason as Error
        captureError(err)
        expect(err).toBeInstanceOf(ClusterAuthorizationFailedError)
        expect(err).toMatchObject({ code: 31, errorName: 'CLUSTER_AUTHORIZATION_FAILED' })
      }
      expect(p.metrics()['record-retry-total']).toBe(0)
    } finally {
      await p.close()
    }
  }, 180_000)
})

describe(`secured Kafka ${VERSION}: --dump of real SASL exchanges`, () => {
  it('renders SaslHandshake and SaslAuthenticate frames with every token redacted', async () => {
    const dumps: string[] = []
    for (const sasl of [
      { mechanism: 'plain', username: 'alice', password: 'alice-secret' },
      { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' },
      oauth,
    ] as const) {
      const [host, port] = (cluster.listenerServers('SASL_SSL')[0] as string).split(':') as [string, string]
      const conn = new Connection({
        host,
        port: Number(port),
        clientId: 'kw-dump',
        socketFactory: tlsSocketFactory({ ca: cluster.pki.caPem }),
        authenticator: saslAuthenticator(sasl),
        trace: (direction, frame, meta) => {
          dumps.push(renderFrame(decodeFrame({ direction, frame: Buffer.from(frame), broker: `${host}:${port}`, ...meta }, apiByKey), makeStyle(false)))
        },
      })
      await conn.connect()
      conn.close()
    }
    const text = dumps.join('')
    capturedText.push(text)
    expect(text).toContain('SaslHandshake v1 request')
    expect(text).toContain('SaslAuthenticate v2 request')
    expect(text.match(/bytes redacted/g)?.length ?? 0).toBeGreaterThanOrEqual(8)
    // Nor their bytes as hex (the dump prints up to 8 bytes per line): not even a 4-byte prefix.
    const lines = text.split('\n').map((l) => l.replace(/\s/g, ''))
    for (const secret of ['alice-secret', 'bob-secret']) {
      const prefix = Buffer.from(secret.slice(0, 4)).toString('hex')
      expect(lines.filter((l) => l.includes(prefix))).toEqual([])
    }
  }, 120_000)
})

describe('secrets', () => {
  it('no password or token appears in any captured log line, error or debug state', () => {
    expect(capturedText.length).toBeGreaterThan(10)
    const all = capturedText.join('\n')
    for (const s of SECRETS) expect(all.includes(s), `secret ${s.slice(0, 3)}… leaked`).toBe(false)
    // The token payload (base64url of {"alg":"none"}) must not appear either.
    expect(all.includes('eyJhbGciOiJub25lIn0')).toBe(false)
  })
})
