/** W3C Trace Context (`traceparent`, `tracestate`) formatting and record-header merging, without the OpenTelemetry API. */
import type { HeaderValue, RecordHeaders } from '../producer/producer.js'

/** The `traceparent` of a span: version 00, trace id, span id, flags (W3C Trace Context §3.2). */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`
}

/** Parses a `traceparent` header; `undefined` when it is not a valid version-00 value. */
export function parseTraceparent(value: string): { traceId: string; spanId: string; traceFlags: number } | undefined {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value.trim())
  if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined
  if (/^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined
  return { traceId: m[1], spanId: m[2], traceFlags: Number.parseInt(m[3], 16) }
}

/**
 * Returns `headers` with `extra` set, replacing headers of the same names (case-insensitive, as
 * HTTP's trace headers are): an array stays an array, an object stays an object. Never mutates
 * the caller's headers.
 */
export function withHeaders(headers: RecordHeaders | undefined, extra: Readonly<Record<string, string>>): RecordHeaders {
  const names = Object.keys(extra)
  if (names.length === 0) return headers ?? {}
  const lower = new Set(names.map((n) => n.toLowerCase()))
  if (headers === undefined) return { ...extra }
  if (Array.isArray(headers)) {
    const pairs = headers as ReadonlyArray<readonly [string, HeaderValue]>
    const kept = pairs.filter(([k]) => !lower.has(k.toLowerCase()))
    return [...kept, ...names.map((n): readonly [string, HeaderValue] => [n, extra[n] ?? ''])]
  }
  const out: Record<string, HeaderValue | HeaderValue[]> = {}
  for (const [k, v] of Object.entries(headers)) if (!lower.has(k.toLowerCase())) out[k] = v
  for (const n of names) out[n] = extra[n] ?? ''
  return out
}
