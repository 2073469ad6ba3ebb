import { describe, expect, it } from 'vitest'
import { helpText, parseCommand } from '../../../src/cli/args.js'
import { parseAcks, parseCompression, parseHeaders, splitLine } from '../../../src/cli/commands/produce.js'
import { parseAddress, parseBootstrap } from '../../../src/cli/context.js'
import { EXIT_USAGE, UsageError } from '../../../src/cli/errors.js'

const FLAGS = {
  topic: { type: 'string', short: 't', description: 'topic' },
  header: { type: 'string', short: 'H', multiple: true, description: 'header' },
} as const

function usageMessage(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).exitCode).toBe(EXIT_USAGE)
    return (err as Error).message
  }
  throw new Error('expected a UsageError')
}

describe('parseCommand', () => {
  it('parses short, long, repeated and common flags', () => {
    const p = parseCommand('produce', ['-t', 'orders', '-H', 'a=1', '--header', 'b=2', '-b', 'h:1', '--dump'], FLAGS)
    expect(p.values.topic).toBe('orders')
    expect(p.values.header).toEqual(['a=1', 'b=2'])
    expect(p.values.bootstrap).toBe('h:1')
    expect(p.values.dump).toBe(true)
  })

  it('names an unknown flag and the command in one line', () => {
    const m = usageMessage(() => parseCommand('produce', ['--bogus'], FLAGS))
    expect(m).toBe('unknown flag --bogus (see: kafka-wire produce --help)')
  })

  it('names a flag that lacks its value by its long form', () => {
    expect(usageMessage(() => parseCommand('produce', ['-t'], FLAGS))).toBe('flag --topic needs a value (see: kafka-wire produce --help)')
  })

  it('rejects unexpected positional arguments', () => {
    expect(usageMessage(() => parseCommand('metadata', ['extra'], FLAGS))).toContain("unexpected argument 'extra'")
    expect(parseCommand('broker', ['start'], {}, 1).positionals).toEqual(['start'])
  })

  it('help text lists the command flags and the common ones', () => {
    const text = helpText('kafka-wire x', 'does x', FLAGS)
    expect(text).toContain('-t, --topic VALUE')
    expect(text).toContain('--dump')
    expect(text).toContain('(repeatable)')
  })
})

describe('produce flag values', () => {
  it('acks', () => {
    expect(parseAcks(undefined, 'produce')).toBe('all')
    expect(parseAcks('-1', 'produce')).toBe('all')
    expect(parseAcks('1', 'produce')).toBe(1)
    expect(parseAcks('0', 'produce')).toBe(0)
    expect(usageMessage(() => parseAcks('2', 'produce'))).toContain('--acks must be all, -1, 1 or 0')
  })

  it('compression', () => {
    expect(parseCompression('lz4', 'produce')).toBe('lz4')
    expect(usageMessage(() => parseCompression('brotli', 'produce'))).toContain("got 'brotli'")
  })

  it('headers split at the first =', () => {
    expect(parseHeaders(['a=b=c', 'k='], 'produce').map(([k, v]) => [k, v.toString()])).toEqual([
      ['a', 'b=c'],
      ['k', ''],
    ])
    expect(usageMessage(() => parseHeaders(['novalue'], 'produce'))).toContain("-H needs key=value, got 'novalue'")
  })

  it('key separator splits at its first occurrence; no separator means a null key', () => {
    const a = splitLine('k1:v:1', ':')
    expect(a.key?.toString()).toBe('k1')
    expect(a.value.toString()).toBe('v:1')
    expect(splitLine('plain', ':').key).toBeNull()
    expect(splitLine('k1:v', undefined).value.toString()).toBe('k1:v')
    expect(splitLine('k::v', '::').value.toString()).toBe('v')
  })
})

describe('broker addresses', () => {
  it('accepts host:port lists and bracketed IPv6', () => {
    expect(parseBootstrap('a:1, b:2', 'x')).toEqual(['a:1', 'b:2'])
    expect(parseAddress('[::1]:9092', 'x')).toEqual({ host: '::1', port: 9092 })
  })

  it('rejects an address without a valid port', () => {
    expect(usageMessage(() => parseBootstrap('localhost', 'metadata'))).toContain("'localhost' is not a host:port broker address")
    expect(usageMessage(() => parseAddress('h:70000', 'metadata'))).toContain('not a host:port')
  })
})
