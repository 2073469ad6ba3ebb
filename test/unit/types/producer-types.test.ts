/**
 * Type-level tests of the public Producer: key and value types inferred from the serializers, typed
 * interceptors, and the compile errors a wrong key or value gives. They are checked by the
 * type-check (`npm run typecheck`, part of `npm test`): a wrong inference fails `expectTypeOf`, and
 * an `@ts-expect-error` line that no longer errors fails too. The runtime part only builds and closes
 * producers (nothing connects before a send); sends sit in functions that are never called.
 */
import { describe, expectTypeOf, it } from 'vitest'
import { Producer, type JsonValue, type ProducerInterceptor, type ProducerRecord, type RawValue, type RecordMetadata } from '../../../src/index.js'

const base = { bootstrapServers: ['127.0.0.1:1'], logger: {} }

interface Order {
  id: number
  total: number
}

const closeLater: Array<{ close(o: { timeoutMs: number }): Promise<void> }> = []
function keep<P extends { close(o: { timeoutMs: number }): Promise<void> }>(p: P): P {
  closeLater.push(p)
  return p
}

describe('Producer key and value types', () => {
  it('without serializers, keys and values are raw bytes or strings', async () => {
    const p = keep(new Producer(base))
    expectTypeOf(p).toEqualTypeOf<Producer<RawValue, RawValue>>()
    expectTypeOf(p).toEqualTypeOf<Producer>()
    const never = (): void => {
      void p.send({ topic: 't', key: 'k', value: Buffer.from('v') })
      void p.send({ topic: 't', value: null })
      // @ts-expect-error a number is not bytes: it needs a serializer
      void p.send({ topic: 't', value: 42 })
      // @ts-expect-error an object is not bytes
      void p.send({ topic: 't', key: { id: 1 }, value: 'v' })
    }
    void never
    await Promise.all(closeLater.splice(0).map((c) => c.close({ timeoutMs: 0 })))
  })

  it("valueSerializer 'json' makes the value a JsonValue, with no explicit generics", async () => {
    const p = keep(new Producer({ ...base, valueSerializer: 'json' }))
    expectTypeOf(p).toEqualTypeOf<Producer<RawValue, JsonValue>>()
    const never = (): void => {
      void p.send({ topic: 't', value: { id: 1, items: [{ sku: 'a', n: 2 }], paid: true, note: null } })
      void p.send({ topic: 't', value: [1, 'two', false] })
      // @ts-expect-error a function is not JSON
      void p.send({ topic: 't', value: () => 1 })
      // @ts-expect-error a bigint is not JSON (JSON.stringify throws on it)
      void p.send({ topic: 't', value: 10n })
      // @ts-expect-error undefined is not a JSON value (use null for a tombstone)
      void p.send({ topic: 't', value: undefined })
    }
    void never
    await Promise.all(closeLater.splice(0).map((c) => c.close({ timeoutMs: 0 })))
  })

  it('a function serializer gives its parameter type; keySerializer string gives string keys', async () => {
    const p = keep(new Producer({ ...base, keySerializer: 'string', valueSerializer: (order: Order) => Buffer.from(JSON.stringify(order)) }))
    expectTypeOf(p).toEqualTypeOf<Producer<string | null, Order>>()
    const never = (): void => {
      void p.send({ topic: 't', key: 'user-1', value: { id: 1, total: 2 } })
      // @ts-expect-error the value must be an Order
      void p.send({ topic: 't', key: 'user-1', value: 'not an order' })
      // @ts-expect-error an Order needs total
      void p.send({ topic: 't', value: { id: 1 } })
      // @ts-expect-error keys are strings with keySerializer 'string'
      void p.send({ topic: 't', key: 42, value: { id: 1, total: 2 } })
    }
    void never
    await Promise.all(closeLater.splice(0).map((c) => c.close({ timeoutMs: 0 })))
  })

  it('interceptors are typed for the producer records, without casts', async () => {
    const seen: number[] = []
    const p = keep(
      new Producer({
        ...base,
        valueSerializer: (order: Order) => Buffer.from(JSON.stringify(order)),
        interceptors: [
          {
            onSend(record) {
              expectTypeOf(record).toEqualTypeOf<ProducerRecord<RawValue, Order>>()
              seen.push(record.value.total)
              return { ...record, value: { ...record.value, total: record.value.total + 1 } }
            },
            onAcknowledgement(md, err) {
              expectTypeOf(md).toEqualTypeOf<RecordMetadata | null>()
              expectTypeOf(err).toEqualTypeOf<Error | null>()
            },
          },
        ],
      }),
    )
    expectTypeOf(p).toEqualTypeOf<Producer<RawValue, Order>>()
    // A standalone interceptor declared with the producer's types is accepted as it is.
    const audit: ProducerInterceptor<ProducerRecord<RawValue, JsonValue>, RecordMetadata> = { onSend: (r) => r }
    keep(new Producer({ ...base, valueSerializer: 'json', interceptors: [audit] }))
    const wrong = (): void => {
      const stringsOnly: ProducerInterceptor<ProducerRecord<RawValue, string>, RecordMetadata> = { onSend: (r) => ({ ...r, value: r.value.toUpperCase() }) }
      // @ts-expect-error an interceptor for string values does not fit a producer of Orders
      keep(new Producer({ ...base, valueSerializer: (order: Order) => Buffer.from(JSON.stringify(order)), interceptors: [stringsOnly] }))
    }
    void wrong
    await Promise.all(closeLater.splice(0).map((c) => c.close({ timeoutMs: 0 })))
  })

  it('explicit generics still work, and the callback form is typed', async () => {
    const p = keep(new Producer<string, Order>({ ...base, valueSerializer: (order: Order) => Buffer.from(JSON.stringify(order)) }))
    expectTypeOf(p).toEqualTypeOf<Producer<string, Order>>()
    const never = (): void => {
      p.send({ topic: 't', key: 'k', value: { id: 1, total: 2 } }, (err, md) => {
        expectTypeOf(err).toEqualTypeOf<Error | null>()
        expectTypeOf(md).toEqualTypeOf<RecordMetadata | null>()
      })
      expectTypeOf(p.send({ topic: 't', value: { id: 1, total: 2 } })).toEqualTypeOf<Promise<RecordMetadata>>()
    }
    void never
    await Promise.all(closeLater.splice(0).map((c) => c.close({ timeoutMs: 0 })))
  })

  it('Producer is the class at run time (instanceof works)', async () => {
    const p = keep(new Producer({ ...base, valueSerializer: 'json' }))
    expectTypeOf(p instanceof Producer).toEqualTypeOf<boolean>()
    if (!(p instanceof Producer)) throw new Error('new Producer() is not an instance of Producer')
    await Promise.all(closeLater.splice(0).map((c) => c.close({ timeoutMs: 0 })))
  })
})

// Subclassing keeps working with the inferring construct signatures (one return type per arity).
export class StringProducer extends Producer<string, string> {}
export class RawProducer extends Producer {}
describe('Producer subclasses', () => {
  it('extend Producer with or without type arguments', async () => {
    const s = new StringProducer({ ...base, keySerializer: 'string', valueSerializer: 'string' })
    expectTypeOf(s.send).parameter(0).toEqualTypeOf<ProducerRecord<string, string>>()
    const r = new RawProducer(base)
    expectTypeOf(r).toExtend<Producer<RawValue, RawValue>>()
    if (!(s instanceof Producer) || !(r instanceof RawProducer)) throw new Error('subclass instances are not Producers')
    await Promise.all([s.close({ timeoutMs: 0 }), r.close({ timeoutMs: 0 })])
  })
})
