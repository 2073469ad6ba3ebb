import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidPartitionError, KafkaProtocolError, Producer, ProducerClosedError, ProducerFencedError, RecordTooLargeError, TimeoutError, partitionForKey, type ProducerOptions, type RecordMetadata } from '../../../src/index.js'
import { NetworkError } from '../../../src/network/errors.js'
import { FakeTransport, type SeenRequest } from './fake-transport.js'

const producers: Producer[] = []
function make(t: FakeTransport, opts: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({ bootstrapServers: ['fake:1'], logger: {}, ...opts }, { transport: t })
  producers.push(p)
  return p
}
afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 0 })))
})

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` (no timed assertion: the limit only stops a hang). */
async function until(cond: () => boolean, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached')
    await sleep(5)
  }
}

describe('Producer (scripted transport)', () => {
  it('await and callback forms resolve with topic, partition, offset, timestamp', async () => {
    const t = new FakeTransport()
    const p = make(t)
    const md = await p.send({ topic: 'a', key: 'k1', value: 'v', timestamp: 1234 })
    expect(md).toEqual({ topic: 'a', partition: partitionForKey(Buffer.from('k1'), 3), offset: 0, timestamp: 1234 })
    const viaCb = await new Promise<RecordMetadata | null>((resolve, reject) => p.send({ topic: 'a', key: 'k1', value: 'w' }, (err, m) => (err !== null ? reject(err) : resolve(m))))
    expect(viaCb?.offset).toBe(1)
  })

  it('batches many records per partition and one request per broker', async () => {
    const t = new FakeTransport()
    const p = make(t, { lingerMs: 60_000 })
    const sends = Array.from({ length: 300 }, (_, i) => p.send({ topic: 'a', key: `key-${i}`, value: `v${i}` }))
    await p.flush() // linger is a minute: only flush sends, so everything goes in one request
    const all = await Promise.all(sends)
    expect(t.requests.length).toBe(1)
    expect(t.requests[0]?.batches.length).toBe(3)
    // Per partition, offsets follow send order.
    for (let part = 0; part < 3; part++) {
      const offs = all.filter((m) => m.partition === part).map((m) => m.offset)
      expect(offs).toEqual(offs.map((_, i) => i))
    }
  })

  it('an explicit partition out of range rejects with InvalidPartitionError (not wrapped, not modulo)', async () => {
    const p = make(new FakeTransport())
    const err = await p.send({ topic: 'a', value: 'x', partition: 3 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidPartitionError)
    expect((err as Error).message).toContain('partition 3')
  })

  it('an explicit partition past int32 rejects with InvalidPartitionError, also when the send waits for metadata', async () => {
    const p = make(new FakeTransport())
    // the first send of a topic waits for its metadata in the blocked-send queue, whose int32 slots
    // would wrap 2^32 + 1 to partition 1 (the review of send-queue.ts found it)
    const first = await p.send({ topic: 'a', value: 'x', partition: 2 ** 32 + 1 }).catch((e: unknown) => e)
    expect(first).toBeInstanceOf(InvalidPartitionError)
    expect((first as Error).message).toContain('0 to 2147483647')
    await p.send({ topic: 'a', value: 'y', partition: 1 })
    await expect(p.send({ topic: 'a', value: 'z', partition: 2 ** 31 })).rejects.toBeInstanceOf(InvalidPartitionError)
  })

  it('rejects a record above maxRequestSize at once with RecordTooLargeError', async () => {
    const p = make(new FakeTransport(), { maxRequestSize: 1000 })
    await expect(p.send({ topic: 'a', value: Buffer.alloc(2000) })).rejects.toBeInstanceOf(RecordTooLargeError)
  })

  it('close({ timeoutMs }) above what a timer can hold waits for delivery instead of failing records at once', async () => {
    const t = new FakeTransport()
    let release: (() => void) | undefined
    const held = new Promise<void>((r) => (release = r))
    t.onProduce = async (req) => {
      await held
      return t.ok(req)
    }
    const p = make(t)
    const sent = p.send({ topic: 'a', value: 'v' })
    await until(() => t.requests.length === 1)
    const closing = p.close({ timeoutMs: 2 ** 31 })
    await sleep(50) // Node would fire a 2^31 ms timer after 1 ms
    release?.()
    await closing
    await expect(sent).resolves.toMatchObject({ topic: 'a', offset: 0 })
  })

  it('zero request and connection-setup timeouts are refused at construction', () => {
    expect(() => make(new FakeTransport(), { requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/)
    expect(() => make(new FakeTransport(), { socketConnectionSetupTimeoutMs: 0 })).toThrow(/socketConnectionSetupTimeoutMs/)
  })

  it('flush() waits for the callbacks of sends rejected before reaching a batch', async () => {
    const p = make(new FakeTransport(), { maxRequestSize: 1000 })
    const seen: string[] = []
    await (async () => {
      // inside an async function the await below runs before process.nextTick callbacks unless flush waits for them
      p.send({ topic: 'a', value: Buffer.alloc(2000) }, (err) => seen.push(err?.name ?? 'ok'))
      await p.flush()
      expect(seen).toEqual(['RecordTooLargeError'])
    })()
  })

  it('an unknown topic rejects after maxBlockMs with an error naming the topic', async () => {
    const t = new FakeTransport()
    t.topicError = 3
    const p = make(t, { maxBlockMs: 200, retryBackoffMs: 10 })
    const err = await p.send({ topic: 'nope', value: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).option).toBe('maxBlockMs')
    expect((err as Error).message).toContain('"nope"')
    expect((err as Error).message).toContain('UNKNOWN_TOPIC_OR_PARTITION')
    expect(t.metadataCalls).toBeGreaterThan(1)
  })

  // Issue 13: as Java's Metadata.checkUnauthorizedTopics (TopicAuthorizationException), typed and with code 29.
  it('an unauthorized topic rejects at once with TopicAuthorizationFailedError', async () => {
    const t = new FakeTransport()
    t.topicError = 29
    const p = make(t, { maxBlockMs: 60_000 })
    await expect(p.send({ topic: 'secret', value: 'x' })).rejects.toMatchObject({ name: 'TopicAuthorizationFailedError', code: 29, errorName: 'TOPIC_AUTHORIZATION_FAILED' })
  })

  it('retries NOT_LEADER_OR_FOLLOWER and follows the KIP-951 leader hint', async () => {
    const t = new FakeTransport()
    let first = true
    t.onProduce = (req) => {
      if (first) {
        first = false
        return t.ok(req, () => ({ errorCode: 6, currentLeader: { leaderId: 2, leaderEpoch: 5 } }))
      }
      return t.ok(req)
    }
    const p = make(t, { retryBackoffMs: 1, partitioner: () => 0 })
    const md = await p.send({ topic: 'a', value: 'x' })
    expect(md.offset).toBe(0)
    expect(t.requests.map((r) => r.nodeId)).toEqual([1, 2])
    expect(p.metrics()['record-retry-total']).toBe(1)
  })

  it('fails a batch with a non-retriable error as KafkaProtocolError, per-record errors kept', async () => {
    const t = new FakeTransport()
    t.onProduce = (req) => t.ok(req, () => ({ errorCode: 87, recordErrors: [{ batchIndex: 1, message: 'bad one' }], errorMessage: 'invalid' }))
    const p = make(t, { partitioner: () => 0 })
    const results = await Promise.allSettled([p.send({ topic: 'a', value: '0' }), p.send({ topic: 'a', value: '1' })])
    const errs = results.map((r) => (r.status === 'rejected' ? (r.reason as KafkaProtocolError) : null))
    expect(errs[0]).toBeInstanceOf(KafkaProtocolError)
    expect(errs[1]?.errorName).toBe('INVALID_RECORD')
    expect(errs[1]?.message).toContain('bad one')
    expect(errs[0]?.message).not.toContain('bad one')
    expect(p.metrics()['record-error-total']).toBe(2)
  })

  for (const enableIdempotence of [false, true]) {
    it(`splits a batch the broker finds too large and delivers every record in order (idempotence ${enableIdempotence})`, async () => {
      const t = new FakeTransport()
      // The "broker" accepts batches of at most 3 records.
      t.onProduce = (req) => t.ok(req, (_topic, partition) => ((req.batches.find((b) => b.partition === partition)?.batch.recordCount ?? 0) > 3 ? { errorCode: 10 } : undefined))
      // Without idempotence only one request in flight keeps the halves in order (documented).
      const p = make(t, { lingerMs: 60_000, partitioner: () => 0, enableIdempotence, acks: enableIdempotence ? 'all' : 1, maxInFlightRequestsPerConnection: enableIdempotence ? 5 : 1, compressionType: 'gzip' })
      const sends = Array.from({ length: 10 }, (_, i) => p.send({ topic: 'a', value: `v${i}`, headers: [['i', String(i)]] }))
      await p.flush()
      const mds = await Promise.all(sends)
      expect(mds.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      const accepted = t.requests.flatMap((r) => r.batches.filter((b) => b.batch.recordCount <= 3))
      expect(accepted.flatMap((b) => (b.batch.records ?? []).map((r) => Buffer.from(r.value ?? []).toString()))).toEqual(mds.map((_, i) => `v${i}`))
      if (enableIdempotence) expect(accepted.map((b) => b.batch.baseSequence)).toEqual([0, 3, 5, 8])
      expect(p.metrics()['batch-split-total']).toBeGreaterThan(0)
    })
  }

  it('a single record larger than the topic allows fails with MESSAGE_TOO_LARGE', async () => {
    const t = new FakeTransport()
    t.onProduce = (req) => t.ok(req, () => ({ errorCode: 10 }))
    const p = make(t)
    const err = (await p.send({ topic: 'a', value: 'x' }).catch((e: unknown) => e)) as KafkaProtocolError
    expect(err).toBeInstanceOf(KafkaProtocolError)
    expect(err.errorName).toBe('MESSAGE_TOO_LARGE')
  })

  it('deliveryTimeoutMs fails records whose request never completes, exactly once', async () => {
    const t = new FakeTransport()
    t.onProduce = () => new Promise(() => {}) // the broker never answers
    const p = make(t, { lingerMs: 0, requestTimeoutMs: 50, deliveryTimeoutMs: 120 })
    let settled = 0
    const errors: unknown[] = []
    for (let i = 0; i < 5; i++) {
      p.send({ topic: 'a', value: `v${i}` }, (err) => {
        settled++
        errors.push(err)
      })
    }
    await until(() => settled >= 5)
    await sleep(50) // nothing may settle twice
    expect(settled).toBe(5)
    for (const e of errors) {
      expect(e).toBeInstanceOf(TimeoutError)
      expect((e as TimeoutError).option).toBe('deliveryTimeoutMs')
    }
  })

  it('flush resolves only after every earlier send settled', async () => {
    const t = new FakeTransport()
    const gates: Array<() => void> = []
    t.onProduce = (req) => new Promise((resolve) => gates.push(() => resolve(t.ok(req))))
    const p = make(t, { lingerMs: 10_000 })
    const sends = [p.send({ topic: 'a', value: '1' }), p.send({ topic: 'a', value: '2', key: 'x' })]
    let flushed = false
    const f = p.flush().then(() => (flushed = true))
    await until(() => t.requests.length > 0) // linger is 10 s: only flush makes the batches ready
    expect(flushed).toBe(false)
    for (const g of gates.splice(0)) g()
    await f
    await Promise.all(sends)
    expect(flushed).toBe(true)
  })

  it('close() drains, then rejects new sends with ProducerClosedError', async () => {
    const t = new FakeTransport()
    const p = make(t, { lingerMs: 10_000 })
    const s = p.send({ topic: 'a', value: '1' })
    await p.close()
    expect((await s).offset).toBe(0)
    await expect(p.send({ topic: 'a', value: '2' })).rejects.toBeInstanceOf(ProducerClosedError)
    expect(t.closed).toBe(true)
  })

  it('close({ timeoutMs: 0 }) fails what is pending', async () => {
    const t = new FakeTransport()
    t.onProduce = () => new Promise(() => {})
    const p = make(t, { lingerMs: 0 })
    const s = p.send({ topic: 'a', value: '1' })
    await sleep(20)
    await p.close({ timeoutMs: 0 })
    await expect(s).rejects.toBeInstanceOf(ProducerClosedError)
    expect(t.closed).toBe(true)
  })

  it('a fire-and-forget failure never becomes an unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (r: unknown): void => {
      unhandled.push(r)
    }
    process.on('unhandledRejection', onUnhandled)
    try {
      const p = make(new FakeTransport())
      void p.send({ topic: 'a', value: 'x', partition: 99 })
      p.send({ topic: 'a', value: 'x', partition: 99 }) // result dropped entirely
      await sleep(50)
      expect(unhandled).toEqual([])
      expect(p.metrics()['record-error-total']).toBe(2)
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('interceptors: onSend may replace the record, a throwing one is skipped, onAcknowledgement sees each record', async () => {
    const acks: Array<[RecordMetadata | null, Error | null]> = []
    const warnings: string[] = []
    const p = make(new FakeTransport(), {
      logger: { warn: (m) => warnings.push(m) },
      interceptors: [
        { onSend: () => { throw new Error('boom') } },
        { onSend: (r: { topic: string; value: unknown }) => ({ ...r, topic: 'b' }), onAcknowledgement: (m: RecordMetadata | null, e: Error | null) => acks.push([m, e]) },
      ] as never,
    })
    const md = await p.send({ topic: 'a', value: 'x' })
    expect(md.topic).toBe('b')
    expect(acks.length).toBe(1)
    expect(acks[0]?.[0]?.topic).toBe('b')
    expect(warnings.some((w) => w.includes('onSend'))).toBe(true)
  })

  it('a send waiting for an unknown topic does not hold up other topics', async () => {
    const t = new FakeTransport()
    const realMetadata = t.metadata.bind(t)
    t.metadata = async (topics) => {
      const r = await realMetadata(topics)
      return { ...r, topics: r.topics.map((x) => (x.topic === 'missing' ? { ...x, errorCode: 3, partitions: [] } : x)) }
    }
    const p = make(t, { maxBlockMs: 1500, retryBackoffMs: 10 })
    const order: string[] = []
    const missing = p.send({ topic: 'missing', value: 'x' }).catch((e: unknown) => {
      order.push('missing')
      return e
    })
    const md = await p.send({ topic: 'present', value: 'y' })
    order.push('present')
    expect(md.topic).toBe('present')
    expect(await missing).toBeInstanceOf(TimeoutError)
    expect(order).toEqual(['present', 'missing'])
  })

  it('close() stops a producer-id loop against an unreachable cluster and fails pending sends', async () => {
    const t = new FakeTransport()
    t.initScript = Array.from({ length: 1000 }, () => new NetworkError('fake:1', 'connection refused'))
    const p = make(t, { retryBackoffMs: 5, retryBackoffMaxMs: 5 })
    const s = p.send({ topic: 'a', value: 'x' })
    await until(() => t.initCalls.length > 1)
    await p.close({ timeoutMs: 0 })
    await expect(s).rejects.toBeInstanceOf(ProducerClosedError)
    const calls = t.initCalls.length
    await sleep(60)
    expect(t.initCalls.length).toBeLessThanOrEqual(calls + 1)
  })

  it('serializers and both header shapes reach the batch', async () => {
    const t = new FakeTransport()
    const p = new Producer<{ id: number }, { n: number }>({ bootstrapServers: ['fake:1'], logger: {}, keySerializer: 'json', valueSerializer: 'json' }, { transport: t })
    producers.push(p as unknown as Producer)
    await p.send({ topic: 'a', key: { id: 1 }, value: { n: 2 }, headers: [['h', 'a'], ['h', Buffer.from('b')]] })
    await p.send({ topic: 'a', key: { id: 1 }, value: { n: 3 }, headers: { x: ['1', '2'], y: null } })
    const recs = t.requests.flatMap((r) => r.batches.flatMap((b) => b.batch.records ?? []))
    expect(Buffer.from(recs[0]?.key ?? []).toString()).toBe('{"id":1}')
    expect(Buffer.from(recs[0]?.value ?? []).toString()).toBe('{"n":2}')
    expect(recs[0]?.headers.map(([k, v]) => [k, Buffer.from(v ?? []).toString()])).toEqual([['h', 'a'], ['h', 'b']])
    expect(recs[1]?.headers.map(([k, v]) => [k, v === null ? null : Buffer.from(v).toString()])).toEqual([['x', '1'], ['x', '2'], ['y', null]])
  })

  it('publishes diagnostics_channel events and Java-named metrics', async () => {
    const seen: Record<string, number> = {}
    const names = ['kafka-wire:producer:send', 'kafka-wire:producer:batch-ready', 'kafka-wire:producer:request-sent', 'kafka-wire:producer:response-received']
    const handlers = names.map((n) => {
      const h = (): void => {
        seen[n] = (seen[n] ?? 0) + 1
      }
      subscribe(n, h)
      return [n, h] as const
    })
    try {
      const p = make(new FakeTransport(), { partitioner: () => 0 })
      await Promise.all([p.send({ topic: 'a', value: '1' }), p.send({ topic: 'a', value: '2' })])
      expect(seen).toEqual({ 'kafka-wire:producer:send': 2, 'kafka-wire:producer:batch-ready': 1, 'kafka-wire:producer:request-sent': 1, 'kafka-wire:producer:response-received': 1 })
      const m = p.metrics()
      for (const k of ['record-send-rate', 'record-error-rate', 'batch-size-avg', 'records-per-request-avg', 'request-latency-avg', 'request-latency-max', 'buffer-available-bytes', 'waiting-threads', 'produce-throttle-time-avg', 'record-queue-time-avg'] as const) {
        expect(typeof m[k]).toBe('number')
      }
      expect(m['record-send-total']).toBe(2)
      expect(m['records-per-request-avg']).toBe(2)
      expect(m['buffer-available-bytes']).toBe(m['buffer-total-bytes'])
    } finally {
      for (const [n, h] of handlers) unsubscribe(n, h)
    }
  })

  it('the default logger writes warnings and errors to stderr only', async () => {
    const writes: string[] = []
    const orig = process.stderr.write.bind(process.stderr)
    process.stderr.write = ((chunk: string) => {
      writes.push(String(chunk))
      return true
    }) as typeof process.stderr.write
    try {
      const t = new FakeTransport()
      const p = new Producer({ bootstrapServers: ['fake:1'], interceptors: [{ onSend: () => { throw new Error('bad interceptor') } }] as never }, { transport: t })
      producers.push(p)
      await p.send({ topic: 'a', value: 'x' })
    } finally {
      process.stderr.write = orig
    }
    expect(writes.some((w) => w.includes('WARN') && w.includes('onSend'))).toBe(true)
    expect(writes.some((w) => w.includes('DEBUG') || w.includes('INFO'))).toBe(false)
  })

  it('refreshes metadata every metadataMaxAgeMs while sending', async () => {
    const t = new FakeTransport()
    const p = make(t, { metadataMaxAgeMs: 30, lingerMs: 0, retryBackoffMs: 1 })
    await p.send({ topic: 'a', value: '1' })
    const before = t.metadataCalls
    await sleep(60)
    await p.send({ topic: 'a', value: '2' })
    await until(() => t.metadataCalls > before)
    expect(t.metadataCalls).toBeGreaterThan(before)
  })

  it('accepts Uint8Array keys and values (hashed like Buffers) and null keys', async () => {
    const t = new FakeTransport()
    const p = make(t)
    const key = new Uint8Array([1, 2, 3, 4, 5])
    const md = await p.send({ topic: 'a', key, value: new Uint8Array([9, 8]) })
    expect(md.partition).toBe(partitionForKey(Buffer.from([1, 2, 3, 4, 5]), 3))
    await p.send({ topic: 'a', key: null, value: null })
    const recs = t.requests.flatMap((r) => r.batches.flatMap((b) => b.batch.records ?? []))
    expect([...(recs[0]?.value ?? [])]).toEqual([9, 8])
    expect(recs[1]?.key).toBeNull()
    expect(recs[1]?.value).toBeNull()
  })

  it('acks=0 resolves with offset -1', async () => {
    const t = new FakeTransport()
    t.onProduce = () => null
    const p = make(t, { acks: 0 })
    expect((await p.send({ topic: 'a', value: 'x' })).offset).toBe(-1)
    expect(t.requests[0]?.data.acks).toBe(0)
  })

  it('bufferMemory: sends beyond it wait, then reject after maxBlockMs; the accepted ones are delivered; none both', async () => {
    const t = new FakeTransport()
    const gates: Array<() => void> = []
    t.onProduce = (req) => new Promise((resolve) => gates.push(() => resolve(t.ok(req))))
    const p = make(t, { batchSize: 1000, bufferMemory: 3000, maxBlockMs: 100, lingerMs: 0, partitioner: () => 0 })
    const outcome = new Map<number, string>()
    const sends: Array<Promise<unknown>> = []
    for (let i = 0; i < 60; i++) {
      sends.push(p.send({ topic: 'a', value: Buffer.alloc(400, i) }).then(
        () => outcome.set(i, outcome.has(i) ? 'twice' : 'ok'),
        (e: unknown) => outcome.set(i, outcome.has(i) ? 'twice' : e instanceof TimeoutError && e.option === 'maxBlockMs' ? 'timeout' : `other ${String(e)}`),
      ))
    }
    await new Promise((r) => setImmediate(r))
    expect(p.metrics()['waiting-threads']).toBeGreaterThan(0)
    await until(() => [...outcome.values()].includes('timeout'))
    while (gates.length > 0) {
      for (const g of gates.splice(0)) g()
      await sleep(10)
    }
    await Promise.all(sends)
    const values = [...outcome.values()]
    expect(values.filter((v) => v === 'twice' || v.startsWith('other'))).toEqual([])
    const ok = values.filter((v) => v === 'ok').length
    expect(ok).toBeGreaterThan(0)
    expect(values.filter((v) => v === 'timeout').length).toBeGreaterThan(0)
    // Everything accepted reached the log, in send order.
    const delivered = t.requests.flatMap((r) => r.batches.flatMap((b) => (b.batch.records ?? []).map((rec) => rec.value?.[0] as number)))
    expect(delivered.length).toBe(ok)
    expect(delivered).toEqual([...delivered].sort((x, y) => x - y))
    expect(p.metrics()['buffer-available-bytes']).toBe(3000)
  })
})

describe('Producer idempotence (scripted transport)', () => {
  function seqs(reqs: SeenRequest[]): Array<[number, number, number, number]> {
    return reqs.flatMap((r) => r.batches.map((b) => [b.partition, Number(b.batch.producerId), b.batch.producerEpoch, b.batch.baseSequence] as [number, number, number, number]))
  }

  it('gets a producer id and assigns sequences per partition at drain', async () => {
    const t = new FakeTransport()
    const p = make(t, { lingerMs: 0, partitioner: ({ value }) => (value?.[0] ?? 0) % 2 })
    for (let round = 0; round < 3; round++) await Promise.all([0, 1, 0].map((v) => p.send({ topic: 'a', value: Buffer.from([v]) })))
    expect(t.initCalls).toEqual([[-1n, -1]])
    const s = seqs(t.requests)
    const p0 = s.filter((x) => x[0] === 0).map((x) => x[3])
    const p1 = s.filter((x) => x[0] === 1).map((x) => x[3])
    expect(p0).toEqual([0, 2, 4])
    expect(p1).toEqual([0, 1, 2])
    expect(s.every((x) => x[1] === 1000 && x[2] === 0)).toBe(true)
  })

  it('DUPLICATE_SEQUENCE_NUMBER counts as success', async () => {
    const t = new FakeTransport()
    t.onProduce = (req) => t.ok(req, () => ({ errorCode: 46 }))
    const p = make(t)
    expect((await p.send({ topic: 'a', value: 'x' })).offset).toBe(-1)
  })

  it('a retried batch goes before newer batches of its partition with its original sequence', async () => {
    const t = new FakeTransport()
    let n = 0
    t.onProduce = (req) => (n++ === 0 ? t.ok(req, () => ({ errorCode: 7 })) : t.ok(req)) // REQUEST_TIMED_OUT once
    const p = make(t, { lingerMs: 0, retryBackoffMs: 20, partitioner: () => 0 })
    const a = p.send({ topic: 'a', value: 'first' })
    // "second" must go into a later batch: wait until "first" was drained (not a fixed sleep: on a
    // loaded machine InitProducerId and metadata may take longer than a few ms).
    await until(() => t.requests.length > 0)
    const b = p.send({ topic: 'a', value: 'second' })
    await Promise.all([a, b])
    const order = t.requests.flatMap((r) => r.batches.map((x) => [Buffer.from(x.batch.records?.[0]?.value ?? []).toString(), x.batch.baseSequence]))
    // first (seq 0) fails, is re-sent with seq 0 before second (seq 1) is accepted.
    expect(order[0]).toEqual(['first', 0])
    const accepted = order.slice(1)
    expect(accepted.map((x) => x[0]).indexOf('first')).toBeLessThan(accepted.map((x) => x[0]).lastIndexOf('second'))
    expect((await a).offset).toBeLessThan((await b).offset)
  })

  it('OUT_OF_ORDER_SEQUENCE_NUMBER on the first batch in line bumps the epoch and restarts sequences at 0 (KIP-360)', async () => {
    const t = new FakeTransport()
    let n = 0
    t.onProduce = (req) => (n++ === 1 ? t.ok(req, () => ({ errorCode: 45 })) : t.ok(req))
    const p = make(t, { lingerMs: 0, retryBackoffMs: 1, partitioner: () => 0 })
    await p.send({ topic: 'a', value: '1' })
    await p.send({ topic: 'a', value: '2' })
    const s = seqs(t.requests).map((x) => [x[2], x[3]])
    expect(s).toEqual([[0, 0], [0, 1], [1, 0]])
    expect(t.initCalls.length).toBe(1) // local bump, no new InitProducerId
  })

  it('PRODUCER_FENCED is fatal: pending and later sends fail with ProducerFencedError', async () => {
    const t = new FakeTransport()
    t.onProduce = (req) => t.ok(req, () => ({ errorCode: 90 }))
    const p = make(t)
    await expect(p.send({ topic: 'a', value: 'x' })).rejects.toBeInstanceOf(ProducerFencedError)
    await expect(p.send({ topic: 'a', value: 'y' })).rejects.toBeInstanceOf(ProducerFencedError)
  })

  it('an exhausted epoch gets a new producer id, and sequences restart at 0', async () => {
    const t = new FakeTransport()
    t.initScript = [{ errorCode: 0, producerId: 5n, producerEpoch: 32766, throttleTimeMs: 0 }, { errorCode: 0, producerId: 6n, producerEpoch: 0, throttleTimeMs: 0 }]
    let n = 0
    t.onProduce = (req) => (n++ === 1 ? t.ok(req, () => ({ errorCode: 45 })) : t.ok(req))
    const p = make(t, { lingerMs: 0, retryBackoffMs: 1, partitioner: () => 0 })
    await p.send({ topic: 'a', value: '1' })
    await p.send({ topic: 'a', value: '2' })
    expect(t.initCalls).toEqual([[-1n, -1], [-1n, -1]])
    expect(seqs(t.requests)).toEqual([[0, 5, 32766, 0], [0, 5, 32766, 1], [0, 6, 0, 0]])
  })

  it('retries InitProducerId on retriable errors', async () => {
    const t = new FakeTransport()
    t.initScript = [{ errorCode: 15, producerId: -1n, producerEpoch: -1, throttleTimeMs: 0 }, { errorCode: 0, producerId: 7n, producerEpoch: 3, throttleTimeMs: 0 }]
    const p = make(t, { retryBackoffMs: 1 })
    await p.send({ topic: 'a', value: 'x' })
    expect(t.initCalls.length).toBe(2)
    expect(Number(t.requests[0]?.batches[0]?.batch.producerId)).toBe(7)
    expect(t.requests[0]?.batches[0]?.batch.producerEpoch).toBe(3)
  })
})
