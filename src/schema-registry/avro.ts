/** Avro serializer on the optional peer `avsc` (the most complete pure-JS Avro implementation, used by kafkajs' registry client too). */
import type { Schema as AvscSchema, Type as AvscType } from 'avsc'
import { NotImplementedError } from '../producer/errors.js'
import type { SchemaReference } from './client.js'
import { SchemaValidationError, InvalidSchemaError } from './errors.js'
import { loadPeer } from './peer.js'
import { createSchemaSerializer, type SchemaFormat, type SchemaSerializer, type SchemaSerializerOptions } from './serde.js'
import { encodeFrame } from './wire-format.js'

interface AvscModule {
  readonly Type: typeof AvscType
}

/** Loads avsc (CommonJS: its API is on the namespace, or on `default` under some loaders). */
async function avsc(): Promise<AvscModule> {
  const mod = await loadPeer<AvscModule & { default?: AvscModule }>('avsc', 'the Avro serializer')
  return mod.Type !== undefined ? mod : (mod.default ?? mod)
}

/** Parses a schema text into avsc's type; a bad schema is an InvalidSchemaError naming the cause. */
function parseAvro(Type: typeof AvscType, schema: string): AvscType {
  let json: unknown
  try {
    json = JSON.parse(schema)
  } catch {
    // A bare primitive name ("string") is a valid Avro schema too.
    json = schema
  }
  try {
    return Type.forSchema(json as AvscSchema)
  } catch (err) {
    throw new InvalidSchemaError(`invalid Avro schema: ${err instanceof Error ? err.message : String(err)}`, 0, 42201, '', { cause: err })
  }
}

/** The Avro format for {@link createSchemaSerializer}. */
const avroFormat: SchemaFormat<AvscType> = {
  schemaType: 'AVRO',
  name: 'Avro',
  async compile(schema: string, references: readonly SchemaReference[] | undefined): Promise<AvscType> {
    if (references !== undefined && references.length > 0) throw new NotImplementedError('Avro schemas with references: compile the referenced named types into one schema for now')
    const { Type } = await avsc()
    return parseAvro(Type, schema)
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
