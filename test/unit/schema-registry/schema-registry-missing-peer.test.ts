import { describe, expect, it, vi } from 'vitest'
import { SchemaRegistryClient } from '../../../src/schema-registry/client.js'
import { MissingPeerDependencyError } from '../../../src/schema-registry/errors.js'
import { avroSerializer } from '../../../src/schema-registry/avro.js'
import { jsonSchemaSerializer } from '../../../src/schema-registry/json-schema.js'
import { protobufSerializer } from '../../../src/schema-registry/protobuf.js'

// As if the optional peers were not installed: importing them fails.
vi.mock('avsc', () => {
  throw new Error("Cannot find package 'avsc'")
})
vi.mock('ajv', () => {
  throw new Error("Cannot find package 'ajv'")
})
vi.mock('protobufjs', () => {
  throw new Error("Cannot find package 'protobufjs'")
})

describe('serializers without their optional peer', () => {
  const registry = new SchemaRegistryClient({ url: 'http://unused', exchange: () => Promise.reject(new Error('no request expected')) })

  it.each([
    ['avsc', () => avroSerializer({ registry, schema: '"int"' })(1, 't')],
    ['ajv', () => jsonSchemaSerializer({ registry, schema: { type: 'integer' } })(1, 't')],
    ['protobufjs', () => protobufSerializer({ registry, schema: 'syntax = "proto3"; message M { int32 a = 1; }' })({ a: 1 }, 't')],
  ])('%s missing: MissingPeerDependencyError naming it, before any registry request', async (pkg, send) => {
    const err = await Promise.resolve(send()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MissingPeerDependencyError)
    expect((err as MissingPeerDependencyError).packageName).toBe(pkg)
    expect((err as Error).message).toContain(`npm install ${pkg}`)
  })

  it('JSON Schema without validation needs no ajv', async () => {
    const ok = new SchemaRegistryClient({ url: 'http://unused', exchange: async () => ({ status: 200, body: '{"id":4}', retryAfter: null }) })
    const out = await jsonSchemaSerializer({ registry: ok, schema: { type: 'integer' }, validate: false })(1, 't')
    expect(out?.toString('hex')).toBe('000000000431')
  })
})
