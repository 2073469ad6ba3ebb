import { describe, expect, it } from 'vitest'
import { TimeoutError } from '../../../src/index.js'
import { BufferPool } from '../../../src/producer/buffer-pool.js'

describe('BufferPool', () => {
  it('reserves and releases', () => {
    const p = new BufferPool(100, 1000)
    expect(p.tryAllocate(60)).toBe(true)
    expect(p.tryAllocate(60)).toBe(false)
    p.release(60)
    expect(p.availableMemory).toBe(100)
  })

  it('serves waiters in FIFO order; a small request does not overtake a waiting large one', async () => {
    const p = new BufferPool(100, 10_000)
    expect(p.tryAllocate(100)).toBe(true)
    const order: string[] = []
    const big = p.allocate(80).then(() => order.push('big'))
    const small = p.allocate(10).then(() => order.push('small'))
    expect(p.tryAllocate(1)).toBe(false) // waiters first
    expect(p.queued).toBe(2)
    p.release(50)
    await Promise.resolve()
    expect(order).toEqual([])
    p.release(50)
    await Promise.all([big, small])
    expect(order).toEqual(['big', 'small'])
    expect(p.availableMemory).toBe(10)
  })

  it('rejects a wait after maxBlockMs with a TimeoutError naming the option, and lets the next waiter in', async () => {
    const p = new BufferPool(100, 30)
    p.tryAllocate(95)
    const big = p.allocate(50)
    const small = p.allocate(5)
    const err = await big.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).option).toBe('maxBlockMs')
    expect((err as Error).message).toContain('maxBlockMs')
    await small
    expect(p.availableMemory).toBe(0)
  })

  it('failAll rejects every waiter', async () => {
    const p = new BufferPool(10, 10_000)
    p.tryAllocate(10)
    const w = p.allocate(5)
    p.failAll(new Error('closed'))
    await expect(w).rejects.toThrow('closed')
    expect(p.queued).toBe(0)
  })
})
