/** JSON Schema serializer: validation on the optional peer `ajv` (the reference JSON Schema validator for JS), payload as UTF-8 JSON. */
import type { ValidateFunction } from 'ajv'
import type { RegisteredSchema, SchemaReference } from './client.js'
import { InvalidSchemaError, SchemaValidationError } from './errors.js'
import { loadPeer } from './peer.js'
import { createSchemaSerializer, type SchemaFormat, type SchemaSerializer, type SchemaSerializerOptions } from './serde.js'
import { HEADER_SIZE, MAGIC_BYTE } from './wire-format.js'

interface AjvInstance {
  compile(schema: object): ValidateFunction
  addSchema(schema: object, key?: string): unknown
}

/** References deeper than this are refused (a cycle or a hostile registry). */
const MAX_REFERENCE_DEPTH = 32

function parseJsonSchema(schema: string, what: string): object | boolean {
  let parsed: unknown
  try {
    parsed = JSON.parse(schema)
  } catch (err) {
    throw new InvalidSchemaError(`invalid JSON Schema${what}: not JSON (${err instanceof Error ? err.message : String(err)})`, 0, 42201, '', { cause: err })
  }
  if (typeof parsed === 'boolean') return parsed
  if (parsed === null || typeof parsed !== 'object') throw new InvalidSchemaError(`invalid JSON Schema${what}: expected an object or a boolean`, 0, 42201, '')
  return parsed
}
type AjvClass = new (options: Record<string, unknown>) => AjvInstance

/** A compiled JSON Schema: its validator (absent when validation is off) and title. */
interface JsonCodec {
  readonly validate: ValidateFunction | undefined
  readonly title: string | undefined
}

/** Loads the Ajv class for the schema's draft: 2020-12 and 2019-09 have their own entry points. */
async function ajvClass(draft: string | undefined): Promise<AjvClass> {
  const entry = draft?.includes('2020-12') === true ? 'ajv/dist/2020.js' : draft?.includes('2019-09') === true ? 'ajv/dist/2019.js' : 'ajv'
  const mod = await loadPeer<{ default: AjvClass | { default: AjvClass } }>(entry, 'the JSON Schema serializer', 'ajv')
  const d = mod.default
  return typeof d === 'function' ? d : d.default
}

/** The schema without its own `$id`, so Ajv files it under the reference name the `$ref` uses. */
function withoutId(schema: object): object {
  if (!('$id' in schema)) return schema
  const { $id: _id, ...rest } = schema as Record<string, unknown>
  return rest
}

function jsonFormat(validate: boolean): SchemaFormat<JsonCodec> {
  return {
    schemaType: 'JSON',
    name: 'JSON Schema',
    async compile(schema: string, references: readonly SchemaReference[] | undefined, resolve: (ref: SchemaReference) => Promise<RegisteredSchema>): Promise<JsonCodec> {
      const parsed = parseJsonSchema(schema, '')
      if (typeof parsed === 'boolean') return { validate: undefined, title: undefined }
      const obj = parsed as Record<string, unknown>
      const title = typeof obj.title === 'string' ? obj.title : undefined
      if (!validate) return { validate: undefined, title }
      const Ajv = await ajvClass(typeof obj.$schema === 'string' ? obj.$schema : undefined)
      // strict off: schemas written for other validators (unknown keywords, formats) still compile.
      const ajv = new Ajv({ allErrors: true, strict: false, logger: false })
      // A reference's name is the URI the schema's $ref uses (Confluent JsonSchema references).
      const seen = new Set<string>()
      const load = async (refs: readonly SchemaReference[] | undefined, depth: number): Promise<void> => {
        if (refs === undefined) return
        if (depth > MAX_REFERENCE_DEPTH) throw new InvalidSchemaError(`JSON Schema references nest deeper than ${MAX_REFERENCE_DEPTH}`, 0, 42201, '')
        for (const ref of refs) {
          if (seen.has(ref.name)) continue
          seen.add(ref.name)
          const referenced = await resolve(ref)
          if (referenced.schemaType !== 'JSON') throw new InvalidSchemaError(`reference ${ref.name} (${ref.subject} v${ref.version}) is ${referenced.schemaType}, not JSON`, 0, 42201, '')
          const body = parseJsonSchema(referenced.schema, ` ${ref.name}`)
          await load(referenced.references, depth + 1)
          try {
            if (typeof body === 'object') {
              // Filed under the reference name (as Confluent's Java serde does); a schema whose $id is that name is filed as is.
              if ((body as Record<string, unknown>).$id === ref.name) ajv.addSchema(body)
              else ajv.addSchema(withoutId(body), ref.name)
            }
          } catch (err) {
            throw new InvalidSchemaError(`invalid JSON Schema ${ref.name}: ${err instanceof Error ? err.message : String(err)}`, 0, 42201, '', { cause: err })
          }
        }
      }
      await load(references, 0)
      try {
        return { validate: ajv.compile(obj), title }
      } catch (err) {
        throw new InvalidSchemaError(`invalid JSON Schema: ${err instanceof Error ? err.message : String(err)}`, 0, 42201, '', { cause: err })
      }
    },
    recordName(codec: JsonCodec): string | undefined {
      return codec.title
    },
    encode(codec: JsonCodec, schemaId: number, value: unknown, subject: string): Buffer {
      if (codec.validate !== undefined && !codec.validate(value)) {
        const paths = (codec.validate.errors ?? []).map((e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? e.keyword}`)
        throw new SchemaValidationError(subject, paths)
      }
      const text = JSON.stringify(value)
      if (text === undefined) throw new SchemaValidationError(subject, ['value is not representable as JSON'])
      const len = Buffer.byteLength(text, 'utf8')
      const out = Buffer.allocUnsafe(HEADER_SIZE + len)
      out[0] = MAGIC_BYTE
      out.writeInt32BE(schemaId, 1)
      out.write(text, HEADER_SIZE, 'utf8')
      return out
    },
  }
}

/** Options of {@link jsonSchemaSerializer}. */
export interface JsonSchemaSerializerOptions extends SchemaSerializerOptions {
  /** The JSON Schema, as text or object. */
  schema?: string | object
  /** Validate each value with ajv before sending (Confluent `json.fail.invalid.schema`). Default true; false needs no ajv. */
  validate?: boolean
}

/**
 * A JSON Schema serializer: validates each value against the schema (optional peer `ajv`), then
 * writes magic byte 0, the schema id and the value as UTF-8 JSON.
 */
export function jsonSchemaSerializer<T = unknown>(options: JsonSchemaSerializerOptions): SchemaSerializer<T> {
  const schema = options?.schema === undefined ? undefined : typeof options.schema === 'string' ? options.schema : JSON.stringify(options.schema)
  return createSchemaSerializer<T, JsonCodec>(jsonFormat(options?.validate ?? true), schema, options)
}
