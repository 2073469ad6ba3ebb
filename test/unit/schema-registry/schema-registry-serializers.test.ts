import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/producer/errors.js'
import { SchemaRegistryClient } from '../../../src/schema-registry/client.js'
import { InvalidSchemaError, MissingPeerDependencyError, SchemaValidationError } from '../../../src/schema-registry/errors.js'
import type { HttpExchange } from '../../../src/schema-registry/http.js'
import { loadPeer } from '../../../src/schema-registry/peer.js'
import { avroSerializer } from '../../../src/schema-registry/avro.js'
import { jsonSchemaSerializer } from '../../../src/schema-registry/json-schema.js'
import { protobufSerializer } from '../../../src/schema-registry/protobuf.js'
import { recordNameStrategy, topicNameStrategy, topicRecordNameStrategy } from '../../../src/schema-registry/subject-strategy.js'

/** A tiny in-memory registry: POST /subjects/{s}/versions hands out ids per distinct schema. */
function fakeRegistry(): { client: SchemaRegistryClient; subjects: Map<string, string[]>; requests: string[] } {
  const subjects = new Map<string, string[]>()
  const ids = new Map<string, number>()
  const requests: string[] = []
  const exchange: HttpExchange = async (method, url, _headers, body) => {
    requests.push(`${method} ${url.pathname}`)
    const m = /^\/subjects\/([^/]+)\/versions$/.exec(url.pathname)
    if (method === 'POST' && m !== null && body !== undefined) {
      const subject = decodeURIComponent(m[1] ?? '')
      const schema = JSON.stringify(JSON.parse(body))
      let id = ids.get(schema)
      if (id === undefined) ids.set(schema, (id = ids.size + 100))
      subjects.set(subject, [...(subjects.get(subject) ?? []), schema])
      return { status: 200, body: JSON.stringify({ id }), retryAfter: null }
    }
    const v = /^\/subjects\/([^/]+)\/versions\/(\d+)$/.exec(url.pathname)
    if (method === 'GET' && v !== null) {
      const subject = decodeURIComponent(v[1] ?? '')
      const version = Number(v[2])
      const stored = subjects.get(subject)?.[version - 1]
      if (stored !== undefined) {
        const parsed = JSON.parse(stored) as { schema: string; schemaType?: string }
        return { status: 200, body: JSON.stringify({ subject, version, id: ids.get(stored), schema: parsed.schema, schemaType: parsed.schemaType }), retryAfter: null }
      }
    }
    return { status: 404, body: JSON.stringify({ error_code: 40401, message: 'not found' }), retryAfter: null }
  }
  return { client: new SchemaRegistryClient({ url: 'http://fake', exchange }), subjects, requests }
}

const USER = { type: 'record', name: 'User', namespace: 'ex', fields: [{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }] }

describe('schema serializers (in-memory registry)', () => {
  it('Avro: magic, id, then the Avro binary (zigzag int, length-prefixed string); sync once resolved', async () => {
    const { client, subjects, requests } = fakeRegistry()
    const ser = avroSerializer({ registry: client, schema: USER })
    const first = ser({ id: 1, name: 'ab' }, 'users')
    expect(first).toBeInstanceOf(Promise)
    // id 1 -> zigzag 2; "ab" -> length 2 (zigzag 4) then the bytes
    expect([...((await first) ?? [])]).toEqual([0, 0, 0, 0, 100, 0x02, 0x04, 0x61, 0x62])
    const second = ser({ id: -1, name: '' }, 'users')
    expect(Buffer.isBuffer(second)).toBe(true)
    expect([...(second as Buffer)]).toEqual([0, 0, 0, 0, 100, 0x01, 0x00])
    expect([...subjects.keys()]).toEqual(['users-value'])
    expect(requests).toHaveLength(1)
    expect(ser(null, 'users')).toBeNull()
    expect(ser(undefined, 'users')).toBeNull()
  })

  it('Avro: keys go to <topic>-key; invalid values name the offending field', async () => {
    const { client, subjects } = fakeRegistry()
    const ser = avroSerializer({ registry: client, schema: USER, isKey: true })
    await ser({ id: 1, name: 'x' }, 't')
    expect([...subjects.keys()]).toEqual(['t-key'])
    const err = (() => {
      try {
        ser({ id: 'one', name: 'x' }, 't')
        return null
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(SchemaValidationError)
    expect((err as SchemaValidationError).paths).toEqual(['id'])
    expect((err as SchemaValidationError).subject).toBe('t-key')
  })

  it('concurrent first sends of a topic share one registration', async () => {
    const { client, requests } = fakeRegistry()
    const ser = avroSerializer({ registry: client, schema: USER })
    const out = await Promise.all(Array.from({ length: 50 }, (_, i) => ser({ id: i, name: 'n' }, 'burst')))
    expect(out.every((b) => b !== null && b.readInt32BE(1) === 100)).toBe(true)
    expect(requests).toHaveLength(1)
  })

  it('a bad Avro schema is an InvalidSchemaError, retried (not cached) on the next record', async () => {
    const { client, requests } = fakeRegistry()
    const ser = avroSerializer({ registry: client, schema: { type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] } })
    await expect(Promise.resolve(ser({ a: 1 }, 't'))).rejects.toBeInstanceOf(InvalidSchemaError)
    await expect(Promise.resolve(ser({ a: 1 }, 't'))).rejects.toBeInstanceOf(InvalidSchemaError)
    expect(requests).toHaveLength(0)
  })

  it('JSON Schema: validates with ajv and writes the UTF-8 JSON after the header', async () => {
    const { client } = fakeRegistry()
    const schema = { title: 'Order', type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string' } }, required: ['n'] }
    const ser = jsonSchemaSerializer({ registry: client, schema })
    const out = await ser({ n: 3, s: 'é' }, 'orders')
    expect(out?.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 100]))
    expect(out?.subarray(5).toString('utf8')).toBe('{"n":3,"s":"é"}')
    expect(() => ser({ s: 1 }, 'orders')).toThrow(SchemaValidationError)
    try {
      ser({ s: 1 }, 'orders')
    } catch (e) {
      expect((e as SchemaValidationError).paths.join(' ')).toMatch(/\/s must be string/)
      expect((e as SchemaValidationError).paths.join(' ')).toMatch(/must have required property 'n'/)
    }
    const loose = jsonSchemaSerializer({ registry: client, schema, validate: false })
    expect((await loose({ s: 1 }, 'orders'))?.subarray(5).toString()).toBe('{"s":1}')
  })

  it('JSON Schema draft 2020-12 loads its own Ajv entry point', async () => {
    const { client } = fakeRegistry()
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'integer' }], items: false }
    const ser = jsonSchemaSerializer({ registry: client, schema })
    expect((await ser([1], 't'))?.subarray(5).toString()).toBe('[1]')
    expect(() => ser([1, 2], 't')).toThrow(SchemaValidationError)
  })

  const PROTO = `syntax = "proto3";
package ex.v1;
enum Color { RED = 0; GREEN = 1; }
message A { string name = 1; message B { int32 x = 1; message C { bool f = 1; } } }
message D { Color color = 1; }
`

  it('Protobuf: message indexes follow the declaration order of messages (enums not counted)', async () => {
    const { client, subjects } = fakeRegistry()
    const a = await protobufSerializer({ registry: client, schema: PROTO })({ name: 'a' }, 't')
    // [0] is the single byte 0; field 1 (len-delimited) "a" = 0a 01 61
    expect([...(a ?? [])]).toEqual([0, 0, 0, 0, 100, 0x00, 0x0a, 0x01, 0x61])
    const d = await protobufSerializer({ registry: client, schema: PROTO, messageName: 'D' })({ color: 'GREEN' }, 't2')
    expect([...(d ?? [])]).toEqual([0, 0, 0, 0, 100, 0x02, 0x02, 0x08, 0x01])
    const c = await protobufSerializer({ registry: client, schema: PROTO, messageName: 'ex.v1.A.B.C', subjectNameStrategy: topicRecordNameStrategy })({ f: true }, 't3')
    // indexes [0, 0, 0]: count 3 -> 6, then 0 0 0
    expect([...(c ?? [])]).toEqual([0, 0, 0, 0, 100, 0x06, 0, 0, 0, 0x08, 0x01])
    expect(subjects.has('t3-ex.v1.A.B.C')).toBe(true)
  })

  it('Protobuf: wrong field types and unknown messages are typed errors', async () => {
    const { client } = fakeRegistry()
    const ser = protobufSerializer({ registry: client, schema: PROTO, messageName: 'A.B' })
    await ser({ x: 1 }, 't')
    expect(() => ser({ x: 'not a number' }, 't')).toThrow(SchemaValidationError)
    expect(() => ser(42, 't')).toThrow(SchemaValidationError)
    await expect(Promise.resolve(protobufSerializer({ registry: client, schema: PROTO, messageName: 'Nope' })({}, 't'))).rejects.toBeInstanceOf(ConfigError)
    await expect(Promise.resolve(protobufSerializer({ registry: client, schema: 'syntax = "proto3"; message {' })({}, 't'))).rejects.toBeInstanceOf(InvalidSchemaError)
  })

  it('references: a JSON Schema $ref resolves by reference name (no $id needed), Protobuf imports resolve, indexes ignore imported messages', async () => {
    const { client } = fakeRegistry()
    await client.register('money', { schema: JSON.stringify({ type: 'object', properties: { c: { type: 'string' } }, required: ['c'] }), schemaType: 'JSON' })
    const ser = jsonSchemaSerializer({ registry: client, schema: { type: 'object', properties: { m: { $ref: 'money.json' } } }, references: [{ name: 'money.json', subject: 'money', version: 1 }] })
    expect((await ser({ m: { c: 'x' } }, 't'))?.subarray(5).toString()).toBe('{"m":{"c":"x"}}')
    expect(() => ser({ m: {} }, 't')).toThrow(SchemaValidationError)
    await client.register('common', { schema: 'syntax = "proto3"; package p; message First { int32 a = 1; } message Second { int32 b = 1; }', schemaType: 'PROTOBUF' })
    const pb = protobufSerializer({ registry: client, schema: 'syntax = "proto3"; package p; import "common.proto"; message Mine { Second s = 1; }', references: [{ name: 'common.proto', subject: 'common', version: 1 }] })
    // Mine is index 0 of its own file; s = field 1 (len 2) holding b = 1 (08 01)
    expect([...((await pb({ s: { b: 1 } }, 't')) ?? [])].slice(5)).toEqual([0x00, 0x0a, 0x02, 0x08, 0x01])
    const missing = jsonSchemaSerializer({ registry: client, schema: { $ref: 'x.json' }, references: [{ name: 'x.json', subject: 'nope', version: 1 }] })
    await expect(Promise.resolve(missing({}, 't'))).rejects.toThrow(/not found/)
  })

  it('Protobuf: well-known imports (google/protobuf/timestamp.proto) need no reference', async () => {
    const { client } = fakeRegistry()
    const ser = protobufSerializer({ registry: client, schema: 'syntax = "proto3"; import "google/protobuf/timestamp.proto"; message E { google.protobuf.Timestamp at = 1; }' })
    // at = field 1 (len 2) holding seconds = 5 (08 05)
    expect([...((await ser({ at: { seconds: 5 } }, 't')) ?? [])].slice(5)).toEqual([0x00, 0x0a, 0x02, 0x08, 0x05])
  })

  it('useLatestVersion follows a new latest version once latestCacheTtlMs has passed', async () => {
    let latest = { subject: 't-value', id: 1, version: 1, schema: '"int"' }
    const requests: string[] = []
    const exchange: HttpExchange = async (method, url) => {
      requests.push(`${method} ${url.pathname}`)
      return { status: 200, body: JSON.stringify(latest), retryAfter: null }
    }
    const client = new SchemaRegistryClient({ url: 'http://fake', exchange, latestCacheTtlMs: 0 })
    const ser = avroSerializer<number>({ registry: client, useLatestVersion: true })
    expect([...((await ser(1, 't')) ?? [])]).toEqual([0, 0, 0, 0, 1, 0x02])
    latest = { subject: 't-value', id: 2, version: 2, schema: '"long"' }
    await new Promise((r) => setTimeout(r, 5))
    expect([...((await ser(1, 't')) ?? [])]).toEqual([0, 0, 0, 0, 2, 0x02])
    expect(requests).toEqual(['GET /subjects/t-value/versions/latest', 'GET /subjects/t-value/versions/latest'])
    // A latest schema of another format is refused.
    latest = { subject: 'j-value', id: 3, version: 1, schema: '{}', schemaType: 'JSON' } as typeof latest
    await expect(Promise.resolve(ser(1, 'j'))).rejects.toThrow(/is JSON, not AVRO/)
  })

  it('subject name strategies', () => {
    expect(topicNameStrategy('t', false, 'x.Y')).toBe('t-value')
    expect(topicNameStrategy('t', true, undefined)).toBe('t-key')
    expect(recordNameStrategy('t', false, 'x.Y')).toBe('x.Y')
    expect(topicRecordNameStrategy('t', true, 'x.Y')).toBe('t-x.Y')
    expect(() => recordNameStrategy('t', false, undefined)).toThrow(ConfigError)
  })

  it('a serializer without a schema or registry is a ConfigError at creation', () => {
    const { client } = fakeRegistry()
    expect(() => avroSerializer({ registry: client })).toThrow(/needs a schema/)
    expect(() => avroSerializer({ schema: USER } as never)).toThrow(/registry/)
  })

  it('a missing optional peer is a MissingPeerDependencyError naming the package', async () => {
    const err = await loadPeer('kafka-wire-no-such-package', 'the test feature').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MissingPeerDependencyError)
    expect((err as MissingPeerDependencyError).packageName).toBe('kafka-wire-no-such-package')
    expect((err as Error).message).toContain('npm install kafka-wire-no-such-package')
  })
})
