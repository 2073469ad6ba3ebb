/** The fault proxy's decisions: a pure function of seed and request ordinal, in the configured proportions. */
import { describe, expect, it } from 'vitest'
import { FaultProxy, decideFault, type FaultKind } from '../../support/fault-proxy.js'

function tally(seed: number, n: number, rates: Parameters<typeof decideFault>[2]): Record<FaultKind | 'none', number> {
  const out = { corrupt: 0, swallowResponse: 0, dropBeforeForward: 0, delay: 0, none: 0 }
  for (let i = 0; i < n; i++) out[decideFault(seed, i, rates).kind ?? 'none']++
  return out
}

describe('decideFault', () => {
  const rates = { corrupt: 0.1, swallowResponse: 0.05, dropBeforeForward: 0.05, delay: 0.2 }

  it('gives the same decisions for the same seed and different ones for another seed', () => {
    const a = Array.from({ length: 500 }, (_, i) => decideFault(42, i, rates))
    const b = Array.from({ length: 500 }, (_, i) => decideFault(42, i, rates))
    const c = Array.from({ length: 500 }, (_, i) => decideFault(43, i, rates))
    expect(a).toEqual(b)
    expect(c.map((d) => d.kind)).not.toEqual(a.map((d) => d.kind))
  })

  it('injects each fault in about its configured share', () => {
    for (const seed of [1, 2, 3]) {
      const t = tally(seed, 20_000, rates)
      expect(Math.abs(t.corrupt / 20_000 - 0.1)).toBeLessThan(0.015)
      expect(Math.abs(t.swallowResponse / 20_000 - 0.05)).toBeLessThan(0.01)
      expect(Math.abs(t.dropBeforeForward / 20_000 - 0.05)).toBeLessThan(0.01)
      expect(Math.abs(t.delay / 20_000 - 0.2)).toBeLessThan(0.015)
    }
  })

  it('never injects a fault whose rate is 0, and always the one whose rate is 1', () => {
    expect(tally(5, 5_000, { corrupt: 0.3 })).toMatchObject({ swallowResponse: 0, dropBeforeForward: 0, delay: 0 })
    expect(tally(5, 1_000, { dropBeforeForward: 1 }).dropBeforeForward).toBe(1_000)
    expect(tally(5, 1_000, {}).none).toBe(1_000)
  })

  it('draws in [0, 1) for the fault parameters', () => {
    for (let i = 0; i < 2_000; i++) {
      const d = decideFault(9, i, rates)
      for (const u of [d.u1, d.u2]) {
        expect(u).toBeGreaterThanOrEqual(0)
        expect(u).toBeLessThan(1)
      }
    }
  })

  it('refuses rates outside [0, 1] or summing above 1', async () => {
    await expect(FaultProxy.start({ upstream: ['127.0.0.1:9'], seed: 1, faults: { corrupt: 1.5 } })).rejects.toThrow(/corrupt=1.5/)
    await expect(FaultProxy.start({ upstream: ['127.0.0.1:9'], seed: 1, faults: { corrupt: 0.6, delay: 0.6 } })).rejects.toThrow(/sum to 1.2/)
    await expect(FaultProxy.start({ upstream: [], seed: 1 })).rejects.toThrow(RangeError)
  })
})
