/** The blocked-send FIFO keeps send order and every field of a send across ring wrap-around and growth. */
import { describe, expect, it } from 'vitest'
import { PreparedRecord } from '../../../src/producer/record-preparation.js'
import { SendQueue } from '../../../src/producer/send-queue.js'

function record(i: number): PreparedRecord {
  const cb = i % 3 === 0 ? (): void => {} : null
  const res = cb === null ? (): void => {} : null
  const rej = cb === null ? (): void => {} : null
  const r = new PreparedRecord(1_700_000_000_000 + i, cb, res, rej, null)
  r.topic = 't'
  r.explicitPartition = i % 4 === 0 ? undefined : i % 4
  r.key = i % 5 === 0 ? null : Buffer.from(`k${i}`)
  r.value = i % 7 === 0 ? null : Buffer.from(`v${i}`)
  r.headers = i % 2 === 0 ? null : [['h', Buffer.from(String(i))]]
  r.timestamp = 1_600_000_000_000 + i * 3
  r.size = 30 + i
  return r
}

describe('SendQueue', () => {
  it('serves sends in order with every field, across wrap-around and several doublings', () => {
    const q = new SendQueue('t', 4)
    const sent: PreparedRecord[] = []
    let next = 0
    const served: number[] = []
    // interleave pushes and shifts so the ring wraps before it grows, and grows while wrapped
    for (const [push, take] of [[3, 2], [3, 1], [6, 4], [40, 13], [0, 32]] as const) {
      for (let k = 0; k < push; k++) {
        const r = record(next++)
        sent.push(r)
        q.push(r)
      }
      for (let k = 0; k < take; k++) {
        const h = q.head()
        expect(h).toBeDefined()
        const want = sent[served.length] as PreparedRecord
        expect({ ...h }).toEqual({
          topic: 't', explicitPartition: want.explicitPartition, key: want.key, value: want.value, headers: want.headers,
          timestamp: want.timestamp, size: want.size, startMs: want.startMs, callback: want.callback, resolve: want.resolve, reject: want.reject,
        })
        // the same objects, not copies
        expect(h?.key).toBe(want.key)
        expect(h?.callback).toBe(want.callback)
        served.push(served.length)
        q.shift()
      }
    }
    expect(served.length).toBe(sent.length)
    expect(q.length).toBe(0)
    expect(q.head()).toBeUndefined()
    expect(q.pushed).toBe(52)
  })

  it('explicit partition 0 stays 0 and "none" stays undefined', () => {
    const q = new SendQueue('t')
    const a = record(1)
    a.explicitPartition = 0
    const b = record(2)
    b.explicitPartition = undefined
    q.push(a)
    q.push(b)
    expect(q.head()?.explicitPartition).toBe(0)
    q.shift()
    expect(q.head()?.explicitPartition).toBeUndefined()
  })

  it('waitServed resolves once the sends pushed before it were served, not before', async () => {
    const q = new SendQueue('t', 2)
    for (let i = 0; i < 3; i++) q.push(record(i))
    let done = false
    const w = q.waitServed(q.pushed).then(() => (done = true))
    q.push(record(3))
    q.shift()
    q.shift()
    await Promise.resolve()
    expect(done).toBe(false)
    q.shift()
    await w
    expect(done).toBe(true)
    expect(q.length).toBe(1)
    await expect(q.waitServed(0)).resolves.toBeUndefined()
  })

  it('keeps no caller memory of a served send', () => {
    const q = new SendQueue('t', 2)
    q.push(record(1))
    const h = q.head()
    q.shift()
    expect([h?.key, h?.value, h?.headers, h?.callback, h?.resolve, h?.reject]).toEqual([null, null, null, null, null, null])
  })
})
