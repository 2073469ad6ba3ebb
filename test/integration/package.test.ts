/**
 * The package as users get it: `npm pack` of this repository, installed from the tarball into an
 * empty temporary project (offline: kafka-wire has no runtime dependencies), then an ESM, a CommonJS
 * and type-checked TypeScript consumers (moduleResolution node16, nodenext, bundler) each send one
 * record to the real test broker; kcat (librdkafka, a consumer we did not write) reads them back.
 * Runs under whichever Node runs vitest, so CI covers every Node release it tests.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrapServers } from '../support/broker.js'
import { consumeWithKcat } from '../support/kcat.js'
import { ROOT, ensureBuilt } from './cli-helpers.js'

const run = promisify(execFile)
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const TOPIC = `package-${randomBytes(4).toString('hex')}`

let project = ''
let packDir = ''

/** Runs a command and returns stdout and stderr; a non-zero exit rejects with both in the message. */
async function sh(file: string, args: readonly string[], cwd: string, timeoutMs = 180_000): Promise<{ stdout: string; stderr: string }> {
  try {
    // Without FORCE_COLOR: Node 24 warns on stderr when it and NO_COLOR are both set.
    const { FORCE_COLOR: _forceColor, ...env } = process.env
    return await run(file, [...args], { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...env, NO_COLOR: '1' } })
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`)
  }
}

/** The body every consumer runs: send one keyed record, print its metadata as JSON, close. */
function sendBody(label: string): string {
  return `const producer = new Producer({ bootstrapServers: process.argv[2].split(','), clientId: 'package-${label}', lingerMs: 0 })
const md = await producer.send({ topic: process.argv[3], key: '${label}', value: 'from the ${label} consumer' })
await producer.close({ timeoutMs: 10000 })
console.log(JSON.stringify(md))`
}

/** A TypeScript consumer: real types (a wrong option is a compile error, so `any` would fail), then the send. */
function tsBody(label: string): string {
  return `import { KafkaWireError, Producer, type RecordMetadata } from 'kafka-wire'

export function neverCalled(): void {
  // @ts-expect-error acks is 0, 1, -1 or 'all'
  new Producer({ bootstrapServers: ['x:1'], acks: 2 })
  const err: KafkaWireError = new KafkaWireError('typed')
  void err
  // The value type follows from the serializer, with no explicit generics.
  const json = new Producer({ bootstrapServers: ['x:1'], valueSerializer: 'json' })
  void json.send({ topic: 't', value: { id: 1, tags: ['a'] } })
  // @ts-expect-error a function is not a JSON value
  void json.send({ topic: 't', value: () => 1 })
}

async function main(): Promise<RecordMetadata> {
  const producer = new Producer({ bootstrapServers: (process.argv[2] ?? '').split(','), clientId: 'package-${label}', lingerMs: 0 })
  const md: RecordMetadata = await producer.send({ topic: process.argv[3] ?? '', key: '${label}', value: 'from the ${label} consumer' })
  await producer.close({ timeoutMs: 10000 })
  return md
}
main().then((md) => console.log(JSON.stringify(md)), (err: unknown) => { console.error(err); process.exitCode = 1 })
`
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2))
}

/** A tsconfig for one moduleResolution, checking our .d.ts files too (skipLibCheck off). */
function tsconfig(resolution: 'node16' | 'nodenext' | 'bundler', outDir: string, files: string[]): unknown {
  return {
    compilerOptions: {
      target: 'ES2022',
      module: resolution === 'bundler' ? 'preserve' : resolution,
      moduleResolution: resolution,
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      outDir,
      ...(resolution === 'bundler' ? { noEmit: true } : {}),
    },
    files,
  }
}

beforeAll(async () => {
  await ensureBuilt()
  packDir = mkdtempSync(join(tmpdir(), 'kafka-wire-pack-'))
  await sh('npm', ['pack', '--silent', '--pack-destination', packDir], ROOT)
  const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'))
  expect(tarballs).toHaveLength(1)

  project = mkdtempSync(join(tmpdir(), 'kafka-wire-consumer-'))
  writeJson(join(project, 'package.json'), { name: 'consumer', version: '1.0.0', private: true, type: 'module' })
  // Offline from the tarball: no registry is needed, because kafka-wire has no runtime dependencies.
  await sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(packDir, tarballs[0] ?? '')], project)

  const kafka = new Kafka({ clientId: 'package-test-admin', brokers: bootstrapServers(), logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}, 300_000)

afterAll(() => {
  for (const dir of [project, packDir]) if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

/** Runs `node file bootstrap topic` in the consumer project; returns the metadata it printed and its stderr. */
async function runConsumer(file: string): Promise<{ md: { topic: string; partition: number; offset: number }; stderr: string }> {
  const { stdout, stderr } = await sh(process.execPath, [file, bootstrapServers().join(','), TOPIC], project, 120_000)
  const line = stdout.trim().split('\n').pop() ?? ''
  return { md: JSON.parse(line) as { topic: string; partition: number; offset: number }, stderr }
}

describe(`the packed tarball on Node ${process.version}`, () => {
  it('holds the build, the types and the CLI, and states engines and exports', async () => {
    const { stdout } = await sh(process.execPath, ['-e', "const p = require('kafka-wire/package.json'); console.log(JSON.stringify({ engines: p.engines, exports: p.exports, deps: p.dependencies ?? {} }))"], project)
    const pkg = JSON.parse(stdout) as { engines: { node: string }; exports: Record<string, unknown>; deps: Record<string, string> }
    expect(pkg.deps).toEqual({})
    expect(pkg.engines.node).toMatch(/^>=\d+\.\d+\.\d+$/)
    const installed = join(project, 'node_modules', 'kafka-wire', 'dist')
    expect(readdirSync(installed)).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'cli']))
  })

  it('an ESM consumer imports it and sends a record', async () => {
    writeFileSync(join(project, 'esm.mjs'), `import { Producer } from 'kafka-wire'\n${sendBody('esm')}\n`)
    const { md } = await runConsumer('esm.mjs')
    expect(md).toMatchObject({ topic: TOPIC, partition: 0 })
    expect(md.offset).toBeGreaterThanOrEqual(0)
  })

  it('a CommonJS consumer require()s it (require(esm)) without warnings and sends a record', async () => {
    writeFileSync(join(project, 'cjs.cjs'), `const { Producer, KafkaWireError } = require('kafka-wire')\nif (typeof KafkaWireError !== 'function') throw new Error('no KafkaWireError')\n;(async () => {\n${sendBody('cjs')}\n})().catch((err) => { console.error(err); process.exitCode = 1 })\n`)
    const { md, stderr } = await runConsumer('cjs.cjs')
    expect(md).toMatchObject({ topic: TOPIC, partition: 0 })
    expect(stderr).not.toMatch(/ExperimentalWarning|require\(\) of ES Module/)
  })

  it('TypeScript resolves the types with moduleResolution node16, nodenext and bundler', async () => {
    const projects: string[] = []
    for (const resolution of ['node16', 'nodenext', 'bundler'] as const) {
      const dir = join(project, `ts-${resolution}`)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'consumer.ts'), tsBody(`ts-${resolution}`))
      writeJson(join(dir, 'tsconfig.json'), tsconfig(resolution, join(dir, 'out'), ['consumer.ts']))
      projects.push(join(dir, 'tsconfig.json'))
    }
    // A CommonJS TypeScript file (.cts) importing the ESM package compiles to require() under nodenext.
    const cdir = join(project, 'ts-cts')
    mkdirSync(cdir, { recursive: true })
    writeFileSync(join(cdir, 'consumer.cts'), tsBody('ts-cts'))
    writeJson(join(cdir, 'tsconfig.json'), tsconfig('nodenext', join(cdir, 'out'), ['consumer.cts']))
    projects.push(join(cdir, 'tsconfig.json'))
    // One tsc process for the four projects (build mode): each is still checked with its own options.
    await sh(process.execPath, [TSC, '-b', ...projects], project)

    const esm = await runConsumer(join('ts-nodenext', 'out', 'consumer.js'))
    expect(esm.md).toMatchObject({ topic: TOPIC, partition: 0 })
    const node16 = await runConsumer(join('ts-node16', 'out', 'consumer.js'))
    expect(node16.md).toMatchObject({ topic: TOPIC, partition: 0 })
    const cts = await runConsumer(join('ts-cts', 'out', 'consumer.cjs'))
    expect(cts.md).toMatchObject({ topic: TOPIC, partition: 0 })
    expect(cts.stderr).not.toMatch(/ExperimentalWarning/)
  })

  it('a wrong value type is a compile error in a consumer (the types are not any)', async () => {
    const dir = join(project, 'ts-wrong')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'consumer.ts'), `import { Producer } from 'kafka-wire'\nexport const p = new Producer({ bootstrapServers: ['x:1'], lingerMs: 'soon' })\n`)
    writeJson(join(dir, 'tsconfig.json'), tsconfig('nodenext', join(dir, 'out'), ['consumer.ts']))
    const failed = await sh(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], project).then(
      () => '',
      (err: Error) => err.message,
    )
    // TS2769 (no overload matches) naming the option's type mismatch.
    expect(failed).toMatch(/consumer\.ts\(2,\d+\): error TS\d+[\s\S]*Type 'string' is not assignable to type 'number'/)
  })

  it('kcat reads back every consumer record', async () => {
    const records = await consumeWithKcat(bootstrapServers(), TOPIC)
    const keys = records.map((r) => r.key).sort()
    expect(keys).toEqual(['cjs', 'esm', 'ts-cts', 'ts-node16', 'ts-nodenext'])
    for (const r of records) expect(r.value).toBe(`from the ${r.key} consumer`)
  })
})
