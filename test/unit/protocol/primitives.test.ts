// Writer/Reader primitives, with the varint vectors from Kafka's ByteUtilsTest.
import { InvalidArgumentError } from '../../../src/kafka-wire-error.js'
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../src/protocol/errors.js'
import { Reader } from '../../../src/protocol/reader.js'
import { sizeOfUnsignedVarint, sizeOfVarint, sizeOfVarlong, uuidFromBytes, uuidToBytes, Writer, ZERO_UUID } from '../../../src/protocol/writer.js'

const hex = (w: Writer): string => w.finish().toString('hex')
const reader = (h: string): Reader => new Reader(Buffer.from(h.replace(/ /g, ''), 'hex'))

// ByteUtilsTest.testUnsignedVarintSerde (values as Java ints; negative ones are their uint32 bits).
const UVARINT: [number, string][] = [
  [0, '00'], [-1, 'ffffffff0f'], [1, '01'], [63, '3f'], [-64, 'c0ffffff0f'], [64, '40'], [8191, 'ff3f'],
  [-8192, '80c0ffff0f'], [8192, '8040'], [-8193, 'ffbfffff0f'], [1048575, 'ffff3f'], [1048576, '808040'],
  [2147483647, 'ffffffff07'], [-2147483648, '8080808008'],
]
// ByteUtilsTest.testVarintSerde
const VARINT: [number, string][] = [
  [0, '00'], [-1, '01'], [1, '02'], [63, '7e'], [-64, '7f'], [64, '8001'], [-65, '8101'], [8191, 'fe7f'],
  [-8192, 'ff7f'], [8192, '808001'], [-8193, '818001'], [1048575, 'feff7f'], [-1048576, 'ffff7f'],
  [1048576, '80808001'], [-1048577, '81808001'], [134217727, 'feffff7f'], [-134217728, 'ffffff7f'],
  [134217728, '8080808001'], [-134217729, '8180808001'], [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f'],
]
// ByteUtilsTest.testVarlongSerde (the int-range entries are the same as VARINT)
const VARLONG: [bigint, string][] = [
  ...VARINT.map(([v, h]): [bigint, string] => [BigInt(v), h]),
  [17179869183n, 'feffffff7f'], [-17179869184n, 'ffffffff7f'], [17179869184n, '808080808001'], [-17179869185n, '818080808001'],
  [2199023255551n, 'feffffffff7f'], [-2199023255552n, 'ffffffffff7f'], [2199023255552n, '80808080808001'], [-2199023255553n, '81808080808001'],
  [281474976710655n, 'feffffffffff7f'], [-281474976710656n, 'ffffffffffff7f'], [281474976710656n, '8080808080808001'], [-281474976710657n, '8180808080808001'],
  [36028797018963967n, 'feffffffffffff7f'], [-36028797018963968n, 'ffffffffffffff7f'], [36028797018963968n, '808080808080808001'], [-36028797018963969n, '818080808080808001'],
  [4611686018427387903n, 'feffffffffffffff7f'], [-4611686018427387904n, 'ffffffffffffffff7f'], [4611686018427387904n, '80808080808080808001'], [-4611686018427387905n, '81808080808080808001'],
  [9223372036854775807n, 'feffffffffffffffff01'], [-9223372036854775808n, 'ffffffffffffffffff01'],
]

describe('varints (Kafka ByteUtilsTest vectors)', () => {
  it('unsigned varint', () => {
    for (const [v, h] of UVARINT) {
      expect(hex(new Writer(1).uvarint(v)), String(v)).toBe(h)
      expect(reader(h).uvarint('x'), String(v)).toBe(v >>> 0)
      expect(sizeOfUnsignedVarint(v >>> 0)).toBe(h.length / 2)
    }
  })
  it('zig-zag varint', () => {
    for (const [v, h] of VARINT) {
      expect(hex(new Writer(1).varint(v)), String(v)).toBe(h)
      expect(reader(h).varint('x'), String(v)).toBe(v)
      expect(sizeOfVarint(v)).toBe(h.length / 2)
    }
  })
  it('zig-zag varlong (bigint and safe-integer paths)', () => {
    for (const [v, h] of VARLONG) {
      expect(hex(new Writer(1).varlong(v)), String(v)).toBe(h)
      expect(reader(h).varlongBig('x'), String(v)).toBe(v)
      if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
        expect(hex(new Writer(1).varlong(Number(v))), `number ${v}`).toBe(h)
        expect(reader(h).varlong('x'), String(v)).toBe(Number(v))
        expect(sizeOfVarlong(Number(v))).toBe(h.length / 2)
      } else {
        expect(() => reader(h).varlong('x')).toThrow(ProtocolError)
      }
    }
  })
  it('rejects overlong encodings like ByteUtilsTest.testInvalidVarint/Varlong', () => {
    expect(() => reader('ffffffffff01').varint('v')).toThrow(ProtocolError)
    expect(() => reader('ffffffffffffffffffff01').varlongBig('v')).toThrow(ProtocolError)
    expect(() => reader('ffffffff1f').uvarint('v')).toThrow(/32 bits/)
    expect(() => reader('80').uvarint('v')).toThrow(/truncated/)
  })
})

describe('fixed-width integers', () => {
  it('encode big-endian and decode back', () => {
    const w = new Writer(2)
    w.int8(-2).int16(-2).int32(-2).uint32(0xfffffffe).int64(-2n).int64FromNumber(1700000000000).int64FromNumber(-1).boolean(true)
    expect(hex(w)).toBe('fe' + 'fffe' + 'fffffffe' + 'fffffffe' + 'fffffffffffffffe' + '0000018bcfe56800' + 'ffffffffffffffff' + '01')
    const r = new Reader(w.finish())
    expect([r.int8('a'), r.int16('b'), r.int32('c'), r.uint32('d'), r.int64('e'), r.int64AsNumber('f'), r.int64AsNumber('g'), r.boolean('h')])
      .toEqual([-2, -2, -2, 0xfffffffe, -2n, 1700000000000, -1, true])
    expect(r.remaining).toBe(0)
  })
  it('rejects int64 values outside the range', () => {
    expect(() => new Writer().int64(1n << 63n)).toThrow(InvalidArgumentError)
    expect(() => new Writer().int64FromNumber(2 ** 60)).toThrow(InvalidArgumentError)
    expect(() => reader('7fffffffffffffff').int64AsNumber('ts')).toThrow(/ts.*safe integer/)
  })
})

describe('strings and bytes', () => {
  it('classic and compact, nullable and not', () => {
    const w = new Writer(4)
    w.string('hé').nullableString(null).compactString('ab').compactNullableString(null).compactNullableString('')
    expect(hex(w)).toBe('000368c3a9' + 'ffff' + '036162' + '00' + '01')
    const r = new Reader(w.finish())
    expect(r.string('a')).toBe('hé')
    expect(r.nullableString('b')).toBeNull()
    expect(r.compactString('c')).toBe('ab')
    expect(r.compactNullableString('d')).toBeNull()
    expect(r.compactNullableString('e')).toBe('')
  })
  it('bytes are zero-copy views', () => {
    const w = new Writer(4)
    w.bytes(Uint8Array.of(1, 2)).nullableBytes(null).compactBytes(Uint8Array.of(3)).compactNullableBytes(null)
    expect(hex(w)).toBe('000000020102' + 'ffffffff' + '0203' + '00')
    const buf = w.finish()
    const r = new Reader(buf)
    const b = r.bytes('a')
    expect([...b]).toEqual([1, 2])
    expect(b.buffer).toBe(buf.buffer)
    expect(r.nullableBytes('b')).toBeNull()
    expect([...r.compactBytes('c')]).toEqual([3])
    expect(r.compactNullableBytes('d')).toBeNull()
  })
  it('null in a non-nullable field is a ProtocolError naming the field', () => {
    expect(() => reader('ffff').string('client_id')).toThrow(/client_id/)
    expect(() => reader('00').compactString('host')).toThrow(ProtocolError)
    expect(() => reader('ffffffff').bytes('records')).toThrow(/records/)
  })
})

describe('UUID', () => {
  it('uses Kafka’s base64url text form', () => {
    const id = 'ASNFZ4mrze_-3LqYdlQyEA' // new Uuid(0x0123456789abcdefL, 0xfedcba9876543210L).toString()
    expect(Buffer.from(uuidToBytes(id)).toString('hex')).toBe('0123456789abcdeffedcba9876543210')
    expect(uuidFromBytes(uuidToBytes(id))).toBe(id)
    expect(hex(new Writer().uuid(ZERO_UUID))).toBe('00'.repeat(16))
    expect(reader('0123456789abcdeffedcba9876543210').uuid('topic_id')).toBe(id)
    expect(() => uuidToBytes('short')).toThrow(InvalidArgumentError)
  })
})

describe('arrays', () => {
  it('classic and compact counts, null', () => {
    const w = new Writer(1)
    w.array([1, 2], false, (ww, x) => ww.int8(x)).array(null, false, () => {}).array([7], true, (ww, x) => ww.int8(x)).array(null, true, () => {})
    expect(hex(w)).toBe('000000020102' + 'ffffffff' + '0207' + '00')
    const r = new Reader(w.finish())
    expect(r.array('a', false, (rr) => rr.int8('x'))).toEqual([1, 2])
    expect(r.nullableArray('b', false, (rr) => rr.int8('x'))).toBeNull()
    expect(r.array('c', true, (rr) => rr.int8('x'))).toEqual([7])
    expect(r.nullableArray('d', true, (rr) => rr.int8('x'))).toBeNull()
  })
  it('rejects a count larger than the bytes left before allocating', () => {
    expect(() => reader('7fffffff 00').array('topics', false, (rr) => rr.int8('x'))).toThrow(/topics: array claims 2147483647 elements/)
    expect(() => reader('ffffffff0f').array('topics', true, (rr) => rr.int8('x'))).toThrow(ProtocolError)
    expect(() => reader('fffffffe').nullableArray('topics', false, (rr) => rr.int8('x'))).toThrow(/invalid array length -2/)
    expect(() => reader('00000002 00000001').array('ids', false, (rr) => rr.int32('x'), 4)).toThrow(/ids/)
  })
})

describe('tagged fields (KIP-482)', () => {
  it('writes ascending tags and skips unknown tags on read', () => {
    const w = new Writer(1)
    w.taggedFields([{ tag: 0, data: Uint8Array.of(0xaa) }, { tag: 5, data: Uint8Array.of(1, 2, 3) }]).int8(9)
    expect(hex(w)).toBe('02' + '0001aa' + '0503010203' + '09')
    const r = new Reader(w.finish())
    const seen: number[] = []
    r.taggedFields((tag, tr) => {
      if (tag !== 0) return false
      seen.push(tr.int8('x'))
      return true
    })
    expect(seen).toEqual([-86])
    expect(r.int8('after')).toBe(9)
  })
  it('an empty section is one zero byte', () => {
    expect(hex(new Writer().taggedFields())).toBe('00')
  })
  it('rejects out-of-order tags and fields longer than the section', () => {
    expect(() => new Writer().taggedFields([{ tag: 2, data: new Uint8Array(0) }, { tag: 1, data: new Uint8Array(0) }])).toThrow(ProtocolError)
    expect(() => reader('02 0200 0100').taggedFields()).toThrow(/out-of-order/)
    expect(() => reader('01 00 05 01').taggedFields()).toThrow(ProtocolError)
    expect(() => reader('05 00 00').taggedFields()).toThrow(/claims 5 tagged fields/)
  })
  it('a known tag reading past its declared size is a ProtocolError', () => {
    expect(() => reader('01 00 01 aa bb bb bb').taggedFields((_t, tr) => { tr.int32('leader_id'); return true })).toThrow(/leader_id/)
  })
})

describe('Writer buffer management', () => {
  it('grows by doubling from a short estimate and finish() is a view', () => {
    const w = new Writer(16)
    for (let i = 0; i < 100; i++) w.int32(i)
    expect(w.length).toBe(400)
    expect(w.buf.length).toBe(512)
    const out = w.finish()
    expect(out.buffer).toBe(w.buf.buffer)
    expect(out.readInt32BE(396)).toBe(99)
  })
  it('does not reallocate when the estimate suffices', () => {
    const w = new Writer(64)
    const before = w.buf
    w.int64(1n).string('hello').compactBytes(new Uint8Array(20))
    expect(w.buf).toBe(before)
  })
  it('back-patches reserved size prefixes', () => {
    const w = new Writer(4)
    const at = w.reserveInt32()
    w.string('abc')
    w.patchInt32(at, w.length - 4)
    expect(hex(w)).toBe('00000005' + '0003616263')
  })
})

describe('Reader bounds and trace', () => {
  it('every truncated read names its field and offset', () => {
    const r = reader('0001')
    r.enter('topics', 3)
    const e = (() => { try { r.int32('partition_index'); return null } catch (x) { return x } })()
    expect(e).toBeInstanceOf(ProtocolError)
    expect((e as ProtocolError).field).toBe('topics[3].partition_index')
    expect((e as ProtocolError).offset).toBe(0)
  })
  it('negative and oversized lengths are rejected before allocation', () => {
    expect(() => reader('fffe').nullableString('name')).toThrow(/invalid string length -2/)
    expect(() => reader('7fffffff').bytes('records')).toThrow(/needs 2147483647 bytes/)
    expect(() => reader('ffffffff0f').compactNullableBytes('records')).toThrow(ProtocolError)
  })
  it('trace reports offset, length, path and value of every field', () => {
    const w = new Writer()
    w.int16(7).compactString('t').array([5], true, (ww, x) => ww.int32(x))
    const r = new Reader(w.finish())
    const seen: [number, number, string, unknown][] = []
    r.trace = (o, l, p, v) => seen.push([o, l, p, v])
    r.int16('acks')
    r.compactString('name')
    r.array('partition_data', true, (rr) => rr.int32('index'), 4)
    expect(seen).toEqual([[0, 2, 'acks', 7], [2, 2, 'name', 't'], [4, 1, 'partition_data.length', 1], [5, 4, 'partition_data[0].index', 5]])
  })
})
