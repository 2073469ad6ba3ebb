/**
 * Decodes one traced frame into annotated rows: the size prefix, the request or response header,
 * then the body through the API's own decoder with the Reader's field trace on; `records` fields
 * are expanded batch by batch. Bytes no decoder claimed are shown, never hidden.
 */
import type { ApiDefinition } from '../../protocol/api.js'
import { decodeRequestHeader, decodeResponseHeader, responseHeaderVersion } from '../../protocol/headers.js'
import { Reader } from '../../protocol/reader.js'
import { apiName } from '../api-names.js'
import { recordBatchRows } from './record-batch.js'
import type { DumpFrame, DumpRow, FieldRow } from './rows.js'
import { formatValue, noteForField } from './values.js'

/** A traced frame as the network layer reports it. */
export interface TracedFrame {
  readonly direction: 'send' | 'receive'
  /** Send: the whole frame, size prefix included. Receive: the bytes after the size prefix. */
  readonly frame: Uint8Array
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  /** `host:port`, when known. */
  readonly broker: string | undefined
}

/** Looks up the definition of an API by key (the ones kafka-wire implements). */
export type ApiLookup = (apiKey: number) => ApiDefinition<unknown, unknown> | undefined

/** SaslAuthenticate (36): its auth_bytes carry passwords, proofs and tokens, never shown (issue 13). */
const SASL_AUTHENTICATE = 36

/** The SASL token row with its bytes withheld: only the length prefix is shown. */
function redacted(row: FieldRow, tokenLength: number): FieldRow {
  return { kind: 'field', offset: row.offset, bytes: row.bytes.subarray(0, row.bytes.length - tokenLength), path: row.path, value: `${tokenLength} bytes redacted`, note: 'SASL token (secret material) not shown' }
}

interface TraceEvent {
  readonly offset: number
  readonly length: number
  readonly path: string
  readonly value: unknown
}

/** Decodes `traced` into a {@link DumpFrame}. Never throws: a decode fault becomes a heading row. */
export function decodeFrame(traced: TracedFrame, lookup: ApiLookup): DumpFrame {
  const request = traced.direction === 'send'
  // Received frames come without their size prefix: put it back so both directions read alike.
  const buf = request ? traced.frame : withSizePrefix(traced.frame)
  const api = lookup(traced.apiKey)
  const name = api?.name ?? apiName(traced.apiKey)
  const events: TraceEvent[] = []
  const headings = new Map<number, string>()
  const r = new Reader(buf)
  r.trace = (offset, length, path, value) => events.push({ offset, length, path, value })
  let fault: string | undefined
  try {
    r.int32('size')
    const flexible = api !== undefined && traced.apiVersion >= api.firstFlexibleVersion
    headings.set(events.length, request ? `request header v${flexible ? 2 : 1}` : `response header v${responseHeaderVersion(traced.apiKey, flexible)}`)
    if (request) decodeRequestHeader(r, flexible)
    else decodeResponseHeader(r, responseHeaderVersion(traced.apiKey, flexible) === 1)
    headings.set(events.length, `${name}${request ? 'Request' : 'Response'} v${traced.apiVersion} body`)
    if (api === undefined) fault = `kafka-wire has no decoder for ${name} (api_key ${traced.apiKey})`
    else if (request) api.decodeRequest(r, traced.apiVersion)
    else api.decodeResponse(r, traced.apiVersion)
  } catch (err) {
    fault = `decode failed: ${(err as Error).message}`
  }
  const flexibleBody = api !== undefined && traced.apiVersion >= api.firstFlexibleVersion
  let rows = toRows(buf, events, headings, flexibleBody)
  if (r.pos < buf.length) rows.push(unclaimed(buf, r.pos, buf.length))
  if (traced.apiKey === SASL_AUTHENTICATE) {
    // Redact the token, and any bytes a failed decode left unclaimed (they may be the token).
    rows = rows.map((row) => {
      if (row.kind !== 'field') return row
      if (row.path === '(not decoded)') return redacted(row, row.bytes.length)
      const ev = events.find((e) => e.offset === row.offset && e.path === row.path)
      return row.path === 'auth_bytes' && ev !== undefined && ev.value instanceof Uint8Array ? redacted(row, ev.value.length) : row
    })
  }
  if (fault !== undefined) rows.push({ kind: 'heading', text: fault })
  return {
    direction: traced.direction,
    title: `${name} v${traced.apiVersion} ${request ? 'request' : 'response'}`,
    correlationId: traced.correlationId,
    broker: traced.broker,
    size: buf.length,
    rows,
  }
}

function withSizePrefix(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4)
  new DataView(out.buffer).setInt32(0, body.length)
  out.set(body, 4)
  return out
}

function unclaimed(buf: Uint8Array, start: number, end: number): FieldRow {
  return { kind: 'field', offset: start, bytes: buf.subarray(start, end), path: '(not decoded)', value: `${end - start} bytes`, note: 'no field claims these bytes' }
}

function toRows(buf: Uint8Array, events: TraceEvent[], headings: ReadonlyMap<number, string>, flexible: boolean): DumpRow[] {
  const rows: DumpRow[] = []
  let covered = 0
  events.forEach((e, i) => {
    const heading = headings.get(i)
    if (heading !== undefined) rows.push({ kind: 'heading', text: heading })
    if (e.offset > covered) rows.push(unclaimed(buf, covered, e.offset))
    covered = Math.max(covered, e.offset + e.length)
    const bytes = buf.subarray(e.offset, e.offset + e.length)
    // KIP-482 compact arrays store N+1 (0 = null): say so, or the hex looks off by one.
    const compactCount = flexible && e.path.endsWith('.length') && typeof e.value === 'number' && e.length < 4 && !e.path.includes('.records.')
    const note = compactCount ? `compact array: N+1 = ${(e.value as number) + 1} on the wire` : noteForField(e.path, e.value)
    const isRecords = e.value instanceof Uint8Array && /(^|\.)records$/.test(e.path)
    if (isRecords && e.value instanceof Uint8Array) {
      const data = e.value
      const prefixLength = e.length - data.length
      rows.push({ kind: 'field', offset: e.offset, bytes: bytes.subarray(0, prefixLength), path: `${e.path}`, value: `${data.length} bytes`, note: 'RecordBatch bytes follow' })
      const start = e.offset + prefixLength
      rows.push(...recordBatchRows(buf, start, start + data.length, 0, e.path))
      return
    }
    rows.push({ kind: 'field', offset: e.offset, bytes, path: e.path, value: formatValue(e.value), ...(note !== undefined ? { note } : {}) })
  })
  // A body without fields (ApiVersions v0-2 request) still gets its heading.
  for (const [at, heading] of headings) if (at >= events.length) rows.push({ kind: 'heading', text: heading })
  return rows
}
