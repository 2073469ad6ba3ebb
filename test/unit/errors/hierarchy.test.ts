/**
 * One error hierarchy: every error class in src/ extends KafkaWireError (directly or not), has a
 * boolean `retriable`, every library error class (outside the CLI and the broker harness) is
 * exported from the package root, and broker errors carry Kafka's code and name. The class graph is
 * read from the source, so a new `class FooError extends Error` fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as api from '../../../src/index.js'
import * as schemaRegistryApi from '../../../src/schema-registry/index.js'
import * as otelApi from '../../../src/otel/index.js'
import { CliError, UsageError } from '../../../src/cli/errors.js'
import { JsonRecordError } from '../../../src/cli/json-records.js'
import { HarnessToolError } from '../../../src/broker/java.js'
import { BrokerStartError } from '../../../src/broker/cluster.js'

const SRC = join(import.meta.dirname, '..', '..', '..', 'src')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** Every `class X extends Y` in src/, with its file. */
const classes = new Map<string, { parent: string; file: string }>()
for (const file of files(SRC)) {
  for (const m of readFileSync(file, 'utf8').matchAll(/^(?:export )?class (\w+)(?:<[^>]*>)? extends (\w+)/gm)) {
    const name = m[1] ?? ''
    expect(classes.has(name), `${name} is declared twice (${classes.get(name)?.file} and ${relative(SRC, file)})`).toBe(false)
    classes.set(name, { parent: m[2] ?? '', file: relative(SRC, file) })
  }
}
const errorClasses = [...classes].filter(([name, c]) => name.endsWith('Error') || c.parent.endsWith('Error'))

describe('the error hierarchy', () => {
  it('every error class in src/ descends from KafkaWireError, which alone extends Error', () => {
    expect(errorClasses.length).toBeGreaterThan(20)
    for (const [name, c] of errorClasses) {
      if (name === 'KafkaWireError') {
        expect(c).toEqual({ parent: 'Error', file: 'kafka-wire-error.ts' })
        continue
      }
      let parent = c.parent
      const seen = [name]
      while (parent !== 'KafkaWireError') {
        const next = classes.get(parent)
        expect(next, `${name} (${c.file}) extends ${seen.concat(parent).join(' → ')}, not KafkaWireError`).toBeDefined()
        seen.push(parent)
        parent = next?.parent ?? 'KafkaWireError'
      }
    }
  })

  it('every library error class is exported from its entry point (the package root, or its subpath export), as the same class', () => {
    // The optional integrations are subpath exports (`kafka-wire/schema-registry`, `kafka-wire/otel`):
    // their errors are exported there, so importing the root never loads them.
    const entries: Record<string, { path: string; exported: Record<string, unknown> }> = {
      'schema-registry/': { path: 'src/schema-registry/index.ts', exported: schemaRegistryApi },
      'otel/': { path: 'src/otel/index.ts', exported: otelApi },
    }
    for (const [name, c] of errorClasses) {
      if (c.file.startsWith('cli/') || c.file.startsWith('broker/')) continue
      const entry = Object.entries(entries).find(([prefix]) => c.file.startsWith(prefix))?.[1] ?? { path: 'src/index.ts', exported: api as Record<string, unknown> }
      expect(typeof entry.exported[name], `${name} (${c.file}) is not exported from ${entry.path}`).toBe('function')
    }
  })

  it('instances are KafkaWireErrors with a boolean retriable and their class name', () => {
    const samples: Error[] = [
      new api.ConfigError('lingerMs', 'bad'),
      new api.RecordTooLargeError(10, 5, 'maxRequestSize'),
      new api.TimeoutError('maxBlockMs', 10, 'waited'),
      new api.ProducerClosedError(),
      new api.ProducerFencedError('fenced'),
      new api.InvalidPartitionError('t', 9, 3),
      new api.InvalidRecordError('bad record'),
      new api.TopicMetadataError('t', 'gone'),
      new api.NotImplementedError('transactions'),
      new api.KafkaProtocolError(6),
      new api.ProtocolError('truncated', 'field', 3),
      new api.UnsupportedApiVersionError({ apiKey: 0, name: 'Produce', minVersion: 3, maxVersion: 13 }, { minVersion: 0, maxVersion: 2 }),
      new api.NetworkError('b:1', 'reset'),
      new api.RequestTimeoutError('b:1', 'Produce', 4, 1000, true),
      new api.ConnectionClosedError('b:1', 'closed'),
      new api.ConnectionSetupTimeoutError('b:1', 'TCP connect', 1000),
      new api.InvalidFrameError('b:1', 1 << 30, 1 << 20),
      new api.CorrelationIdMismatchError('b:1', 1, 2),
      new api.FrameSizeError(-1, 100),
      new api.CompressionError('lz4', 'corrupt'),
      new CliError('x'),
      new UsageError('bad flag', 'produce'),
      new JsonRecordError(3, 'not JSON'),
      new HarnessToolError('no java'),
      new BrokerStartError('did not start'),
    ]
    for (const e of samples) {
      expect(e, e.name).toBeInstanceOf(api.KafkaWireError)
      expect(typeof (e as api.KafkaWireError).retriable, e.name).toBe('boolean')
      expect(e.name, e.constructor.name).toBe(e.constructor.name)
    }
    // Network errors are retriable on a new connection; bad bytes and config are not.
    expect(new api.NetworkError('b:1', 'reset').retriable).toBe(true)
    expect(new api.RequestTimeoutError('b:1', 'Produce', 4, 1000, true).retriable).toBe(true)
    expect(new api.ProtocolError('x', 'f').retriable).toBe(false)
    expect(new api.ConfigError('x', 'y').retriable).toBe(false)
  })

  it('broker errors carry the Kafka code, name and the table retriable flag (Errors.java)', () => {
    const notLeader = new api.KafkaProtocolError(6, 'Produce t-0')
    expect([notLeader.code, notLeader.errorName, notLeader.retriable]).toEqual([6, 'NOT_LEADER_OR_FOLLOWER', true])
    const tooLarge = new api.KafkaProtocolError(10)
    expect([tooLarge.code, tooLarge.errorName, tooLarge.retriable]).toEqual([10, 'MESSAGE_TOO_LARGE', false])
    const unknown = new api.KafkaProtocolError(9999)
    expect([unknown.errorName, unknown.retriable]).toEqual(['UNKNOWN_ERROR_CODE_9999', false])
    expect(notLeader.name).toBe('KafkaProtocolError')
  })
})
