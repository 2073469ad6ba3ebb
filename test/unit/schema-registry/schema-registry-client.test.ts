import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/producer/errors.js'
import { SchemaRegistryClient } from '../../../src/schema-registry/client.js'
import {
  IncompatibleSchemaError,
  InvalidSchemaError,
  RegistryAuthError,
  RegistryUnavailableError,
  SchemaNotFoundError,
  SchemaRegistryError,
  SubjectNotFoundError,
  VersionNotFoundError,
} from '../../../src/schema-registry/errors.js'
import { backoffMs, registryError, type HttpAnswer, type HttpExchange } from '../../../src/schema-registry/http.js'

interface Seen {
  method: string
  url: string
  headers: Record<string, string>
  body: string | undefined
}

/** A scripted registry: answers are taken in order; every request is recorded. */
function scripted(answers: Array<HttpAnswer | Error>): { exchange: HttpExchange; seen: Seen[] } {
  const seen: Seen[] = []
  const exchange: HttpExchange = async (method, url, headers, body) => {
    seen.push({ method, url: url.href, headers, body })
    const next = answers.shift()
    if (next === undefined) throw new Error('scripted registry: no answer left')
    if (next instanceof Error) throw next
    return next
  }
  return { exchange, seen }
}

const ok = (body: unknown): HttpAnswer => ({ status: 200, body: JSON.stringify(body), retryAfter: null })
const fail = (status: number, code?: number, message = 'm', retryAfter: string | null = null): HttpAnswer => ({
  status,
  body: code === undefined ? 'oops' : JSON.stringify({ error_code: code, message }),
  retryAfter,
})
const AVRO = { schema: '"string"', schemaType: 'AVRO' as const }
const fast = { retryBackoffMs: 1, retryBackoffMaxMs: 2 }

describe('SchemaRegistryClient', () => {
  it('registers with the Confluent content type, omitting schemaType for AVRO, and caches the id', async () => {
    const { exchange, seen } = scripted([ok({ id: 12 })])
    const c = new SchemaRegistryClient({ url: 'http://reg:8081/apis/ccompat/v7', exchange })
    const [a, b] = await Promise.all([c.register('t-value', AVRO), c.register('t-value', AVRO)])
    expect(a).toBe(12)
    expect(b).toBe(12)
    expect(await c.register('t-value', AVRO)).toBe(12)
    expect(seen).toHaveLength(1)
    expect(seen[0]?.method).toBe('POST')
    expect(seen[0]?.url).toBe('http://reg:8081/apis/ccompat/v7/subjects/t-value/versions')
    expect(seen[0]?.headers['content-type']).toBe('application/vnd.schemaregistry.v1+json')
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ schema: '"string"' })
    // The schema is known by id without asking.
    expect(await c.getSchemaById(12)).toEqual(AVRO)
    expect(seen).toHaveLength(1)
  })

  it('sends schemaType and references for other formats and encodes subject names', async () => {
    const { exchange, seen } = scripted([ok({ id: 3 })])
    const c = new SchemaRegistryClient({ url: 'http://reg', exchange })
    await c.register('a/b c', { schema: '{}', schemaType: 'JSON', references: [{ name: 'x', subject: 's', version: 1 }] })
    expect(seen[0]?.url).toBe('http://reg/subjects/a%2Fb%20c/versions')
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ schema: '{}', schemaType: 'JSON', references: [{ name: 'x', subject: 's', version: 1 }] })
  })

  it('passes normalize as the query parameter of register and lookup', async () => {
    const { exchange, seen } = scripted([ok({ id: 1 }), ok({ subject: 's', id: 1, version: 1, schema: '"string"' })])
    const c = new SchemaRegistryClient({ url: 'http://reg', exchange })
    await c.register('s', AVRO, true)
    await c.lookup('s', AVRO, true)
    expect(seen.map((r) => r.url)).toEqual(['http://reg/subjects/s/versions?normalize=true', 'http://reg/subjects/s?normalize=true'])
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ schema: '"string"' })
  })

  it('maps registry error codes to typed errors carrying status, code and the registry message', () => {
    expect(registryError('GET', '/x', 404, '{"error_code":40401,"message":"Subject x not found"}')).toBeInstanceOf(SubjectNotFoundError)
    expect(registryError('GET', '/x', 404, '{"error_code":40402}')).toBeInstanceOf(VersionNotFoundError)
    expect(registryError('GET', '/x', 404, '{"error_code":40403}')).toBeInstanceOf(SchemaNotFoundError)
    expect(registryError('GET', '/x', 422, '{"error_code":42201}')).toBeInstanceOf(InvalidSchemaError)
    expect(registryError('GET', '/x', 401, 'no')).toBeInstanceOf(RegistryAuthError)
    expect(registryError('GET', '/x', 503, 'busy')).toBeInstanceOf(RegistryUnavailableError)
    const e = registryError('POST', '/subjects/s/versions', 409, '{"error_code":409,"message":"Schema being registered is incompatible"}')
    expect(e).toBeInstanceOf(IncompatibleSchemaError)
    expect(e.status).toBe(409)
    expect(e.errorCode).toBe(409)
    expect(e.registryMessage).toBe('Schema being registered is incompatible')
    expect(e.message).toContain('incompatible')
    expect(e.retriable).toBe(false)
  })

  it('retries 5xx, 429 and network errors with backoff, then succeeds', async () => {
    const { exchange, seen } = scripted([fail(500, 50001), new TypeError('fetch failed'), fail(429, undefined, 'm', '0'), ok({ id: 5 })])
    const c = new SchemaRegistryClient({ url: 'http://reg', exchange, retries: 3, ...fast })
    expect(await c.register('s', AVRO)).toBe(5)
    expect(seen).toHaveLength(4)
  })

  it('gives RegistryUnavailableError after the last retry, and does not cache the failure', async () => {
    const { exchange, seen } = scripted([fail(503, 50003), fail(503, 50003), fail(503, 50003), ok({ id: 9 })])
    const c = new SchemaRegistryClient({ url: 'http://reg', exchange, retries: 2, ...fast })
    const err = await c.register('s', AVRO).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryUnavailableError)
    expect((err as RegistryUnavailableError).retriable).toBe(true)
    expect((err as Error).message).toMatch(/after 3 attempts/)
    expect(seen).toHaveLength(3)
    expect(await c.register('s', AVRO)).toBe(9)
  })

  it('does not retry 4xx answers', async () => {
    const { exchange, seen } = scripted([fail(404, 40401, 'Subject s not found'), ok({ id: 1 })])
    const c = new SchemaRegistryClient({ url: 'http://reg', exchange, retries: 3, ...fast })
    await expect(c.getLatestSchema('s')).rejects.toBeInstanceOf(SubjectNotFoundError)
    expect(seen).toHaveLength(1)
  })

  it('checks answers instead of trusting them', async () => {
    const { exchange } = scripted([ok({ id: 'seven' }), ok({ id: -1 }), { status: 200, body: 'not json', retryAfter: null }, ok({ schema: 1 })])
    const c = new SchemaRegistryClient({ url: 'http://reg', exchange, retries: 0 })
    await expect(c.register('a', AVRO)).rejects.toThrow(/no valid "id"/)
    await expect(c.register('b', AVRO)).rejects.toThrow(/no valid "id"/)
    await expect(c.register('c', AVRO)).rejects.toThrow(/not JSON/)
    await expect(c.getSchemaById(4)).rejects.toBeInstanceOf(SchemaRegistryError)
  })

  it('sends basic auth from options or from the URL, never leaving credentials in the URL or in errors', async () => {
    const { exchange, seen } = scripted([ok({ id: 1 }), fail(500, undefined), ok({ id: 2 })])
    const c = new SchemaRegistryClient({ url: 'http://reg', exchange, auth: { username: 'u', password: 'p@ss' } })
    await c.register('a', AVRO)
    expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('u:p@ss').toString('base64')}`)
    const inUrl = new SchemaRegistryClient({ url: 'http://alice:s3cret@reg/', exchange, retries: 0 })
    expect(inUrl.url).toBe('http://reg/')
    const err = await inUrl.register('b', AVRO).catch((e: unknown) => e)
    expect(String((err as Error).message)).not.toContain('s3cret')
    expect(seen[1]?.url).toBe('http://reg/subjects/b/versions')
    expect(seen[1]?.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`)
    const down = new SchemaRegistryClient({ url: 'http://alice:s3cret@127.0.0.1:1/', retries: 0, requestTimeoutMs: 2000 })
    const netErr = await down.getSubjects().catch((e: unknown) => e)
    expect(netErr).toBeInstanceOf(RegistryUnavailableError)
    expect(String((netErr as Error).message)).not.toContain('s3cret')
    expect(String((netErr as Error).message)).not.toContain('alice')
  })

  it('calls a bearer token provider per request', async () => {
    const { exchange, seen } = scripted([ok(['a']), ok(['a'])])
    let n = 0
    const c = new SchemaRegistryClient({ url: 'https://reg', exchange, auth: { bearerToken: async () => `tok${++n}` } })
    await c.getSubjects()
    await c.getSubjects()
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer tok1', 'Bearer tok2'])
  })

  it('caches the latest version for latestCacheTtlMs', async () => {
    const v = { subject: 's', id: 1, version: 1, schema: '"int"' }
    const { exchange, seen } = scripted([ok(v), ok({ ...v, id: 2, version: 2 })])
    const c = new SchemaRegistryClient({ url: 'http://reg', exchange, latestCacheTtlMs: 0 })
    expect((await c.getLatestSchema('s')).id).toBe(1)
    await new Promise((r) => setTimeout(r, 5))
    expect((await c.getLatestSchema('s')).id).toBe(2)
    expect(seen).toHaveLength(2)
  })

  it('refuses bad options with ConfigError', () => {
    expect(() => new SchemaRegistryClient({ url: '' })).toThrow(ConfigError)
    expect(() => new SchemaRegistryClient({ url: 'ftp://x' })).toThrow(/http: or https:/)
    expect(() => new SchemaRegistryClient({ url: 'http://x', tls: { rejectUnauthorized: false } })).toThrow(/https/)
    expect(() => new SchemaRegistryClient({ url: 'http://x', requestTimeoutMs: 0 })).toThrow(/timeout/)
    expect(() => new SchemaRegistryClient({ url: 'http://x', retries: -1 })).toThrow(ConfigError)
    expect(() => new SchemaRegistryClient({ url: 'http://x', auth: { username: 'u' } as never })).toThrow(/auth/)
  })

  it('backs off exponentially with full jitter, capped, honouring Retry-After', () => {
    const policy = { requestTimeoutMs: 1, retries: 5, retryBackoffMs: 100, retryBackoffMaxMs: 1000 }
    expect(backoffMs(1, policy, null, () => 0.999)).toBe(99)
    expect(backoffMs(3, policy, null, () => 0.999)).toBe(399)
    expect(backoffMs(10, policy, null, () => 0.999)).toBe(999)
    expect(backoffMs(1, policy, '0.5', () => 0)).toBe(500)
    expect(backoffMs(1, policy, '60', () => 0)).toBe(1000)
  })
})

describe('registry answers are bounded', () => {
  it.each([
    ['with content-length', true],
    ['chunked', false],
  ])('an answer above 16 MiB (%s) is refused without buffering it, and not retried', async (_label, withLength) => {
    const { createServer } = await import('node:http')
    let requests = 0
    const big = Buffer.alloc(17 * 1024 * 1024, 0x20)
    const server = createServer((_req, res) => {
      requests++
      if (withLength) res.writeHead(200, { 'content-length': String(big.length) })
      else res.writeHead(200)
      res.end(big)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const address = server.address()
    try {
      const c = new SchemaRegistryClient({ url: `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}`, retries: 3, ...fast })
      const err = await c.getSubjects().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SchemaRegistryError)
      expect(err).not.toBeInstanceOf(RegistryUnavailableError)
      expect(String((err as Error).message)).toMatch(/exceeds the 16777216-byte limit/)
      expect(requests).toBe(1)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
