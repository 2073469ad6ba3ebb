import { describe, expect, it } from 'vitest'
import { applyJavaOptions, isSecurityKey, javaOptionNames, parseJavaOptions } from '../../../src/cli/java-options.js'
import { UsageError } from '../../../src/cli/errors.js'
import { PRODUCER_OPTIONS, type ProducerOptions } from '../../../src/producer/config.js'

const base: ProducerOptions<Buffer | null, Buffer | null> = { bootstrapServers: ['127.0.0.1:9092'], acks: 'all', enableIdempotence: true, compressionType: 'none' }
const apply = (...items: string[]): ProducerOptions<Buffer | null, Buffer | null> => applyJavaOptions(base, parseJavaOptions(items, 'produce'), 'produce')
const usage = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return (err as Error).message
  }
  throw new Error('expected a UsageError')
}

describe('-X key=value (Java config names)', () => {
  it('maps every settable option of the producer table by its Java name', () => {
    const names = javaOptionNames()
    for (const o of PRODUCER_OPTIONS) {
      if (['bootstrapServers', 'keySerializer', 'valueSerializer', 'interceptors', 'partitioner', 'logger', 'compressionLevel'].includes(o.name)) continue
      expect(names, o.javaName).toContain(o.javaName)
    }
    expect(names).toEqual(expect.arrayContaining(['compression.gzip.level', 'compression.lz4.level', 'compression.zstd.level']))
  })

  it('parses values by kind: integers, booleans (Java ConfigDef: trimmed, any case), strings, acks, codecs', () => {
    const o = apply('linger.ms=20', 'batch.size= 65536 ', 'enable.idempotence=FALSE', 'acks=1', 'client.id=cli-x', 'compression.type=gzip', 'partitioner.ignore.keys=true')
    expect(o).toMatchObject({ lingerMs: 20, batchSize: 65536, enableIdempotence: false, acks: 1, clientId: 'cli-x', compressionType: 'gzip', partitionerIgnoreKeys: true })
  })

  it('later items win; -X wins over the command flags', () => {
    expect(apply('linger.ms=1', 'linger.ms=7').lingerMs).toBe(7)
    expect(applyJavaOptions({ ...base, lingerMs: 50 }, parseJavaOptions(['linger.ms=0'], 'produce'), 'produce').lingerMs).toBe(0)
  })

  it('acks without enable.idempotence turns idempotence off as the flags do; with it, the conflict is an error naming the key', () => {
    expect(apply('acks=0')).toMatchObject({ acks: 0, enableIdempotence: false })
    expect(apply('acks=all')).toMatchObject({ acks: 'all', enableIdempotence: true })
    expect(usage(() => apply('acks=1', 'enable.idempotence=true'))).toMatch(/-X enable\.idempotence: .*acks/)
  })

  it('uses the level of the codec finally chosen (Java keeps one per codec)', () => {
    expect(apply('compression.zstd.level=7', 'compression.gzip.level=2', 'compression.type=zstd').compressionLevel).toBe(7)
    expect(apply('compression.zstd.level=7', 'compression.type=lz4').compressionLevel).toBeUndefined()
  })

  it('unknown keys, bad values and out-of-range values are usage errors naming the key', () => {
    expect(usage(() => apply('linger.msec=5'))).toMatch(/^-X linger\.msec: unknown producer option; known: .*linger\.ms/)
    expect(usage(() => apply('linger.ms=soon'))).toMatch(/^-X linger\.ms: expected an integer, got 'soon'/)
    expect(usage(() => apply('enable.idempotence=yes'))).toMatch(/expected true or false/)
    expect(usage(() => apply('acks=2'))).toMatch(/-X acks: expected all, -1, 1 or 0/)
    expect(usage(() => apply('compression.type=brotli'))).toMatch(/-X compression\.type: expected none, gzip/)
    expect(usage(() => apply('max.in.flight.requests.per.connection=0'))).toMatch(/^-X max\.in\.flight\.requests\.per\.connection: invalid option maxInFlightRequestsPerConnection: must be at least 1/)
    expect(usage(() => apply('linger.ms'))).toMatch(/-X needs key=value/)
    expect(usage(() => apply('=5'))).toMatch(/-X needs key=value/)
  })

  it('options that are code or have their own flag are refused with the reason', () => {
    expect(usage(() => apply('bootstrap.servers=a:1'))).toMatch(/use -b/)
    expect(usage(() => apply('value.serializer=org.apache.kafka.common.serialization.StringSerializer'))).toMatch(/cannot be set from the command line/)
    expect(usage(() => apply('partitioner.class=x'))).toMatch(/partitioners are code/)
  })

  it('security keys are set aside for the security layer, not treated as unknown', () => {
    for (const k of ['security.protocol', 'sasl.mechanism', 'sasl.jaas.config', 'ssl.truststore.location']) expect(isSecurityKey(k), k).toBe(true)
    expect(isSecurityKey('sslx')).toBe(false)
    const x = parseJavaOptions(['security.protocol=SASL_SSL', 'sasl.mechanism=PLAIN', 'linger.ms=3'], 'produce')
    expect(x.security).toEqual([['security.protocol', 'SASL_SSL'], ['sasl.mechanism', 'PLAIN']])
    expect(x.producer).toEqual({ lingerMs: 3 })
  })
})
