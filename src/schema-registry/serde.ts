/**
 * The machinery every schema serializer shares: which subject, which schema id (auto-register,
 * look up, or use the latest version), resolved once per topic, then a synchronous encode per record.
 */
import { ConfigError } from '../producer/errors.js'
import type { RegisteredSchema, SchemaReference, SchemaRegistryClient, SchemaType } from './client.js'
import { topicNameStrategy, type SubjectNameStrategy } from './subject-strategy.js'

/**
 * A serializer for `keySerializer` / `valueSerializer`. The first record of a topic waits for the
 * registry (the result is a promise); once its schema id is known, later records are encoded
 * synchronously. `null`/`undefined` stay null (a tombstone as the value).
 */
export type SchemaSerializer<T> = (data: T, topic: string) => Buffer | null | Promise<Buffer | null>

/** Options every schema serializer takes. */
export interface SchemaSerializerOptions {
  /** The registry client (share one between serializers: its cache is per client). */
  registry: SchemaRegistryClient
  /** Serializes record keys (subject `<topic>-key` under the default strategy). Default false. */
  isKey?: boolean
  /** Default {@link topicNameStrategy}. */
  subjectNameStrategy?: SubjectNameStrategy
  /** Register the schema when it is not yet under the subject (Confluent `auto.register.schemas`). Default true. */
  autoRegister?: boolean
  /**
   * Encode with the latest version under the subject instead of `schema` (Confluent
   * `use.latest.version`; `autoRegister` is then ignored). `schema` may be omitted unless the
   * subject strategy needs its record name.
   */
  useLatestVersion?: boolean
  /** Ask the registry to normalize the schema on register/lookup. Default false. */
  normalize?: boolean
  /** References to other registered schemas. */
  references?: readonly SchemaReference[]
}

/** What a format (Avro, JSON Schema, Protobuf) provides to {@link createSchemaSerializer}. */
export interface SchemaFormat<C> {
  readonly schemaType: SchemaType
  /** Human name for messages, e.g. "Avro". */
  readonly name: string
  /**
   * Compiles a schema text (loading the format library on first use); `resolve` fetches a
   * referenced schema from the registry.
   */
  compile(schema: string, references: readonly SchemaReference[] | undefined, resolve: (ref: SchemaReference) => Promise<RegisteredSchema>): Promise<C>
  /** The fully qualified record name, for the record-name strategies. */
  recordName(codec: C): string | undefined
  /** Validates and encodes `value`, framed with `schemaId`; throws `SchemaValidationError`. */
  encode(codec: C, schemaId: number, value: unknown, subject: string): Buffer
}

interface Resolved<C> {
  readonly subject: string
  readonly id: number
  readonly codec: C
  /** When it was resolved (for the latest-version TTL). */
  readonly at: number
}

/** Builds a serializer for one format from the shared options. */
export function createSchemaSerializer<T, C>(format: SchemaFormat<C>, schema: string | undefined, options: SchemaSerializerOptions): SchemaSerializer<T> {
  if (options === null || typeof options !== 'object' || options.registry === undefined) throw new ConfigError('registry', `${format.name} serializer needs { registry: new SchemaRegistryClient(...) }`)
  const registry = options.registry
  const useLatest = options.useLatestVersion === true
  if (schema === undefined && !useLatest) throw new ConfigError('schema', `${format.name} serializer needs a schema (or useLatestVersion: true)`)
  const isKey = options.isKey === true
  const strategy = options.subjectNameStrategy ?? topicNameStrategy
  const autoRegister = options.autoRegister ?? true
  const normalize = options.normalize === true
  const references = options.references
  const resolveRef = (ref: SchemaReference): Promise<RegisteredSchema> => registry.getVersion(ref.subject, ref.version)
  const registered = schema === undefined ? undefined : { schema, schemaType: format.schemaType, ...(references !== undefined ? { references } : {}) }

  let local: Promise<C> | undefined
  const localCodec = (): Promise<C> | undefined => {
    if (schema === undefined) return undefined
    if (local === undefined) {
      local = format.compile(schema, references, resolveRef)
      // A failed compile (missing library, bad schema) is retried by the next record, not cached.
      local.catch(() => {
        local = undefined
      })
    }
    return local
  }

  const byTopic = new Map<string, Resolved<C>>()
  const pending = new Map<string, Promise<Resolved<C>>>()

  const resolve = async (topic: string): Promise<Resolved<C>> => {
    const codec = await localCodec()
    const subject = strategy(topic, isKey, codec === undefined ? undefined : format.recordName(codec))
    let resolved: Resolved<C>
    if (useLatest) {
      const latest = await registry.getLatestSchema(subject)
      if (latest.schemaType !== format.schemaType) throw new ConfigError('useLatestVersion', `the latest schema of subject "${subject}" is ${latest.schemaType}, not ${format.schemaType}`)
      const latestCodec = registered !== undefined && latest.schema === registered.schema && codec !== undefined ? codec : await format.compile(latest.schema, latest.references, resolveRef)
      resolved = { subject, id: latest.id, codec: latestCodec, at: Date.now() }
    } else if (registered === undefined || codec === undefined) {
      throw new ConfigError('schema', `${format.name} serializer needs a schema`)
    } else if (autoRegister) {
      resolved = { subject, id: await registry.register(subject, registered, normalize), codec, at: Date.now() }
    } else {
      resolved = { subject, id: (await registry.lookup(subject, registered, normalize)).id, codec, at: Date.now() }
    }
    byTopic.set(topic, resolved)
    return resolved
  }

  const resolveShared = (topic: string): Promise<Resolved<C>> => {
    let p = pending.get(topic)
    if (p === undefined) {
      p = resolve(topic)
      pending.set(topic, p)
      const clear = (): void => {
        pending.delete(topic)
      }
      p.then(clear, clear)
    }
    return p
  }

  return (data: T, topic: string): Buffer | null | Promise<Buffer | null> => {
    if (data === null || data === undefined) return null
    const hit = byTopic.get(topic)
    if (hit !== undefined && (!useLatest || Date.now() - hit.at <= registry.latestCacheTtlMs)) return format.encode(hit.codec, hit.id, data, hit.subject)
    return resolveShared(topic).then((r) => format.encode(r.codec, r.id, data, r.subject))
  }
}
