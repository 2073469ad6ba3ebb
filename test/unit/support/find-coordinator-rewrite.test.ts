/** The proxy's FindCoordinator rewrite, per layout (v0, v1-2, v3 flexible, v4+ coordinators array). */
import { describe, expect, it } from 'vitest'
import { Reader } from '../../../src/protocol/reader.js'
import { Writer } from '../../../src/protocol/writer.js'
import { rewriteFindCoordinator } from '../../support/find-coordinator-rewrite.js'

const map = async (host: string, port: number): Promise<number> => (host === 'kafka-2.example' && port === 9093 ? 40002 : 40000 + port % 10)
const tag = { tag: 7, data: Uint8Array.from([1, 2, 3]) }

describe('rewriteFindCoordinator', () => {
  it('v0: error, node, host, port', async () => {
    const inp = new Writer(64).int32(11).int16(0).int32(2).string('kafka-2.example').int32(9093).finish()
    const out = new Reader(await rewriteFindCoordinator(inp, 0, map))
    expect([out.int32('c'), out.int16('e'), out.int32('n'), out.string('h'), out.int32('p'), out.remaining]).toEqual([11, 0, 2, '127.0.0.1', 40002, 0])
  })

  it('v2: throttle and error message kept', async () => {
    const inp = new Writer(64).int32(12).int32(5).int16(0).nullableString(null).int32(2).string('kafka-2.example').int32(9093).finish()
    const out = new Reader(await rewriteFindCoordinator(inp, 2, map))
    expect([out.int32('c'), out.int32('t'), out.int16('e'), out.nullableString('m'), out.int32('n'), out.string('h'), out.int32('p'), out.remaining]).toEqual([12, 5, 0, null, 2, '127.0.0.1', 40002, 0])
  })

  it('v3: flexible, header and body tagged fields copied through', async () => {
    const inp = new Writer(64).int32(13).taggedFields([tag]).int32(0).int16(15).compactNullableString('not yet').int32(-1).compactString('').int32(-1).taggedFields([tag]).finish()
    // a not-found coordinator (node -1, "" , -1) stays as it is: the output equals the input
    expect(Buffer.from(await rewriteFindCoordinator(inp, 3, map)).equals(inp)).toBe(true)
    const found = new Writer(64).int32(13).taggedFields().int32(0).int16(0).compactNullableString(null).int32(2).compactString('kafka-2.example').int32(9093).taggedFields([tag]).finish()
    const want = new Writer(64).int32(13).taggedFields().int32(0).int16(0).compactNullableString(null).int32(2).compactString('127.0.0.1').int32(40002).taggedFields([tag]).finish()
    expect(Buffer.from(await rewriteFindCoordinator(found, 3, map)).equals(want)).toBe(true)
  })

  it('v4+: every coordinator of the array rewritten, keys and errors kept', async () => {
    const inp = new Writer(128).int32(14).taggedFields().int32(0).compactArrayLength(2)
      .compactString('group-a').int32(2).compactString('kafka-2.example').int32(9093).int16(0).compactNullableString(null).taggedFields()
      .compactString('group-b').int32(-1).compactString('').int32(-1).int16(15).compactNullableString('x').taggedFields([tag])
      .taggedFields().finish()
    const want = new Writer(128).int32(14).taggedFields().int32(0).compactArrayLength(2)
      .compactString('group-a').int32(2).compactString('127.0.0.1').int32(40002).int16(0).compactNullableString(null).taggedFields()
      .compactString('group-b').int32(-1).compactString('').int32(-1).int16(15).compactNullableString('x').taggedFields([tag])
      .taggedFields().finish()
    expect(Buffer.from(await rewriteFindCoordinator(inp, 6, map)).equals(want)).toBe(true)
  })

  it('refuses unknown versions and trailing or missing bytes', async () => {
    await expect(rewriteFindCoordinator(new Uint8Array(8), 7, map)).rejects.toThrow(/v7/)
    const short = new Writer(16).int32(1).int16(0).finish()
    await expect(rewriteFindCoordinator(short, 0, map)).rejects.toThrow()
    const long = new Writer(64).int32(11).int16(0).int32(2).string('h').int32(1).int8(0).finish()
    await expect(rewriteFindCoordinator(long, 0, map)).rejects.toThrow(/unread/)
  })
})
