/** `kafka-wire produce --value-avro-schema FILE --schema-registry URL`: input lines are JSON, sent as Confluent-framed Avro. */
import { readFileSync } from 'node:fs'
import { SchemaRegistryClient } from '../schema-registry/client.js'
import { avroSerializer } from '../schema-registry/avro.js'
import type { SchemaSerializer } from '../schema-registry/serde.js'
import { str } from './args.js'
import type { Context } from './context.js'
import { CliError, UsageError } from './errors.js'
import type { CliRecord } from './produce-run.js'

/** The flags, spread into `produce`'s flag table. */
export const SCHEMA_FLAGS = {
  'value-avro-schema': { type: 'string', valueName: 'FILE', description: 'each input line is JSON, sent as Avro with this schema (.avsc) in the Confluent format' },
  'schema-registry': { type: 'string', valueName: 'URL', description: 'schema registry (Confluent API) where --value-avro-schema is registered' },
} as const

/**
 * Reads the schema flags and returns a serializer for values, or `undefined` when none is set.
 * Checks the flags and the schema file before any broker or registry is contacted.
 */
export function schemaValueSerializer(ctx: Context): SchemaSerializer<unknown> | undefined {
  const file = str(ctx.values, 'value-avro-schema')
  const url = str(ctx.values, 'schema-registry')
  if (file === undefined) {
    if (url !== undefined) throw new UsageError('--schema-registry needs --value-avro-schema', ctx.command)
    return undefined
  }
  if (url === undefined) throw new UsageError('--value-avro-schema needs --schema-registry URL', ctx.command)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new CliError(`--value-avro-schema ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  try {
    JSON.parse(text)
  } catch (err) {
    throw new CliError(`--value-avro-schema ${file}: not JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  return avroSerializer({ registry: new SchemaRegistryClient({ url }), schema: text })
}

/** Parses each record's value as JSON and serializes it; a bad line stops the run with its line number. */
export async function* serializeValues(source: AsyncIterable<CliRecord> | Iterable<CliRecord>, serializer: SchemaSerializer<unknown>, topic: string): AsyncGenerator<CliRecord> {
  let line = 0
  for await (const record of source) {
    line++
    let value: unknown
    try {
      value = JSON.parse(record.value?.toString('utf8') ?? 'null')
    } catch (err) {
      throw new CliError(`input line ${line}: not JSON (${err instanceof Error ? err.message : String(err)})`)
    }
    try {
      yield { ...record, value: await serializer(value, topic) }
    } catch (err) {
      throw new CliError(`input line ${line}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
}
