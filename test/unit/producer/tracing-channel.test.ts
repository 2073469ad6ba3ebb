// The `kafka-wire:producer:send` TracingChannel (issue 16): the events APM tools subscribe to,
// their order, what they carry, and that a start subscriber can add a header the broker receives.
import { tracingChannel, channel } from 'node:diagnostics_channel'
import { AsyncLocalStorage } from 'node:async_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidPartitionError } from '../../../src/index.js'
import { ERROR_BY_NAME } from '../../../src/protocol/errors.js'
import type { SendTraceContext } from '../../../src/producer/metrics.js'
import { FakeTransport } from './fake-transport.js'
import { useProducers } from './helpers.js'

const make = useProducers()
const tc = tracingChannel<SendTraceContext, SendTraceContext>('kafka-wire:producer:send')
type Handlers = Parameters<typeof tc.subscribe>[0]
let subscribed: Handlers | null = null
afterEach(() => {
  if (subscribed !== null) tc.unsubscribe(subscribed)
  subscribed = null
})

describe('TracingChannel kafka-wire:producer:send', () => {
  it('start (in the caller’s context, may add headers), end, then error/asyncStart/asyncEnd with the result or error', async () => {
    const als = new AsyncLocalStorage<string>()
    const events: string[] = []
    const handlers: Handlers = {
      start: (ctx) => {
        events.push(`start ${als.getStore() ?? '-'}`)
        const r = ctx.record as { headers?: Record<string, string> }
        r.headers = { ...(r.headers ?? {}), traceparent: '00-abc-def-01' }
      },
      end: () => events.push('end'),
      asyncStart: (ctx) => events.push(`asyncStart ${ctx.result !== undefined ? `offset ${ctx.result.offset}` : ctx.error?.name}`),
      asyncEnd: () => events.push('asyncEnd'),
      error: (ctx) => events.push(`error ${ctx.error?.name}`),
    }
    tc.subscribe(handlers)
    subscribed = handlers
    const t = new FakeTransport()
    const p = make(t, { lingerMs: 0 })
    const md = await als.run('caller-1', () => p.send({ topic: 't', partition: 0, value: 'a' }))
    expect(md.offset).toBe(0)
    await new Promise<void>((resolve) => p.send({ topic: 't', partition: 0, value: 'b' }, () => resolve()))
    await expect(p.send({ topic: 't', partition: 9, value: 'c' })).rejects.toBeInstanceOf(InvalidPartitionError)
    expect(events).toEqual([
      'start caller-1', 'end', 'asyncStart offset 0', 'asyncEnd',
      'start -', 'end', 'asyncStart offset 1', 'asyncEnd',
      'start -', 'end', 'error InvalidPartitionError', 'asyncStart InvalidPartitionError', 'asyncEnd',
    ])
    // The header a start subscriber added reached the broker.
    const headers = t.requests.flatMap((r) => r.batches.flatMap((b) => (b.batch.records ?? []).map((rec) => rec.headers.map(([k, v]) => `${k}=${Buffer.from(v ?? new Uint8Array()).toString()}`))))
    expect(headers[0]).toEqual(['traceparent=00-abc-def-01'])
  })

  it('carries the producer and the serialized sizes; a start subscriber may replace the record; sendBatch is traced per record', async () => {
    const seen: Array<{ producer: object; keySize: number | undefined; valueSize: number | undefined; offset: number | undefined }> = []
    const handlers: Handlers = {
      start: (ctx) => {
        // Replace, not mutate: the caller's object must keep its own headers.
        ctx.record = { ...ctx.record, headers: { added: 'yes' } }
      },
      end: () => {},
      asyncStart: (ctx) => void seen.push({ producer: ctx.producer, keySize: ctx.keySize, valueSize: ctx.valueSize, offset: ctx.result?.offset }),
      asyncEnd: () => {},
      error: () => {},
    }
    tc.subscribe(handlers)
    subscribed = handlers
    const t = new FakeTransport()
    const p = make(t, { lingerMs: 0 })
    const mine = { topic: 't', partition: 0, key: 'k1', value: 'héllo' }
    await p.send(mine)
    expect(mine).toEqual({ topic: 't', partition: 0, key: 'k1', value: 'héllo' })
    await p.sendBatch([{ topic: 't', partition: 0, value: null }, { topic: 't', partition: 0, key: 'kk', value: 'v' }])
    expect(seen).toEqual([
      { producer: p, keySize: 2, valueSize: 6, offset: 0 },
      { producer: p, keySize: -1, valueSize: -1, offset: 1 },
      { producer: p, keySize: 2, valueSize: 1, offset: 2 },
    ])
    const headers = t.requests.flatMap((r) => r.batches.flatMap((b) => (b.batch.records ?? []).map((rec) => rec.headers.map(([k, v]) => `${k}=${Buffer.from(v ?? new Uint8Array()).toString()}`))))
    expect(headers).toEqual([['added=yes'], ['added=yes'], ['added=yes']])
  })

  it('the retry channel reports a batch put back for a retry', async () => {
    const seen: unknown[] = []
    const onRetry = (m: unknown): void => void seen.push(m)
    channel('kafka-wire:producer:retry').subscribe(onRetry)
    try {
      const t = new FakeTransport()
      let first = true
      t.onProduce = (req) => t.ok(req, () => (first ? ((first = false), { errorCode: (ERROR_BY_NAME.NOT_ENOUGH_REPLICAS as { code: number }).code }) : undefined))
      const p = make(t, { lingerMs: 0, retryBackoffMs: 1 })
      await p.send({ topic: 't', partition: 1, value: 'a' })
      expect(seen).toEqual([expect.objectContaining({ topic: 't', partition: 1, recordCount: 1, attempt: 1, error: 'NOT_ENOUGH_REPLICAS' })])
    } finally {
      channel('kafka-wire:producer:retry').unsubscribe(onRetry)
    }
  })
})
