/**
 * Writer.shareLargeBytes: large byte fields are kept by reference, and the chunks must equal, byte
 * for byte, what the copying writer produces, including size prefixes patched after the writer grew.
 */
import { describe, expect, it } from 'vitest'
import { Writer } from '../../../src/protocol/writer.js'

function encode(w: Writer, blobs: Uint8Array[]): void {
  const sizeAt = w.reserveInt32()
  w.int16(7).compactString('topic')
  for (const b of blobs) w.int32(b.length).raw(b).compactNullableBytes(b)
  w.uvarint(0)
  w.patchInt32(sizeAt, w.length - 4)
}

describe('Writer.shareLargeBytes', () => {
  const blobs = [Buffer.alloc(10, 1), Buffer.alloc(5000, 2), Buffer.alloc(3000, 3), Buffer.alloc(100, 4)]

  it('chunks concatenate to the copied encoding, size prefix included, after growing', () => {
    const plain = new Writer(16)
    encode(plain, blobs)
    const shared = new Writer(16).shareLargeBytes(1000)
    encode(shared, blobs)
    const chunks = shared.finishChunks()
    expect(chunks.length).toBeGreaterThan(1)
    expect(shared.length).toBe(plain.length)
    expect(Buffer.concat(chunks)).toEqual(plain.finish())
    expect(shared.finish()).toEqual(plain.finish())
    expect(plain.finish().readInt32BE(0)).toBe(plain.length - 4)
  })

  it('keeps shared arrays by reference (no copy)', () => {
    const w = new Writer(64).shareLargeBytes(1000)
    encode(w, blobs)
    const chunks = w.finishChunks()
    expect(chunks.filter((c) => c === blobs[1]).length).toBe(2)
    expect(chunks.filter((c) => c === blobs[0]).length).toBe(0)
  })

  it('without sharing, finishChunks is the single view finish() returns', () => {
    const w = new Writer(64)
    encode(w, blobs)
    expect(w.finishChunks()).toEqual([w.finish()])
  })
})
