/**
 * `kafka-wire broker start|status|stop` and the embedded default: a command without -b starts the
 * local broker (detached, so it outlives the CLI) and says so. State goes to a temp folder via
 * --state-dir / KAFKA_WIRE_STATE_DIR; the jars stay in the shared .kafka/dist cache.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../src/broker/index.js'
import { isAlive, portAccepts } from '../../src/broker/process.js'
import { cli as runCli, ensureBuilt } from './cli-helpers.js'

describe('kafka-wire broker (local background broker)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kw-cli-broker-'))
  const env = { KAFKA_WIRE_STATE_DIR: stateDir }

  const cli = (args: string[], extraEnv: Record<string, string>) => runCli(args, { env: extraEnv, timeoutMs: 240_000 })

  beforeAll(ensureBuilt)

  afterAll(async () => {
    // Whatever happened above, leave no JVM behind.
    await KafkaCluster.attach(stateDir)?.stop({ graceful: false })
    rmSync(stateDir, { recursive: true, force: true })
  })

  it('without Java, broker start fails with one line and an install hint', async () => {
    const r = await cli(['broker', 'start'], { ...env, JAVA_HOME: '/nonexistent-java-home' })
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(2)
    expect(r.stderr).toMatch(/^starting Apache Kafka .* in the background/)
    expect(r.stderr).toMatch(/\nkafka-wire: Java 17\+ is needed .*apt-get install -y openjdk-17-jre-headless\n$/)
  })

  it('a command without -b starts the broker detached and says so; status, start, stop manage it', async () => {
    const before = await cli(['broker', 'status'], env)
    expect(before.code).toBe(3)
    expect(before.stdout).toContain('not started')

    const md = await cli(['metadata'], env)
    expect(md.stderr).toContain(`the local broker is not running: starting Apache Kafka`)
    expect(md.stderr).toContain(stateDir)
    expect(md.code).toBe(0)
    expect(md.stdout).toMatch(/^1\* +127\.0\.0\.1 +\d+/m)

    // The CLI process has exited; the JVM it started must still serve.
    const cluster = KafkaCluster.attach(stateDir)
    expect(cluster).toBeDefined()
    const node = cluster?.nodes[0]
    expect(node !== undefined && isAlive(node.pid)).toBe(true)
    expect(await portAccepts(node?.port ?? 0, 2000)).toBe(true)

    const status = await cli(['broker', 'status'], env)
    expect(status.code).toBe(0)
    expect(status.stdout).toContain('local broker: running')
    expect(status.stdout).toContain(`bootstrap: 127.0.0.1:${node?.port}`)

    const again = await cli(['broker', 'start'], env)
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('already running')
    expect(again.stdout.trim()).toBe(`127.0.0.1:${node?.port}`)

    const stop = await cli(['broker', 'stop'], env)
    expect(stop.code).toBe(0)
    expect(stop.stderr).toContain('stopped')
    expect(isAlive(node?.pid ?? 0)).toBe(false)

    const after = await cli(['broker', 'status'], env)
    expect(after.code).toBe(3)
    expect(after.stdout).toContain('local broker: stopped')
  }, 300_000)
})
