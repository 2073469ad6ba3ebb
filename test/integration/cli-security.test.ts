/**
 * The CLI's `-X` security settings against one real secured broker (issue 13, CLI part), the CLI run
 * as a subprocess: produce over SASL_PLAINTEXT PLAIN (password from KAFKA_WIRE_SASL_PASSWORD) and
 * over SASL_SSL SCRAM-SHA-256 with the test CA, both read back by kcat (PLAIN on the SASL_PLAINTEXT
 * listener: Debian's kcat cannot log in with SCRAM to Kafka 4); `metadata` over the secured listener;
 * a wrong password exits 1 with one line naming SASL authentication; and no password appears in any
 * stdout/stderr, `--dump` included.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_KAFKA_VERSION, KafkaCluster } from '../../src/broker/index.js'
import { kcatSecurity, readWithKcat } from '../support/security.js'
import { cli, ensureBuilt, type CliResult } from './cli-helpers.js'

const VERSION = process.env.KAFKA_SECURITY_VERSION ?? DEFAULT_KAFKA_VERSION
/** The harness's default users (src/broker/security.ts) and one wrong password. */
const SECRETS = ['alice-secret', 'bob-secret', 'wrong-password-xyz']
/** Every CLI output of this file, for the final grep. */
const outputs: CliResult[] = []

let cluster: KafkaCluster

beforeAll(async () => {
  await ensureBuilt()
  cluster = await KafkaCluster.start({ kafkaVersion: VERSION, security: {}, heapMb: 640 })
}, 300_000)

afterAll(async () => {
  await cluster?.stop({ graceful: false })
})

async function run(args: string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await cli(args, options)
  outputs.push(r)
  return r
}

const plainX = (): string[] => ['-b', cluster.listenerServers('SASL_PLAINTEXT')[0] as string, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=PLAIN', '-X', 'sasl.username=alice']
const scramX = (): string[] => [
  '-b',
  cluster.listenerServers('SASL_SSL')[0] as string,
  '-X',
  'security.protocol=SASL_SSL',
  '-X',
  'sasl.mechanism=SCRAM-SHA-256',
  '-X',
  'sasl.username=bob',
  '-X',
  `ssl.ca.location=${cluster.pki.caPath}`,
]
const kcatPlain = () => kcatSecurity(cluster.pki, 'SASL_PLAINTEXT', { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' })

describe('kafka-wire -X security settings against a secured broker (subprocess)', () => {
  it('produce over SASL_PLAINTEXT PLAIN, password from KAFKA_WIRE_SASL_PASSWORD; kcat reads the records back', async () => {
    const topic = `cli-sec-plain-${randomBytes(4).toString('hex')}`
    const input = Array.from({ length: 50 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n'
    const r = await run(['produce', ...plainX(), '-t', topic, '--create', '-K', ':', '-H', 'src=cli'], { input, env: { KAFKA_WIRE_SASL_PASSWORD: 'alice-secret' } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^records: 50 acknowledged, 0 failed, 50 sent/m)
    const read = await readWithKcat(cluster.listenerServers('SASL_PLAINTEXT')[0] as string, topic, kcatPlain())
    expect(read.map((x) => `${x.key}:${x.value}:${x.headers}`).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `k${i}:v${i}:src=cli`).sort())
  }, 180_000)

  it('produce over SASL_SSL SCRAM-SHA-256 with -X ssl.ca.location (and --dump); kcat reads them back over PLAIN', async () => {
    const topic = `cli-sec-scram-${randomBytes(4).toString('hex')}`
    const r = await run(['produce', ...scramX(), '-t', topic, '--create', '--count', '200', '--size', '20'], { env: { KAFKA_WIRE_SASL_PASSWORD: 'bob-secret' } })
    expect(r.code).toBe(0)
    const d = await run(['produce', ...scramX(), '-t', topic, '--dump', '--dump-api', 'SaslAuthenticate'], { input: 'dumped\n', env: { KAFKA_WIRE_SASL_PASSWORD: 'bob-secret' } })
    expect(d.code).toBe(0)
    // The dump shows the SASL exchange (so the grep below looks at real SASL frames), secrets redacted.
    expect(d.stdout).toMatch(/SaslAuthenticate/)
    expect(d.stdout).toMatch(/bytes redacted/)
    const read = await readWithKcat(cluster.listenerServers('SASL_PLAINTEXT')[0] as string, topic, kcatPlain())
    expect(read.length).toBe(201)
    expect(read.filter((x) => x.value === 'dumped').length).toBe(1)
    expect(read.filter((x) => x.value.length === 20).length).toBe(200)
  }, 180_000)

  it('metadata (and api-versions) over the secured listeners, with and without --dump', async () => {
    const m = await run(['metadata', ...plainX(), '-X', 'sasl.password=alice-secret'])
    expect(m.code).toBe(0)
    expect(m.stdout).toMatch(/^cluster /)
    expect(m.stdout).toContain(String(cluster.listenerServers('SASL_PLAINTEXT')[0]?.split(':')[1]))
    const dm = await run(['dump', 'metadata', ...plainX()], { env: { KAFKA_WIRE_SASL_PASSWORD: 'alice-secret' } })
    expect(dm.code).toBe(0)
    expect(dm.stdout).toMatch(/SaslAuthenticate/)
    const av = await run(['api-versions', ...scramX(), '--used'], { env: { KAFKA_WIRE_SASL_PASSWORD: 'bob-secret' } })
    expect(av.code).toBe(0)
    expect(av.stdout).toMatch(/Produce/)
  }, 180_000)

  it('a wrong password exits 1 with one line naming SASL authentication, before the connect timeout', async () => {
    for (const args of [['metadata', ...plainX()], ['produce', ...plainX(), '-t', 'never-written', '--count', '1']]) {
      // The kill timer is far above the CLI's 10 s connect timeout: a hang shows as code null.
      const r = await run(args, { env: { KAFKA_WIRE_SASL_PASSWORD: 'wrong-password-xyz' }, timeoutMs: 120_000 })
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toMatch(/^kafka-wire: \S+: SASL PLAIN authentication failed \(SASL_AUTHENTICATION_FAILED, code 58\)/)
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    }
  }, 300_000)

  it('a mistyped security setting exits 2 naming the key, not the value', async () => {
    const r = await run(['metadata', ...plainX(), '-X', 'sasl.pasword=alice-secret'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/-X sasl\.pasword: unknown security setting/)
  })

  it('no password appears in any stdout or stderr of this file', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(8)
    for (const o of outputs) for (const s of SECRETS) {
      expect(o.stdout).not.toContain(s)
      expect(o.stderr).not.toContain(s)
    }
  })
})
