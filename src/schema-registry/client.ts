/** A Confluent Schema Registry REST client on the built-in `fetch`, caching ids and schemas so each is asked for once. */
import { ConfigError } from '../producer/errors.js'
import { SchemaRegistryError } from './errors.js'
import { authorization, fetchExchange, httpsExchange, redactUrl, requestJson, type HttpExchange, type RegistryAuth, type RegistryTlsOptions, type RetryPolicy } from './http.js'

/** Schema formats the Confluent API knows (`schemaType`; absent means AVRO). */
export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF'

/** Compatibility levels (`/config`). */
export type CompatibilityLevel = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE'

/** A reference from one schema to another registered one (Avro named types, JSON `$ref`, Protobuf `import`). */
export interface SchemaReference {
  readonly name: string
  readonly subject: string
  readonly version: number
}

/** A schema as registered: its text, format and references. */
export interface Schema {
  readonly schema: string
  readonly schemaType: SchemaType
  readonly references?: readonly SchemaReference[]
}

/** A schema under a subject, with its global id and version. */
export interface RegisteredSchema extends Schema {
  readonly id: number
  readonly subject: string
  readonly version: number
}

/** Options of {@link SchemaRegistryClient}. */
export interface SchemaRegistryClientOptions {
  /** Base URL of the Confluent API, e.g. `http://127.0.0.1:8081` or Apicurio's `.../apis/ccompat/v7`. `user:pass@` is accepted as basic auth. */
  url: string
  /** Basic auth or a bearer token (a function is called per request, e.g. to refresh it). */
  auth?: RegistryAuth
  /** TLS options for `https://` (CA, client certificate). */
  tls?: RegistryTlsOptions
  /** Per-attempt timeout. Default 10 000 ms. */
  requestTimeoutMs?: number
  /** Retries after the first attempt on network errors, timeouts, 5xx and 429. Default 3. */
  retries?: number
  /** First retry backoff (doubling, full jitter). Default 100 ms. */
  retryBackoffMs?: number
  /** Largest retry backoff. Default 2 000 ms. */
  retryBackoffMaxMs?: number
  /** How long a fetched latest version stays cached (Confluent `latest.cache.ttl.sec`). Default: forever. */
  latestCacheTtlMs?: number
  /** Extra headers sent with every request. */
  headers?: Readonly<Record<string, string>>
  /** Replaces the HTTP exchange (tests, proxies). Default: built-in `fetch`, or `node:https` when `tls` is set. */
  exchange?: HttpExchange
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
const SCHEMA_TYPES: ReadonlySet<string> = new Set(['AVRO', 'JSON', 'PROTOBUF'])

function checkNonNegativeInt(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) throw new ConfigError(option, `expected an integer from 0 to 2^31-1, got ${String(value)}`)
  return value
}

/** Reads a positive int32 field of an answer; the registry is a peer we check, not trust. */
function intField(obj: unknown, field: string, what: string): number {
  const v = obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[field] : undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
    throw new SchemaRegistryError(`schema registry answer to ${what} has no valid "${field}" (got ${JSON.stringify(v)})`, 200, 200, '')
  }
  return v
}

function stringField(obj: unknown, field: string, what: string): string {
  const v = obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[field] : undefined
  if (typeof v !== 'string') throw new SchemaRegistryError(`schema registry answer to ${what} has no string "${field}"`, 200, 200, '')
  return v
}

function schemaTypeField(obj: unknown): SchemaType {
  const v = obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>).schemaType : undefined
  if (v === undefined || v === null) return 'AVRO'
  if (typeof v === 'string' && SCHEMA_TYPES.has(v)) return v as SchemaType
  throw new SchemaRegistryError(`schema registry answered an unknown schemaType ${JSON.stringify(v)}`, 200, 200, '')
}

function referencesField(obj: unknown): SchemaReference[] | undefined {
  const v = obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>).references : undefined
  if (!Array.isArray(v) || v.length === 0) return undefined
  return v.map((r: unknown) => ({ name: stringField(r, 'name', 'references'), subject: stringField(r, 'subject', 'references'), version: intField(r, 'version', 'references') }))
}

/** The request body the Confluent API expects (schemaType omitted for AVRO, as Confluent's clients do). */
function schemaBody(schema: Schema): string {
  const body: Record<string, unknown> = { schema: schema.schema }
  if (schema.schemaType !== 'AVRO') body.schemaType = schema.schemaType
  if (schema.references !== undefined && schema.references.length > 0) body.references = schema.references
  return JSON.stringify(body)
}

function schemaKey(schema: Schema): string {
  return `${schema.schemaType}\u0000${schema.schema}\u0000${schema.references === undefined ? '' : JSON.stringify(schema.references)}`
}

/**
 * Client of the Confluent Schema Registry REST API. Ids by (subject, schema) and schemas by id are
 * cached forever (they never change); concurrent first uses share one request; a failed request is
 * not cached, so the next call asks again.
 */
export class SchemaRegistryClient {
  /** The base URL without credentials. */
  readonly url: string
  private readonly base: URL
  private readonly auth: RegistryAuth | undefined
  private readonly policy: RetryPolicy
  private readonly exchange: HttpExchange
  private readonly extraHeaders: Readonly<Record<string, string>>
  /** How long a latest version stays cached, in ms (Infinity: forever). */
  readonly latestCacheTtlMs: number
  private readonly idCache = new Map<string, Promise<number>>()
  private readonly lookupCache = new Map<string, Promise<RegisteredSchema>>()
  private readonly byId = new Map<number, Promise<Schema>>()
  private readonly latest = new Map<string, { at: number; value: Promise<RegisteredSchema> }>()
  /** Requests sent (not counting retries), for tests and metrics. */
  requestCount = 0

  constructor(options: SchemaRegistryClientOptions) {
    if (options === null || typeof options !== 'object') throw new ConfigError('url', 'options { url } are required')
    if (typeof options.url !== 'string' || options.url === '') throw new ConfigError('url', 'expected the registry base URL')
    let base: URL
    try {
      base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`)
    } catch {
      throw new ConfigError('url', 'not a valid URL')
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ConfigError('url', `expected http: or https:, got ${base.protocol}`)
    if (options.tls !== undefined && base.protocol !== 'https:') throw new ConfigError('tls', 'TLS options need an https:// url')
    if (options.auth !== undefined) {
      const a: unknown = options.auth
      const ok = a !== null && typeof a === 'object' && (('username' in a && typeof a.username === 'string' && 'password' in a && typeof a.password === 'string') || ('bearerToken' in a && (typeof a.bearerToken === 'string' || typeof a.bearerToken === 'function')))
      if (!ok) throw new ConfigError('auth', 'expected { username, password } or { bearerToken }')
    }
    this.base = base
    this.url = redactUrl(base)
    this.auth = options.auth
    const requestTimeoutMs = checkNonNegativeInt('requestTimeoutMs', options.requestTimeoutMs, 10_000)
    if (requestTimeoutMs === 0) throw new ConfigError('requestTimeoutMs', 'must be positive: every request needs a timeout')
    this.policy = {
      requestTimeoutMs,
      retries: checkNonNegativeInt('retries', options.retries, 3),
      retryBackoffMs: checkNonNegativeInt('retryBackoffMs', options.retryBackoffMs, 100),
      retryBackoffMaxMs: checkNonNegativeInt('retryBackoffMaxMs', options.retryBackoffMaxMs, 2_000),
    }
    const ttl = options.latestCacheTtlMs ?? Number.POSITIVE_INFINITY
    if (typeof ttl !== 'number' || Number.isNaN(ttl) || ttl < 0) throw new ConfigError('latestCacheTtlMs', `expected a non-negative number, got ${String(ttl)}`)
    this.latestCacheTtlMs = ttl
    this.extraHeaders = options.headers ?? {}
    this.exchange = options.exchange ?? (options.tls !== undefined ? httpsExchange(options.tls) : fetchExchange)
  }

  /** One request relative to the base URL; `path` parts must already be encoded. */
  private async call(method: string, path: string, body?: string): Promise<unknown> {
    this.requestCount++
    const url = new URL(path, this.base)
    // Credentials travel in the header only; the URL used has none.
    url.username = ''
    url.password = ''
    const headers: Record<string, string> = { ...this.extraHeaders, accept: `${CONTENT_TYPE}, application/json` }
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE
    const auth = await authorization(this.auth, this.base)
    if (auth !== undefined) headers.authorization = auth
    return requestJson(this.exchange, this.policy, method, url, headers, body, `/${path}`)
  }

  /** Registers `schema` under `subject` (or finds it registered) and returns its global id. Cached. */
  register(subject: string, schema: Schema, normalize = false): Promise<number> {
    const key = `${subject}\u0000${schemaKey(schema)}\u0000${String(normalize)}`
    return this.cached(this.idCache, key, async () => {
      // normalize is a query parameter of the Confluent API, not a body field.
      const answer = await this.call('POST', `subjects/${encodeURIComponent(subject)}/versions${normalize ? '?normalize=true' : ''}`, schemaBody(schema))
      const id = intField(answer, 'id', `register under ${subject}`)
      this.byId.set(id, Promise.resolve(schema))
      return id
    })
  }

  /** Looks up an already registered `schema` under `subject` (no registration). Cached. */
  lookup(subject: string, schema: Schema, normalize = false): Promise<RegisteredSchema> {
    const key = `${subject}\u0000${schemaKey(schema)}\u0000${String(normalize)}`
    return this.cached(this.lookupCache, key, async () => {
      const answer = await this.call('POST', `subjects/${encodeURIComponent(subject)}${normalize ? '?normalize=true' : ''}`, schemaBody(schema))
      return this.registered(answer, subject, `lookup under ${subject}`)
    })
  }

  /** The schema with global id `id`. Cached. */
  getSchemaById(id: number): Promise<Schema> {
    if (!Number.isInteger(id) || id < 0 || id > 2 ** 31 - 1) return Promise.reject(new ConfigError('id', `expected a schema id (int32 >= 0), got ${String(id)}`))
    return this.cached(this.byId, id, async () => {
      const answer = await this.call('GET', `schemas/ids/${id}`)
      const refs = referencesField(answer)
      return { schema: stringField(answer, 'schema', `schema ${id}`), schemaType: schemaTypeField(answer), ...(refs !== undefined ? { references: refs } : {}) }
    })
  }

  /** The latest version under `subject` (cached for `latestCacheTtlMs`). */
  getLatestSchema(subject: string): Promise<RegisteredSchema> {
    const now = Date.now()
    const hit = this.latest.get(subject)
    if (hit !== undefined && now - hit.at <= this.latestCacheTtlMs) return hit.value
    const value = this.getVersion(subject, 'latest')
    this.latest.set(subject, { at: now, value })
    value.catch(() => {
      if (this.latest.get(subject)?.value === value) this.latest.delete(subject)
    })
    return value
  }

  /** A given version (or `latest`) under `subject`. Not cached. */
  async getVersion(subject: string, version: number | 'latest'): Promise<RegisteredSchema> {
    const answer = await this.call('GET', `subjects/${encodeURIComponent(subject)}/versions/${version}`)
    return this.registered(answer, subject, `version ${version} of ${subject}`)
  }

  /** Versions registered under `subject`. */
  async getVersions(subject: string): Promise<number[]> {
    const answer = await this.call('GET', `subjects/${encodeURIComponent(subject)}/versions`)
    if (!Array.isArray(answer) || !answer.every((v) => Number.isInteger(v))) throw new SchemaRegistryError(`schema registry answer to versions of ${subject} is not a list of versions`, 200, 200, '')
    return answer as number[]
  }

  /** All subjects. */
  async getSubjects(): Promise<string[]> {
    const answer = await this.call('GET', 'subjects')
    if (!Array.isArray(answer) || !answer.every((v) => typeof v === 'string')) throw new SchemaRegistryError('schema registry answer to subjects is not a list of names', 200, 200, '')
    return answer as string[]
  }

  /**
   * Whether `schema` is compatible with `version` (default latest) of `subject` under the subject's
   * level; `messages` holds the registry's reasons when it gives them (`verbose=true`).
   */
  async testCompatibility(subject: string, schema: Schema, version: number | 'latest' = 'latest'): Promise<{ isCompatible: boolean; messages: string[] }> {
    const answer = await this.call('POST', `compatibility/subjects/${encodeURIComponent(subject)}/versions/${version}?verbose=true`, schemaBody(schema))
    const ok = answer !== null && typeof answer === 'object' ? (answer as Record<string, unknown>).is_compatible : undefined
    if (typeof ok !== 'boolean') throw new SchemaRegistryError(`schema registry answer to compatibility of ${subject} has no is_compatible`, 200, 200, '')
    const raw = (answer as Record<string, unknown>).messages
    return { isCompatible: ok, messages: Array.isArray(raw) ? raw.filter((m): m is string => typeof m === 'string') : [] }
  }

  /** Sets the compatibility level of `subject` (or the global one when `subject` is undefined). */
  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    await this.call('PUT', subject === undefined ? 'config' : `config/${encodeURIComponent(subject)}`, JSON.stringify({ compatibility: level }))
  }

  /** The compatibility level of `subject` (or the global one). */
  async getCompatibility(subject?: string): Promise<CompatibilityLevel> {
    const answer = await this.call('GET', subject === undefined ? 'config' : `config/${encodeURIComponent(subject)}`)
    const obj = answer !== null && typeof answer === 'object' ? (answer as Record<string, unknown>) : {}
    const level = obj.compatibilityLevel ?? obj.compatibility
    if (typeof level !== 'string') throw new SchemaRegistryError('schema registry answer to config has no compatibility level', 200, 200, '')
    return level as CompatibilityLevel
  }

  /** Deletes `subject` (soft delete; `permanent` after a soft delete). Clears the client's caches for it. */
  async deleteSubject(subject: string, permanent = false): Promise<number[]> {
    const answer = await this.call('DELETE', `subjects/${encodeURIComponent(subject)}${permanent ? '?permanent=true' : ''}`)
    for (const k of [...this.idCache.keys()]) if (k.startsWith(`${subject}\u0000`)) this.idCache.delete(k)
    for (const k of [...this.lookupCache.keys()]) if (k.startsWith(`${subject}\u0000`)) this.lookupCache.delete(k)
    this.latest.delete(subject)
    return Array.isArray(answer) ? answer.filter((v): v is number => Number.isInteger(v)) : []
  }

  private registered(answer: unknown, subject: string, what: string): RegisteredSchema {
    const refs = referencesField(answer)
    const out: RegisteredSchema = {
      subject,
      id: intField(answer, 'id', what),
      version: intField(answer, 'version', what),
      schema: stringField(answer, 'schema', what),
      schemaType: schemaTypeField(answer),
      ...(refs !== undefined ? { references: refs } : {}),
    }
    this.byId.set(out.id, Promise.resolve(out))
    return out
  }

  /** Shares one promise per key among concurrent callers; a rejected promise leaves the cache. */
  private cached<K, T>(map: Map<K, Promise<T>>, key: K, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key)
    if (hit !== undefined) return hit
    const p = load()
    map.set(key, p)
    p.catch(() => {
      if (map.get(key) === p) map.delete(key)
    })
    return p
  }
}
