import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { murmur2, partitionForKey, toPositive } from '../../../src/producer/partitioner.js'
import { StickyPartitionState } from '../../../src/producer/partitioner.js'

describe('murmur2', () => {
  // Kafka UtilsTest.testMurmur2 (apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
  const vectors: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ]
  it.each(vectors)('murmur2(%j) = %d as in Kafka UtilsTest', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected)
  })

  it('toPositive masks the sign bit like Java (not Math.abs, not >>> 0)', () => {
    expect(toPositive(-790332482)).toBe(1357151166)
    expect(partitionForKey(Buffer.from('foobar'), 12)).toBe(6)
    expect(partitionForKey(Buffer.from('abc'), 6)).toBe(3)
    expect(partitionForKey(Buffer.from('21'), 100)).toBe(40)
  })

  it('matches 10,000 keys hashed by the Java client (golden file from test/golden/Murmur2Golden.java)', () => {
    const golden = JSON.parse(readFileSync(new URL('../../golden/murmur2-partitions.json', import.meta.url), 'utf8')) as { partitionCounts: number[]; entries: Array<{ key: string; murmur2: number; partitions: number[] }> }
    expect(golden.entries.length).toBe(10000)
    let mismatches = 0
    let negative = 0
    for (const e of golden.entries) {
      const k = Buffer.from(e.key, 'utf8')
      if (murmur2(k) !== e.murmur2) mismatches++
      if (e.murmur2 < 0) negative++
      golden.partitionCounts.forEach((n, i) => {
        if (partitionForKey(k, n) !== e.partitions[i]) mismatches++
      })
    }
    expect(negative).toBeGreaterThan(1000) // the file exercises negative hashes, where naive ports differ
    expect(mismatches).toBe(0)
  })
})

describe('sticky partitioner (KIP-794)', () => {
  it('stays on one partition until batchSize bytes, then switches', () => {
    let r = 0
    const seq = [0.1, 0.5, 0.9, 0.3]
    const s = new StickyPartitionState(100, () => seq[r++ % seq.length] as number)
    const avail = [0, 1, 2, 3, 4, 5]
    const first = s.current(6, avail)
    expect(first).toBe(0)
    s.update(first, 60, true, 6, avail)
    expect(s.current(6, avail)).toBe(0)
    s.update(first, 60, true, 6, avail)
    expect(s.current(6, avail)).toBe(3) // 120 >= 100 with the last batch full → switch
  })

  it('defers the switch to 2 × batchSize while the last batch is not full (KAFKA-14156)', () => {
    const s = new StickyPartitionState(100, () => 0.5)
    const avail = [0, 1]
    const p = s.current(2, avail)
    s.update(p, 150, false, 2, avail)
    expect(s.current(2, avail)).toBe(p)
    s.update(p, 60, false, 2, avail)
    expect(s.producedBytesForTest()).toBe(0)
  })

  it('only picks partitions with a leader when some are available', () => {
    const s = new StickyPartitionState(1, Math.random)
    for (let i = 0; i < 200; i++) {
      const p = s.current(6, [2, 4])
      expect([2, 4]).toContain(p)
      s.update(p, 10, true, 6, [2, 4])
    }
  })
})
