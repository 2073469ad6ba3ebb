/** Avro serializer on the optional peer `avsc` (the most complete pure-JS Avro implementation, used by kafkajs' registry client too). */
import type { Schema as AvscSchema, Type as AvscType } from 'avsc'
import type { RegisteredSchema, SchemaReference } from './client.js'
import { SchemaValidationError, InvalidSchemaError } from './errors.js'
import { loadPeer } from './peer.js'
import { createSchemaSerializer, type SchemaFormat, type SchemaSerializer, type SchemaSerializerOptions } from './serde.js'
import { encodeFrame } from './wire-format.js'

/** References deeper than this are refused (a cycle or a hostile registry). */
const MAX_REFERENCE_DEPTH = 32

interface AvscModule {
  readonly Type: typeof AvscType
}

/** Loads avsc (CommonJS: its API is on the namespace, or on `default` under some loaders). */
async function avsc(): Promise<AvscModule> {
  const mod = await loadPeer<AvscModule & { default?: AvscModule }>('avsc', 'the Avro serializer')
  return mod.Type !== undefined ? mod : (mod.default ?? mod)
}

/** Parses a schema text into avsc's type; a bad schema is an InvalidSchemaError naming the cause. Named types land in `names`. */
function parseAvro(Type: typeof AvscType, schema: string, names: { [name: string]: AvscType }): AvscType {
  let json: unknown
  try {
    json = JSON.parse(schema)
  } catch {
    // A bare primitive name ("string") is a valid Avro schema too.
    json = schema
  }
  try {
    return Type.forSchema(json as AvscSchema, { registry: names })
  } catch (err) {
    throw new InvalidSchemaError(`invalid Avro schema: ${err instanceof Error ? err.message : String(err)}`, 0, 42201, '', { cause: err })
  }
}

/** The Avro format for {@link createSchemaSerializer}. */
const avroFormat: SchemaFormat<AvscType> = {
  schemaType: 'AVRO',
  name: 'Avro',
  async compile(schema: string, references: readonly SchemaReference[] | undefined, resolve: (ref: SchemaReference) => Promise<RegisteredSchema>): Promise<AvscType> {
    const { Type } = await avsc()
    // Referenced schemas first, depth first, so their named types are known when the schema uses them
    // (Confluent AvroSchemaUtils: references resolve into the same name registry).
    const names: { [name: string]: AvscType } = {}
    const seen = new Set<string>()
    const load = async (refs: readonly SchemaReference[] | undefined, depth: number): Promise<void> => {
      if (refs === undefined) return
      if (depth > MAX_REFERENCE_DEPTH) throw new InvalidSchemaError(`Avro schema references nest deeper than ${MAX_REFERENCE_DEPTH}`, 0, 42201, '')
      for (const ref of refs) {
        const key = `${ref.subject}\u0000${ref.version}`
        if (seen.has(key)) continue
        seen.add(key)
        const referenced = await resolve(ref)
        if (referenced.schemaType !== 'AVRO') throw new InvalidSchemaError(`reference ${ref.name} (${ref.subject} v${ref.version}) is ${referenced.schemaType}, not AVRO`, 0, 42201, '')
        await load(referenced.references, depth + 1)
        parseAvro(Type, referenced.schema, names)
      }
    }
    await load(references, 0)
    return parseAvro(Type, schema, names)
  },
  recordName(codec: AvscType): string | undefined {
    return codec.name
  },
  encode(codec: AvscType, schemaId: number, value: unknown, subject: string): Buffer {
    let payload: Buffer
    try {
      payload = codec.toBuffer(value)
    } catch (err) {
      // Only on failure: collect the offending paths (isValid walks the value again).
      const paths: string[] = []
      codec.isValid(value, { errorHook: (path: string[]) => paths.push(path.length === 0 ? '(root)' : path.join('.')) })
      throw new SchemaValidationError(subject, paths, err)
    }
    return encodeFrame(schemaId, payload)
  },
}

/** Options of {@link avroSerializer}: the writer schema (Avro JSON, as text or object) plus the shared options. */
export interface AvroSerializerOptions extends SchemaSerializerOptions {
  schema?: string | object
}

/**
 * An Avro serializer for `keySerializer` / `valueSerializer`: registers (or looks up) the schema on
 * first use per topic, then writes magic byte 0, the schema id, and the Avro binary encoding.
 * Needs the optional peer `avsc`.
 */
export function avroSerializer<T = unknown>(options: AvroSerializerOptions): SchemaSerializer<T> {
  const schema = options?.schema === undefined ? undefined : typeof options.schema === 'string' ? options.schema : JSON.stringify(options.schema)
  return createSchemaSerializer<T, AvscType>(avroFormat, schema, options)
}
