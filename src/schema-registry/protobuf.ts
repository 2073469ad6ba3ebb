/** Protobuf serializer on the optional peer `protobufjs` (parses `.proto` text at run time, which a registry-driven serializer needs). */
import type { AnyNestedObject, Namespace as PbNamespace, Root as PbRoot, Type as PbType } from 'protobufjs'
import { ConfigError } from '../producer/errors.js'
import type { RegisteredSchema, SchemaReference } from './client.js'
import { InvalidSchemaError, SchemaValidationError } from './errors.js'
import { loadPeer } from './peer.js'
import { createSchemaSerializer, type SchemaFormat, type SchemaSerializer, type SchemaSerializerOptions } from './serde.js'
import { encodeProtobufFrame } from './wire-format.js'

/** What protobufjs' parser returns. */
interface Parsed {
  root: PbRoot
  package?: string
  imports?: string[]
}

interface ProtobufModule {
  parse(source: string, options?: { keepCase?: boolean }): Parsed
  parse(source: string, root: PbRoot, options?: { keepCase?: boolean }): Parsed
  common: { get(file: string): { nested?: { [k: string]: AnyNestedObject } } | null }
  Type: typeof PbType
  Root: typeof PbRoot
}

/** References deeper than this are refused (a cycle or a hostile registry). */
const MAX_REFERENCE_DEPTH = 32

/**
 * Adds the well-known types (`google/protobuf/timestamp.proto`, ...) a file imports: Confluent
 * serializers know them without references, protobufjs bundles them.
 */
function addWellKnown(pb: ProtobufModule, root: PbRoot, imports: readonly string[] | undefined, done: Set<string>): void {
  for (const file of imports ?? []) {
    if (!file.startsWith('google/protobuf/') || done.has(file)) continue
    const json = pb.common.get(file)
    if (json?.nested === undefined) continue
    done.add(file)
    root.addJSON(json.nested)
  }
}

function invalid(what: string, err: unknown): InvalidSchemaError {
  return new InvalidSchemaError(`invalid Protobuf schema${what}: ${err instanceof Error ? err.message : String(err)}`, 0, 42201, '', { cause: err })
}

/** A compiled Protobuf schema: the message type to encode and its indexes in the file. */
interface ProtobufCodec {
  readonly type: PbType
  readonly indexes: readonly number[]
  readonly fullName: string
}

async function protobufjs(): Promise<ProtobufModule> {
  const mod = await loadPeer<ProtobufModule & { default?: ProtobufModule }>('protobufjs', 'the Protobuf serializer')
  return typeof mod.parse === 'function' ? mod : (mod.default ?? mod)
}

/** The message types directly inside `ns`, in declaration order (enums, services and packages are not counted). */
function messagesOf(ns: PbNamespace, Type: typeof PbType): PbType[] {
  return ns.nestedArray.filter((n): n is PbType => n instanceof Type)
}

/** The first message type declared in the file: the default, as in Confluent's serializer. */
function firstMessage(ns: PbNamespace, Type: typeof PbType): PbType | undefined {
  return messagesOf(ns, Type)[0]
}

/**
 * The message indexes of `type` (Confluent `MessageIndexes`): its position among the top-level
 * messages of the file's package, then among the nested messages of each enclosing message.
 */
function messageIndexes(type: PbType, top: PbNamespace, Type: typeof PbType): number[] {
  const path: number[] = []
  let node: PbType = type
  for (;;) {
    const parent = node.parent
    if (parent === null) throw new InvalidSchemaError(`message ${node.fullName} is not inside the schema's package`, 0, 42201, '')
    const i = messagesOf(parent, Type).indexOf(node)
    if (i < 0) throw new InvalidSchemaError(`message ${node.fullName} not found among its parent's messages`, 0, 42201, '')
    path.unshift(i)
    if (parent === top) return path
    if (!(parent instanceof Type)) throw new InvalidSchemaError(`message ${node.fullName} is not inside the schema's package`, 0, 42201, '')
    node = parent
  }
}

function protobufFormat(messageName: string | undefined, keepCase: boolean): SchemaFormat<ProtobufCodec> {
  return {
    schemaType: 'PROTOBUF',
    name: 'Protobuf',
    async compile(schema: string, references: readonly SchemaReference[] | undefined, resolve: (ref: SchemaReference) => Promise<RegisteredSchema>): Promise<ProtobufCodec> {
      const pb = await protobufjs()
      // The file alone gives the message and its indexes: imported files must not shift them.
      let parsed: Parsed
      try {
        parsed = pb.parse(schema, { keepCase })
      } catch (err) {
        throw invalid('', err)
      }
      const referencedFiles = new Set((references ?? []).map((r) => r.name))
      const imports = parsed.imports?.filter((f) => !referencedFiles.has(f))
      const root = parsed.root
      const pkg = parsed.package
      const top = pkg === undefined || pkg === '' ? root : root.lookup(pkg)
      if (top === null || !('nestedArray' in top)) throw new InvalidSchemaError(`package ${String(pkg)} not found in the Protobuf schema`, 0, 42201, '')
      const topNs = top as PbNamespace
      let type: PbType | undefined
      if (messageName === undefined) type = firstMessage(topNs, pb.Type)
      else {
        const found = topNs.lookup(messageName) ?? root.lookup(messageName)
        type = found instanceof pb.Type ? found : undefined
        if (type === undefined) throw new ConfigError('messageName', `no message ${messageName} in the Protobuf schema`)
      }
      if (type === undefined) throw new InvalidSchemaError('the Protobuf schema declares no message', 0, 42201, '')
      const indexes = messageIndexes(type, topNs, pb.Type)
      const fullName = type.fullName.replace(/^\./, '')
      let encoding = type
      let full = root
      if (references === undefined || references.length === 0) addWellKnown(pb, root, imports, new Set())
      else {
        // Imports (Confluent: reference name = import path) are parsed into one root with the file.
        full = new pb.Root()
        const wellKnown = new Set<string>()
        const seen = new Set<string>()
        const load = async (refs: readonly SchemaReference[] | undefined, depth: number): Promise<void> => {
          if (refs === undefined) return
          if (depth > MAX_REFERENCE_DEPTH) throw new InvalidSchemaError(`Protobuf schema references nest deeper than ${MAX_REFERENCE_DEPTH}`, 0, 42201, '')
          for (const ref of refs) {
            if (seen.has(ref.name)) continue
            seen.add(ref.name)
            const referenced = await resolve(ref)
            if (referenced.schemaType !== 'PROTOBUF') throw new InvalidSchemaError(`reference ${ref.name} (${ref.subject} v${ref.version}) is ${referenced.schemaType}, not PROTOBUF`, 0, 42201, '')
            await load(referenced.references, depth + 1)
            try {
              addWellKnown(pb, full, pb.parse(referenced.schema, full, { keepCase }).imports, wellKnown)
            } catch (err) {
              throw invalid(` ${ref.name}`, err)
            }
          }
        }
        await load(references, 0)
        try {
          pb.parse(schema, full, { keepCase })
          addWellKnown(pb, full, imports, wellKnown)
          encoding = full.lookupType(fullName)
        } catch (err) {
          throw invalid('', err)
        }
      }
      try {
        // The whole root: resolving a nested type alone misses the file's edition (protobufjs 7).
        full.resolveAll()
      } catch (err) {
        throw invalid('', err)
      }
      return { type: encoding, indexes, fullName }
    },
    recordName(codec: ProtobufCodec): string {
      return codec.fullName
    },
    encode(codec: ProtobufCodec, schemaId: number, value: unknown, subject: string): Buffer {
      if (value === null || typeof value !== 'object') throw new SchemaValidationError(subject, [`expected an object for message ${codec.fullName}, got ${typeof value}`])
      // verify() first: fromObject() alone would coerce a wrong type silently ('x' | 0 is 0).
      let problem = codec.type.verify(value as Record<string, unknown>)
      let message
      if (problem === null) message = codec.type.create(value as Record<string, unknown>)
      else if (problem.includes('enum value expected')) {
        // Enum names ("GREEN") are valid in protobuf's JSON mapping: let fromObject map them, then check again.
        try {
          message = codec.type.fromObject(value as Record<string, unknown>)
        } catch (err) {
          throw new SchemaValidationError(subject, [err instanceof Error ? err.message : String(err)], err)
        }
        problem = codec.type.verify(message)
      }
      if (problem !== null || message === undefined) throw new SchemaValidationError(subject, [problem ?? 'invalid message'])
      return encodeProtobufFrame(schemaId, codec.indexes, codec.type.encode(message).finish())
    },
  }
}

/** Options of {@link protobufSerializer}. */
export interface ProtobufSerializerOptions extends SchemaSerializerOptions {
  /** The `.proto` file text (proto3 or proto2). */
  schema?: string
  /** The message to encode (name relative to the package, or fully qualified). Default: the file's first message. */
  messageName?: string
  /** Keep field names as written in the `.proto` (true, default) or use protobufjs' camelCase. */
  keepCase?: boolean
}

/**
 * A Protobuf serializer: writes magic byte 0, the schema id, the message indexes (a single 0 for the
 * file's first message) and the Protobuf binary encoding. Needs the optional peer `protobufjs`.
 */
export function protobufSerializer<T = unknown>(options: ProtobufSerializerOptions): SchemaSerializer<T> {
  return createSchemaSerializer<T, ProtobufCodec>(protobufFormat(options?.messageName, options?.keepCase ?? true), options?.schema, options)
}
