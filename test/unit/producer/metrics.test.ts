/**
 * Windowed metrics against the Java client: test/golden/metrics-windows.json was produced by
 * test/golden/MetricsGolden.java with kafka-clients 4.4.0's Rate, Avg and Max (2 samples of 30 s),
 * over 600 steps with idle gaps longer than the whole window. Our Meter and WindowedStat replay the
 * same steps and must give the same figures.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/producer/errors.js'
import { DEFAULT_METRIC_CONFIG, Meter, ProducerMetrics, WindowedStat } from '../../../src/producer/metrics.js'

interface Step {
  t: number
  record?: number
  rate?: number
  avg?: number | null
  max?: number | null
}

const golden = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'golden', 'metrics-windows.json'), 'utf8')) as { steps: Step[] }
const gauges = { bufferTotal: 1, bufferAvailable: 1, waiting: 0, pending: 0, inFlight: 0, metadataAgeMs: 0 }

describe('windowed metrics (Java SampledStat, 2 samples of 30 s)', () => {
  it('Rate, Avg and Max agree with kafka-clients 4.4.0 on every measured step', () => {
    let now = 0
    const clock = (): number => now
    const meter = new Meter(DEFAULT_METRIC_CONFIG, clock)
    const stat = new WindowedStat(DEFAULT_METRIC_CONFIG, clock)
    let measured = 0
    let idle = 0
    for (const step of golden.steps) {
      now = step.t
      if (step.record !== undefined) {
        meter.record(step.record)
        stat.record(step.record)
        continue
      }
      measured++
      if (step.avg === null) idle++
      expect(meter.rate, `rate at ${step.t}`).toBeCloseTo(step.rate ?? Number.NaN, 9)
      if (step.avg === null) expect(stat.avg, `avg at ${step.t}`).toBeNaN()
      else expect(stat.avg, `avg at ${step.t}`).toBeCloseTo(step.avg ?? Number.NaN, 9)
      if (step.max === null) expect(stat.max, `max at ${step.t}`).toBeNaN()
      else expect(stat.max, `max at ${step.t}`).toBe(step.max)
    }
    // The golden file exercises both busy windows and windows emptied by long idle gaps.
    expect(measured).toBeGreaterThan(100)
    expect(idle).toBeGreaterThan(0)
  })

  it('a rate reflects the window, not the time since start (Java counts at least samples-1 full windows)', () => {
    let now = 0
    const m = new ProducerMetrics(DEFAULT_METRIC_CONFIG, () => now)
    m.countSent(60)
    now = 1_000
    // One busy second reads as 60 records over 31 s (1 s + one full window), as Java's Rate.windowSize does.
    expect(m.snapshot(gauges)['record-send-rate']).toBeCloseTo(60 / 31, 9)
    now = 59_999
    expect(m.snapshot(gauges)['record-send-rate']).toBeCloseTo(60 / 59.999, 9)
    // Idle for the whole window (2 × 30 s since the last event): the rate is 0, the total stays.
    now = 60_000
    const idle = m.snapshot(gauges)
    expect(idle['record-send-rate']).toBe(0)
    expect(idle['record-send-total']).toBe(60)
  })

  it('counters feed totals and rates; averages and maxima forget old samples', () => {
    let now = 0
    const m = new ProducerMetrics(DEFAULT_METRIC_CONFIG, () => now)
    m.countRequest()
    m.countErrors(2)
    m.countRetries(3)
    m.countSplit()
    m.requestLatency.record(10)
    m.requestLatency.record(30)
    const s = m.snapshot(gauges)
    expect([s['request-total'], s['record-error-total'], s['record-retry-total'], s['batch-split-total']]).toEqual([1, 2, 3, 1])
    expect(s['request-latency-avg']).toBe(20)
    expect(s['request-latency-max']).toBe(30)
    expect(s['record-error-rate']).toBeCloseTo(2 / 30, 9)
    now = 90_000
    m.requestLatency.record(5)
    const later = m.snapshot(gauges)
    expect(later['request-latency-avg']).toBe(5)
    expect(later['request-latency-max']).toBe(5)
    expect(later['record-error-total']).toBe(2)
    expect(later['record-error-rate']).toBe(0)
  })

  it('per-topic and per-broker figures and the compression ratio, under Java names', () => {
    let now = 0
    const m = new ProducerMetrics(DEFAULT_METRIC_CONFIG, () => now)
    m.recordTopicSend('orders', 10, 1_000)
    m.recordTopicSend('orders', 5, 500)
    m.recordTopicSend('audit', 1, 100)
    m.recordTopicRetry('orders', 5)
    m.recordTopicError('audit', 1)
    m.recordBatchCompression('orders', 50, 100)
    m.recordBatchCompression('orders', 25, 100)
    m.recordBatchCompression('audit', 100, 100)
    m.recordBatchCompression('audit', 0, 0)
    m.recordNodeRequest(1, 400)
    m.recordNodeRequest(1, 600)
    m.recordNodeRequest(2, 100)
    now = 30_000
    m.recordNodeResponse(1, 80, 12)
    const s = m.snapshot(gauges)
    expect(Object.keys(s.topics).sort()).toEqual(['audit', 'orders'])
    expect(s.topics.orders).toMatchObject({ 'record-send-total': 15, 'byte-total': 1_500, 'record-retry-total': 5, 'record-error-total': 0, 'compression-rate': 0.375 })
    expect(s.topics.orders?.['record-send-rate']).toBeCloseTo(15 / 30, 9)
    expect(s.topics.audit).toMatchObject({ 'record-send-total': 1, 'record-error-total': 1, 'compression-rate': 1 })
    expect(s['compression-rate-avg']).toBeCloseTo((0.5 + 0.25 + 1) / 3, 9)
    expect(s['byte-total']).toBe(1_600)
    expect(s.nodes['1']).toMatchObject({ 'request-total': 2, 'request-size-avg': 500, 'request-size-max': 600, 'outgoing-byte-total': 1_000, 'response-total': 1, 'incoming-byte-total': 80, 'request-latency-avg': 12 })
    expect(s.nodes['2']).toMatchObject({ 'request-total': 1, 'response-total': 0 })
    expect(s.nodes['2']?.['request-latency-avg']).toBeNaN()
    expect(s['outgoing-byte-total']).toBe(1_100)
  })

  it('refuses a window configuration Java would refuse', () => {
    expect(() => new ProducerMetrics({ samples: 0, timeWindowMs: 30_000 })).toThrow(ConfigError)
    expect(() => new ProducerMetrics({ samples: 2, timeWindowMs: 0 })).toThrow(ConfigError)
  })
})
