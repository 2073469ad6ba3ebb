/**
 * The CLI's platform surface as a subprocess against the real broker: `--help` on every command,
 * the documented exit codes, `-X key=value` reaching the producer (seen in the Produce frames it
 * sends), and `produce --format json` (key, value, headers, partition) read back by kcat, a
 * consumer we did not write.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src/cli/main.js'
import { bootstrapServers } from '../support/broker.js'
import { cli, ensureBuilt } from './cli-helpers.js'

const run = promisify(execFile)

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'cli-options-admin', brokers: bootstrapServers(), logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/** Every record of `topic` as kcat prints it: partition, key, value, headers (`k=v,k=v`). */
async function kcatRead(topic: string): Promise<Array<{ partition: number; key: string; value: string; headers: string }>> {
  const { stdout } = await run('kcat', ['-C', '-b', bootstrapServers().join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true', '-f', '%p\t%k\t%s\t%h\n'], { timeout: 120_000 })
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [p, k, v, h] = l.split('\t')
      return { partition: Number(p), key: k ?? '', value: v ?? '', headers: h ?? '' }
    })
}

beforeAll(async () => {
  await ensureBuilt()
}, 300_000)

describe('kafka-wire --help and exit codes (subprocess)', () => {
  it.each(COMMANDS.map((c) => c.name))('%s --help prints its usage and the exit codes, exit 0', async (name) => {
    const r = await cli([name, '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^Usage: kafka-wire ${name}`))
    expect(r.stdout).toContain('Exit codes:')
  })

  it('top-level --help lists the exit codes; no command exits 2', async () => {
    const help = await cli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Exit codes:\n {2}0 {2}success\n {2}1 {2}failure at run time.*\n {2}2 {2}bad command line/)
    expect((await cli([])).code).toBe(2)
  })

  it('an unknown -X key exits 2 naming it, before any broker is touched', async () => {
    const r = await cli(['produce', '-b', '127.0.0.1:1', '-t', 'x', '-X', 'linger.msec=5'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^kafka-wire: -X linger\.msec: unknown producer option; known: .*linger\.ms.*\(see: kafka-wire produce --help\)\n$/)
  })

  it('a -X value out of range exits 2 with the Java name and the option', async () => {
    const r = await cli(['produce', '-b', '127.0.0.1:1', '-t', 'x', '-X', 'batch.size=-1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/-X batch\.size: invalid option batchSize: must be at least 0/)
  })

  it('security keys go to the security layer: an incomplete setting exits 2 naming what is missing, before any connection', async () => {
    const r = await cli(['produce', '-b', '127.0.0.1:1', '-t', 'x', '-X', 'security.protocol=SASL_SSL'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^kafka-wire: -X security\.protocol=SASL_SSL needs -X sasl\.mechanism .*\(see: kafka-wire produce --help\)\n$/)
  })
})

describe('kafka-wire produce against the real broker (subprocess)', () => {
  it('-X options reach the producer: compression.type and linger.ms show in the Produce frames', async () => {
    const topic = `cli-x-${randomBytes(4).toString('hex')}`
    await createTopic(topic, 1)
    const r = await cli(['produce', '-b', bootstrapServers().join(','), '-t', topic, '--count', '3', '--dump', '--dump-api', 'Produce', '--dump-only', 'requests', '-X', 'compression.type=gzip', '-X', 'linger.ms=50', '-X', 'acks=1'])
    expect(r.stderr).toMatch(/records: 3 acknowledged, 0 failed/)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/records\.batch\.attributes +0x0001 +gzip/)
    // acks=1 without enable.idempotence: no producer id in the batch, acks 1 on the wire.
    expect(r.stdout).toMatch(/\backs +1\b/)
    expect((await kcatRead(topic)).length).toBe(3)
  })

  it('-X transactional.id makes the run one transaction: the dump shows its coordinator requests, read_committed sees the records', async () => {
    const topic = `cli-txn-${randomBytes(4).toString('hex')}`
    await createTopic(topic, 1)
    const r = await cli(['produce', '-b', bootstrapServers().join(','), '-t', topic, '--count', '3', '--dump', '--dump-api', 'FindCoordinator', '--dump-api', 'InitProducerId', '--dump-api', 'EndTxn', '--dump-only', 'requests', '-X', `transactional.id=cli-${randomBytes(4).toString('hex')}`])
    expect(r.stderr).toMatch(/records: 3 acknowledged, 0 failed/)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/FindCoordinator/)
    expect(r.stdout).toMatch(/InitProducerId/)
    expect(r.stdout).toMatch(/EndTxn/)
    expect(r.stdout).toMatch(/committed +true/)
    const { stdout } = await run('kcat', ['-C', '-b', bootstrapServers().join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\n'], { timeout: 120_000 })
    expect(stdout.split('\n').filter((l) => l !== '').length).toBe(3)
  })

  it('--format json sends key, value, headers and partition; kcat reads them back', async () => {
    const topic = `cli-json-${randomBytes(4).toString('hex')}`
    await createTopic(topic, 3)
    const input = [
      JSON.stringify({ key: 'k1', value: 'plain', partition: 2 }),
      JSON.stringify({ key: 'k2', value: { total: 42 }, headers: { source: 'json' }, partition: 1 }),
      '',
      JSON.stringify({ value: 'no key', headers: [['h', 'a'], ['h', 'b']], partition: 0 }),
    ].join('\n')
    const r = await cli(['produce', '-b', bootstrapServers().join(','), '-t', topic, '--format', 'json', '-H', 'via=cli'], { input })
    expect(r.stderr).toMatch(/records: 3 acknowledged, 0 failed/)
    expect(r.code).toBe(0)
    const got = (await kcatRead(topic)).sort((a, b) => a.partition - b.partition)
    expect(got).toEqual([
      { partition: 0, key: '', value: 'no key', headers: 'via=cli,h=a,h=b' },
      { partition: 1, key: 'k2', value: '{"total":42}', headers: 'via=cli,source=json' },
      { partition: 2, key: 'k1', value: 'plain', headers: 'via=cli' },
    ])
  })

  it('a bad JSON line stops the run with exit 1 naming the line', async () => {
    const topic = `cli-json-bad-${randomBytes(4).toString('hex')}`
    await createTopic(topic, 1)
    const r = await cli(['produce', '-b', bootstrapServers().join(','), '-t', topic, '--format', 'json'], { input: '{"value":"ok"}\n{"value":"v","topci":"t"}\n' })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/--format json: line 2: unknown field "topci"/)
  })

  it('-K with --format json is a usage error (exit 2)', async () => {
    const r = await cli(['produce', '-b', '127.0.0.1:1', '-t', 'x', '--format', 'json', '-K', ':'])
    expect(r.code).toBe(2)
  })
})
