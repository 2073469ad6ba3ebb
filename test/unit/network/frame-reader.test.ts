import { afterEach, describe, expect, it, vi } from 'vitest'
import { FrameReader, FrameSizeError } from '../../../src/network/frame-reader.js'

function frameOf(body: Buffer): Buffer {
  const f = Buffer.allocUnsafe(4 + body.length)
  f.writeInt32BE(body.length, 0)
  body.copy(f, 4)
  return f
}

function bodies(n: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(4 + (i * 7) % 23)
    b.writeInt32BE(i, 0)
    for (let j = 4; j < b.length; j++) b[j] = (i + j) & 0xff
    out.push(b)
  }
  return out
}

function collect(max = 1 << 20): { reader: FrameReader; frames: Buffer[] } {
  const frames: Buffer[] = []
  const reader = new FrameReader(max, (f) => frames.push(Buffer.from(f)))
  return { reader, frames }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('FrameReader', () => {
  it('emits every frame when many frames arrive in one chunk', () => {
    const want = bodies(50)
    const { reader, frames } = collect()
    reader.push(Buffer.concat(want.map(frameOf)))
    expect(frames).toEqual(want)
    expect(reader.bufferedBytes).toBe(0)
  })

  it('reassembles frames split at every possible byte boundary', () => {
    const want = bodies(6)
    const stream = Buffer.concat(want.map(frameOf))
    for (let cut = 1; cut < stream.length; cut++) {
      const { reader, frames } = collect()
      reader.push(stream.subarray(0, cut))
      reader.push(stream.subarray(cut))
      expect(frames, `cut at ${cut}`).toEqual(want)
    }
  })

  it('reassembles a stream fed one byte at a time', () => {
    const want = bodies(10)
    const stream = Buffer.concat(want.map(frameOf))
    const { reader, frames } = collect()
    for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1))
    expect(frames).toEqual(want)
  })

  it('hands out a frame inside one chunk as a view, without copying', () => {
    const chunk = Buffer.concat(bodies(3).map(frameOf))
    const views: Buffer[] = []
    new FrameReader(1024, (f) => views.push(f)).push(chunk)
    expect(views).toHaveLength(3)
    for (const v of views) expect(v.buffer).toBe(chunk.buffer)
  })

  it('allocates a frame spread over many chunks exactly once, at its final size', () => {
    const body = Buffer.alloc(1 << 20, 7)
    const stream = frameOf(body)
    const spy = vi.spyOn(Buffer, 'allocUnsafe')
    const { reader, frames } = collect(2 << 20)
    for (let i = 0; i < stream.length; i += 1000) reader.push(stream.subarray(i, i + 1000))
    const big = spy.mock.calls.filter(([n]) => n >= 1000)
    expect(big).toEqual([[body.length]])
    expect(frames).toHaveLength(1)
    expect(frames[0]?.equals(body)).toBe(true)
  })

  it('rejects a size prefix above the limit before allocating anything', () => {
    const { reader, frames } = collect(100 * 1024 * 1024)
    const prefix = Buffer.from([0x7f, 0xff, 0xff, 0xff]) // 2 GiB - 1
    const small = collect(100).reader
    const justOver = Buffer.from([0, 0, 0, 101, 1, 2])
    const spy = vi.spyOn(Buffer, 'allocUnsafe')
    expect(() => reader.push(prefix)).toThrow(FrameSizeError)
    expect(() => small.push(justOver)).toThrow(/frame size prefix 101 outside 4\.\.100/)
    expect(spy).not.toHaveBeenCalled()
    expect(frames).toHaveLength(0)
  })

  it('rejects a 2 GiB (negative int32) prefix even when it straddles chunks', () => {
    const { reader } = collect()
    const first = Buffer.from([0x80, 0x00])
    const second = Buffer.from([0x00, 0x00, 0xaa])
    const spy = vi.spyOn(Buffer, 'allocUnsafe')
    reader.push(first)
    expect(() => reader.push(second)).toThrow(/-2147483648/)
    expect(spy).not.toHaveBeenCalled()
  })

  it('rejects a frame too small to hold a correlation id', () => {
    const { reader } = collect()
    expect(() => reader.push(Buffer.from([0, 0, 0, 3, 1, 2, 3]))).toThrow(FrameSizeError)
  })

  it('keeps a partial frame and reports it as buffered', () => {
    const { reader, frames } = collect()
    const stream = frameOf(Buffer.alloc(100, 1))
    reader.push(stream.subarray(0, 50))
    expect(frames).toHaveLength(0)
    expect(reader.bufferedBytes).toBe(50)
    reader.reset()
    expect(reader.bufferedBytes).toBe(0)
  })
})
