/**
 * Schema serializers against a real registry (Apicurio Registry through its Confluent-compatible
 * API) and a real broker: records of each format are produced by kafka-wire, read back by kafkajs
 * and decoded by @kafkajs/confluent-schema-registry (a registry client we did not write) to the
 * objects we sent. Also: BACKWARD compatibility refusing an incompatible change with the
 * registry's reason, and a registry that is down or silent failing every send with a typed error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApicurioRegistry } from '../../src/broker/registry.js'
import { freePorts } from '../../src/broker/process.js'
import { Producer } from '../../src/producer/producer.js'
import { SerializationError } from '../../src/producer/errors.js'
import {
  IncompatibleSchemaError,
  RegistryUnavailableError,
  SchemaRegistryClient,
  SchemaValidationError,
  SubjectNotFoundError,
  avroSerializer,
  decodeFrame,
  jsonSchemaSerializer,
  protobufSerializer,
  recordNameStrategy,
  type SchemaSerializer,
} from '../../src/schema-registry/index.js'
import { bootstrapServers } from '../support/broker.js'
import { cli, ensureBuilt } from './cli-helpers.js'
import { createTopics, readWithKafkajs, uniqueTopic } from '../support/schema-registry-helpers.js'

const USER_AVRO = {
  type: 'record',
  name: 'User',
  namespace: 'kw.test',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
}

const ORDER_JSON = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Order',
  type: 'object',
  properties: { orderId: { type: 'string' }, amount: { type: 'number' }, lines: { type: 'array', items: { type: 'integer' } } },
  required: ['orderId', 'amount'],
  additionalProperties: false,
}

// Single-word field names: kafkajs' decoder parses with protobufjs' camelCase, ours keeps the case.
const EVENT_PROTO = `syntax = "proto3";
package kw.test;

message Event {
  string name = 1;
  int32 count = 2;
  repeated string labels = 3;
  Inner inner = 4;
  message Inner {
    bool flag = 1;
  }
}

message Other {
  string note = 1;
}
`

let registry: ApicurioRegistry
let producer: Producer<Buffer | null, Buffer | null>
let brokers: string[]

beforeAll(async () => {
  registry = await ApicurioRegistry.start({ log: (l) => process.stderr.write(`[registry] ${l}\n`) })
  brokers = bootstrapServers()
  producer = new Producer({ bootstrapServers: brokers, clientId: 'kw-schema-registry-test', acks: 'all', lingerMs: 5 })
})

afterAll(async () => {
  await producer?.close()
  await registry?.stop()
})

/**
 * Sends `values` through a producer whose `valueSerializer` is the schema serializer (async on a
 * topic's first record): all sends are issued at once, so order across the registry wait is tested
 * too (the topic has one partition: offsets are send order).
 */
async function produceAll<T>(serializer: SchemaSerializer<T>, topic: string, values: readonly T[]): Promise<void> {
  const p = new Producer<Buffer | null, T>({ bootstrapServers: brokers, clientId: 'kw-schema-registry-test', acks: 'all', lingerMs: 5, valueSerializer: serializer })
  try {
    await Promise.all(values.map((value) => p.send({ topic, value })))
  } finally {
    await p.close()
  }
}

async function decodeWithKafkajsRegistry(topic: string, expected: number): Promise<unknown[]> {
  const theirs = new SchemaRegistry({ host: registry.url })
  const records = await readWithKafkajs(brokers, [topic], expected)
  records.sort((a, b) => Number(a.offset) - Number(b.offset))
  return Promise.all(records.map((r) => theirs.decode(r.value ?? Buffer.alloc(0))))
}

describe('schema serializers with a real registry and broker', () => {
  it('the harness runs Apicurio on 127.0.0.1 with its management interface local too', async () => {
    expect(registry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/)
    expect((await fetch(`${registry.url}/subjects`)).status).toBe(200)
    // Any HTTP answer proves the management interface listens there (not on 0.0.0.0:9000).
    const mgmt = await fetch(`http://127.0.0.1:${registry.managementPort}/`)
    await mgmt.arrayBuffer()
    expect(mgmt.status).toBeGreaterThanOrEqual(200)
  })

  it('Avro records decode with @kafkajs/confluent-schema-registry to the same objects', async () => {
    const topic = uniqueTopic('kw-sr-avro')
    await createTopics(brokers, [topic])
    const client = new SchemaRegistryClient({ url: registry.url })
    const serializer = avroSerializer<Record<string, unknown>>({ registry: client, schema: USER_AVRO })
    const values = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `user-${i}`, email: i % 2 === 0 ? null : `u${i}@example.com`, tags: ['a', `t${i}`] }))
    const before = client.requestCount
    await produceAll(serializer, topic, values)
    // One registration for twenty records, not one per record.
    expect(client.requestCount - before).toBe(1)
    const decoded = await decodeWithKafkajsRegistry(topic, values.length)
    expect(decoded).toEqual(values)
    const latest = await client.getLatestSchema(`${topic}-value`)
    const firstBytes = await serializer(values[0] ?? {}, topic)
    expect(firstBytes === null ? -1 : decodeFrame(firstBytes).schemaId).toBe(latest.id)
  })

  it('JSON Schema records decode with @kafkajs/confluent-schema-registry to the same objects; invalid values are refused before sending', async () => {
    const topic = uniqueTopic('kw-sr-json')
    await createTopics(brokers, [topic])
    const client = new SchemaRegistryClient({ url: registry.url })
    const serializer = jsonSchemaSerializer<Record<string, unknown>>({ registry: client, schema: ORDER_JSON })
    const values = Array.from({ length: 10 }, (_, i) => ({ orderId: `o-${i}`, amount: i * 1.5, lines: [i, i + 1] }))
    await produceAll(serializer, topic, values)
    expect(await decodeWithKafkajsRegistry(topic, values.length)).toEqual(values)
    expect(() => serializer({ orderId: 7, amount: 'x' }, topic)).toThrow(SchemaValidationError)
  })

  it('Protobuf records (message indexes framed) decode with @kafkajs/confluent-schema-registry to the same objects', async () => {
    const topic = uniqueTopic('kw-sr-proto')
    await createTopics(brokers, [topic])
    const client = new SchemaRegistryClient({ url: registry.url })
    const serializer = protobufSerializer<Record<string, unknown>>({ registry: client, schema: EVENT_PROTO })
    const values = Array.from({ length: 10 }, (_, i) => ({ name: `e-${i}`, count: i + 1, labels: ['x', `l${i}`], inner: { flag: i % 2 === 1 } }))
    await produceAll(serializer, topic, values)
    const first = await serializer(values[0] ?? {}, topic)
    expect(first === null ? undefined : decodeFrame(first, { protobuf: true }).messageIndexes).toEqual([0])
    // Plain JSON of the decoded messages (protobufjs' toJSON), to compare data, not classes.
    const decoded = (await decodeWithKafkajsRegistry(topic, values.length)).map((m) => JSON.parse(JSON.stringify(m)) as unknown)
    expect(decoded).toEqual(values)
  })

  it('Avro with a reference to another registered schema: the named type is fetched and used, kafkajs decodes the same', async () => {
    const topic = uniqueTopic('kw-sr-ref')
    await createTopics(brokers, [topic])
    const client = new SchemaRegistryClient({ url: registry.url })
    const address = { type: 'record', name: 'Address', namespace: 'kw.ref', fields: [{ name: 'city', type: 'string' }] }
    const addressSubject = `${topic}-address`
    await client.register(addressSubject, { schema: JSON.stringify(address), schemaType: 'AVRO' })
    const person = { type: 'record', name: 'Person', namespace: 'kw.ref', fields: [{ name: 'name', type: 'string' }, { name: 'home', type: 'kw.ref.Address' }] }
    const serializer = avroSerializer({ registry: client, schema: person, references: [{ name: 'kw.ref.Address', subject: addressSubject, version: 1 }] })
    const values = [{ name: 'ann', home: { city: 'Oslo' } }, { name: 'bo', home: { city: 'Lima' } }]
    await produceAll(serializer, topic, values)
    const latest = await client.getLatestSchema(`${topic}-value`)
    expect(latest.references).toEqual([{ name: 'kw.ref.Address', subject: addressSubject, version: 1 }])
    expect(await decodeWithKafkajsRegistry(topic, values.length)).toEqual(values)
  })

  it('JSON Schema and Protobuf with references: registered with them, encoded with the referenced types, decoded by kafkajs', async () => {
    const topic = uniqueTopic('kw-sr-refs')
    await createTopics(brokers, [topic, `${topic}-pb`])
    const client = new SchemaRegistryClient({ url: registry.url })
    const moneySubject = `${topic}-money`
    // $id = the reference name: kafkajs' decoder files references by $id, Confluent's by name.
    const money = { $schema: 'http://json-schema.org/draft-07/schema#', $id: 'money.json', type: 'object', properties: { amount: { type: 'number' }, currency: { type: 'string' } }, required: ['amount', 'currency'] }
    await client.register(moneySubject, { schema: JSON.stringify(money), schemaType: 'JSON' })
    const invoice = { $schema: 'http://json-schema.org/draft-07/schema#', title: 'Invoice', type: 'object', properties: { id: { type: 'string' }, total: { $ref: 'money.json' } }, required: ['id', 'total'] }
    const jsonSer = jsonSchemaSerializer({ registry: client, schema: invoice, references: [{ name: 'money.json', subject: moneySubject, version: 1 }] })
    const invoices = [{ id: 'i1', total: { amount: 9.5, currency: 'EUR' } }]
    await produceAll(jsonSer, topic, invoices)
    // The referenced schema is enforced: a total without currency is refused before sending.
    expect(() => jsonSer({ id: 'i2', total: { amount: 1 } }, topic)).toThrow(SchemaValidationError)
    expect(await decodeWithKafkajsRegistry(topic, invoices.length)).toEqual(invoices)

    const commonSubject = `${topic}-common-proto`
    await client.register(commonSubject, { schema: 'syntax = "proto3";\npackage kw.ref;\nmessage Money { int64 cents = 1; string currency = 2; }\n', schemaType: 'PROTOBUF' })
    const orderProto = 'syntax = "proto3";\npackage kw.ref;\nimport "kw/ref/common.proto";\nmessage Order { string id = 1; Money total = 2; }\n'
    const pbSer = protobufSerializer({ registry: client, schema: orderProto, references: [{ name: 'kw/ref/common.proto', subject: commonSubject, version: 1 }] })
    const orders = [{ id: 'o1', total: { cents: 1250, currency: 'USD' } }]
    const framed = await pbSer(orders[0] ?? {}, `${topic}-pb`)
    // Order is the file's first (only) message: indexes [0], the imported Money does not count.
    expect(framed === null ? undefined : decodeFrame(framed, { protobuf: true }).messageIndexes).toEqual([0])
    await producer.send({ topic: `${topic}-pb`, value: framed })
    const decoded = (await decodeWithKafkajsRegistry(`${topic}-pb`, 1)).map((m) => JSON.parse(JSON.stringify(m)) as unknown)
    // protobuf JSON maps int64 to a string
    expect(decoded).toEqual([{ id: 'o1', total: { cents: '1250', currency: 'USD' } }])
  })

  it('the record-name strategy registers under the fully qualified Avro name, shared across topics', async () => {
    const client = new SchemaRegistryClient({ url: registry.url })
    const schema = { type: 'record', name: `Shared${Date.now()}`, namespace: 'kw.rn', fields: [{ name: 'x', type: 'long' }] }
    const serializer = avroSerializer({ registry: client, schema, subjectNameStrategy: recordNameStrategy })
    const a = await serializer({ x: 1 }, uniqueTopic('kw-sr-rn-a'))
    const b = await serializer({ x: 2 }, uniqueTopic('kw-sr-rn-b'))
    expect(a === null || b === null ? 'null' : decodeFrame(a).schemaId === decodeFrame(b).schemaId).toBe(true)
    expect(await client.getSubjects()).toContain(`kw.rn.${schema.name}`)
  })

  it('under BACKWARD an incompatible change is refused with the registry reason; a compatible one is accepted', async () => {
    const topic = uniqueTopic('kw-sr-compat')
    const subject = `${topic}-value`
    const client = new SchemaRegistryClient({ url: registry.url })
    await expect(avroSerializer({ registry: client, schema: USER_AVRO })(USER_VALUE, topic)).resolves.toBeInstanceOf(Buffer)
    await client.setCompatibility('BACKWARD', subject)
    expect(await client.getCompatibility(subject)).toBe('BACKWARD')
    // A new required field without a default: new readers cannot read old data.
    const incompatible = { ...USER_AVRO, fields: [...USER_AVRO.fields, { name: 'age', type: 'int' }] }
    const bad = avroSerializer({ registry: client, schema: incompatible })
    const err = await Promise.resolve(bad({ ...USER_VALUE, age: 3 }, topic)).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(IncompatibleSchemaError)
    const incompat = err as IncompatibleSchemaError
    expect(incompat.status).toBe(409)
    expect(incompat.registryMessage).toMatch(/incompatible/i)
    expect(incompat.message).toContain(incompat.registryMessage)
    expect((await client.testCompatibility(subject, { schema: JSON.stringify(incompatible), schemaType: 'AVRO' })).isCompatible).toBe(false)
    // With a default the change is backward compatible.
    const compatible = { ...USER_AVRO, fields: [...USER_AVRO.fields, { name: 'age', type: 'int', default: 0 }] }
    await expect(avroSerializer({ registry: client, schema: compatible })({ ...USER_VALUE, age: 3 }, topic)).resolves.toBeInstanceOf(Buffer)
    expect(await client.getVersions(subject)).toHaveLength(2)
  })

  it('autoRegister off looks the schema up and fails with a typed error for an unknown subject; useLatestVersion encodes with the latest', async () => {
    const topic = uniqueTopic('kw-sr-lookup')
    const client = new SchemaRegistryClient({ url: registry.url })
    const lookupOnly = avroSerializer({ registry: client, schema: USER_AVRO, autoRegister: false })
    await expect(Promise.resolve(lookupOnly(USER_VALUE, topic))).rejects.toBeInstanceOf(SubjectNotFoundError)
    const id = await client.register(`${topic}-value`, { schema: JSON.stringify(USER_AVRO), schemaType: 'AVRO' })
    const framed = await lookupOnly(USER_VALUE, topic)
    expect(framed === null ? -1 : decodeFrame(framed).schemaId).toBe(id)
    const latest = avroSerializer({ registry: client, useLatestVersion: true })
    const viaLatest = await latest(USER_VALUE, topic)
    expect(viaLatest).toEqual(framed)
  })

  it('a registry that refuses connections fails every send with RegistryUnavailableError', async () => {
    const [port] = await freePorts(1)
    const client = new SchemaRegistryClient({ url: `http://127.0.0.1:${port}`, retries: 2, retryBackoffMs: 20, requestTimeoutMs: 2_000 })
    const serializer = avroSerializer({ registry: client, schema: USER_AVRO })
    const topic = uniqueTopic('kw-sr-down')
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => Promise.resolve(serializer(USER_VALUE, topic))))
    for (const r of results) {
      expect(r.status).toBe('rejected')
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(RegistryUnavailableError)
        expect((r.reason as RegistryUnavailableError).retriable).toBe(true)
        expect(String((r.reason as Error).message)).toMatch(/ECONNREFUSED/)
      }
    }
    // The failure is not cached: a later send asks again.
    const before = client.requestCount
    await expect(Promise.resolve(serializer(USER_VALUE, topic))).rejects.toBeInstanceOf(RegistryUnavailableError)
    expect(client.requestCount).toBeGreaterThan(before)
  })

  it('through the producer, a registry that is down fails every send with SerializationError caused by RegistryUnavailableError; later sends still work', async () => {
    const [port] = await freePorts(1)
    const client = new SchemaRegistryClient({ url: `http://127.0.0.1:${port}`, retries: 1, retryBackoffMs: 20, requestTimeoutMs: 2_000 })
    const topic = uniqueTopic('kw-sr-down-producer')
    await createTopics(brokers, [topic])
    const p = new Producer<string | null, Record<string, unknown> | null>({ bootstrapServers: brokers, clientId: 'kw-sr-down', keySerializer: 'string', valueSerializer: avroSerializer({ registry: client, schema: USER_AVRO }) })
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => p.send({ topic, key: `k${i}`, value: USER_VALUE })))
      for (const r of results) {
        expect(r.status).toBe('rejected')
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(SerializationError)
          expect((r.reason as SerializationError).part).toBe('value')
          expect((r.reason as Error).cause).toBeInstanceOf(RegistryUnavailableError)
        }
      }
      // The producer itself is fine: a record whose value needs no registry goes through.
      await expect(p.send({ topic, key: 'tombstone', value: null })).resolves.toMatchObject({ topic, partition: 0 })
    } finally {
      await p.close()
    }
  })

  it('a registry that accepts connections but never answers fails each send after the request timeout, not a hang', async () => {
    const sockets: Socket[] = []
    const silent: Server = createServer((s) => sockets.push(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()))
    const address = silent.address()
    const port = address !== null && typeof address === 'object' ? address.port : 0
    try {
      const client = new SchemaRegistryClient({ url: `http://127.0.0.1:${port}`, retries: 1, retryBackoffMs: 10, requestTimeoutMs: 500 })
      const serializer = jsonSchemaSerializer({ registry: client, schema: ORDER_JSON })
      const results = await Promise.allSettled([1, 2, 3].map((i) => Promise.resolve(serializer({ orderId: `o${i}`, amount: i }, uniqueTopic('kw-sr-silent')))))
      for (const r of results) {
        expect(r.status).toBe('rejected')
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(RegistryUnavailableError)
          expect(String((r.reason as Error).message)).toMatch(/no answer within 500 ms.*after 2 attempts/)
        }
      }
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it('the CLI produces JSON lines as Avro given a schema file (kafka-wire produce --value-avro-schema)', async () => {
    await ensureBuilt()
    const topic = uniqueTopic('kw-sr-cli')
    await createTopics(brokers, [topic])
    const dir = mkdtempSync(join(tmpdir(), 'kw-sr-cli-'))
    const schemaFile = join(dir, 'user.avsc')
    writeFileSync(schemaFile, JSON.stringify(USER_AVRO))
    const values = [
      { id: 1, name: 'ann', email: null, tags: ['a'] },
      { id: 2, name: 'bob', email: 'bob@example.com', tags: [] },
      { id: 3, name: 'cy', email: null, tags: ['x', 'y'] },
    ]
    const input = values.map((v) => `k${v.id}\t${JSON.stringify(v)}`).join('\n') + '\n'
    const res = await cli(['produce', '-b', brokers.join(','), '-t', topic, '-K', '\t', '--value-avro-schema', schemaFile, '--schema-registry', registry.url], { input })
    expect(res.stderr).toMatch(/3 (records )?acknowledged|acked 3|3 records/)
    expect(res.code).toBe(0)
    expect(await decodeWithKafkajsRegistry(topic, values.length)).toEqual(values)
    // A line that is not JSON, or not the schema, stops with its line number and exit code != 0.
    const bad = await cli(['produce', '-b', brokers.join(','), '-t', topic, '--value-avro-schema', schemaFile, '--schema-registry', registry.url], { input: `${JSON.stringify(values[0])}\n{"id":"two"}\n` })
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/input line 2: value does not match the schema/)
    const usage = await cli(['produce', '-b', brokers.join(','), '-t', topic, '--value-avro-schema', schemaFile], { input: '' })
    expect(usage.code).not.toBe(0)
    expect(usage.stderr).toMatch(/needs --schema-registry/)
  })

  it('the real registry stopped: topics resolved before keep their cached id, a new topic fails with a typed error', async () => {
    const client = new SchemaRegistryClient({ url: registry.url, retries: 1, retryBackoffMs: 10, requestTimeoutMs: 2_000 })
    const serializer = avroSerializer({ registry: client, schema: USER_AVRO })
    const known = uniqueTopic('kw-sr-known')
    const framed = await serializer(USER_VALUE, known)
    await registry.stop()
    // Cached: encoded synchronously, no request.
    expect(serializer(USER_VALUE, known)).toEqual(framed)
    await expect(Promise.resolve(serializer(USER_VALUE, uniqueTopic('kw-sr-after-stop')))).rejects.toBeInstanceOf(RegistryUnavailableError)
  })
})

const USER_VALUE = { id: 1, name: 'one', email: null, tags: [] as string[] }
