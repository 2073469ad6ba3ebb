import { describe, expect, it } from 'vitest'
import { Fifo } from '../../../src/network/fifo.js'

describe('Fifo', () => {
  it('keeps order across many pushes and shifts, including compaction', () => {
    const q = new Fifo<number>()
    let next = 0
    let expected = 0
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) q.push(next++)
      for (let i = 0; i < 60; i++) expect(q.shift()).toBe(expected++)
    }
    expect(q.length).toBe(next - expected)
    expect(q.peek()).toBe(expected)
    const rest = q.drain()
    expect(rest[0]).toBe(expected)
    expect(rest).toHaveLength(next - expected)
    expect(q.length).toBe(0)
    expect(q.shift()).toBeUndefined()
  })

  it('removes matching items and keeps the others in order', () => {
    const q = new Fifo<number>()
    for (let i = 0; i < 10; i++) q.push(i)
    q.shift()
    expect(q.removeWhere((n) => n % 3 === 0)).toEqual([3, 6, 9])
    expect(q.drain()).toEqual([1, 2, 4, 5, 7, 8])
  })
})
