import { describe, expect, it } from 'vitest'
import { formatTraceparent, parseTraceparent, withHeaders } from '../../../src/otel/traceparent.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

describe('W3C traceparent and record headers', () => {
  it('formats and parses version-00 traceparent (W3C Trace Context example)', () => {
    expect(formatTraceparent(TRACE, SPAN, 1)).toBe(`00-${TRACE}-${SPAN}-01`)
    expect(formatTraceparent(TRACE, SPAN, 0)).toBe(`00-${TRACE}-${SPAN}-00`)
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1 })
  })

  it('refuses malformed and all-zero ids', () => {
    expect(parseTraceparent('00-abc-def-01')).toBeUndefined()
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01`)).toBeUndefined()
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${SPAN}-01`)).toBeUndefined()
    expect(parseTraceparent(`00-${TRACE}-${'0'.repeat(16)}-01`)).toBeUndefined()
    expect(parseTraceparent(`00-${TRACE.toUpperCase()}-${SPAN}-01`)).toBeUndefined()
  })

  it('adds headers to objects and arrays without mutating them, replacing same-named ones', () => {
    const obj = { a: 'x', TraceParent: 'old' }
    expect(withHeaders(obj, { traceparent: 'new' })).toEqual({ a: 'x', traceparent: 'new' })
    expect(obj).toEqual({ a: 'x', TraceParent: 'old' })
    const arr: ReadonlyArray<readonly [string, string]> = [
      ['a', '1'],
      ['traceparent', 'old'],
      ['a', '2'],
    ]
    expect(withHeaders(arr, { traceparent: 'new' })).toEqual([
      ['a', '1'],
      ['a', '2'],
      ['traceparent', 'new'],
    ])
    expect(arr).toHaveLength(3)
    expect(withHeaders(undefined, { traceparent: 't' })).toEqual({ traceparent: 't' })
  })
})

describe('traceHeadersInterceptor', () => {
  it('writes the active span context as traceparent, and nothing without one', async () => {
    const { context, trace, TraceFlags } = await import('@opentelemetry/api')
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks')
    const { traceHeadersInterceptor } = await import('../../../src/otel/tracing.js')
    const manager = new AsyncLocalStorageContextManager().enable()
    context.setGlobalContextManager(manager)
    try {
      const ic = traceHeadersInterceptor<string, string>()
      const record = { topic: 't', value: 'v', headers: { a: 'b' } }
      expect(ic.onSend?.(record)).toBe(record)
      const ctx = trace.setSpanContext(context.active(), { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED })
      const out = context.with(ctx, () => ic.onSend?.(record))
      expect(out?.headers).toEqual({ a: 'b', traceparent: `00-${TRACE}-${SPAN}-01` })
      expect(record.headers).toEqual({ a: 'b' })
    } finally {
      context.disable()
    }
  })
})
