/**
 * `kafka-wire produce --format json`: one JSON object per input line, `{ "key", "value", "headers",
 * "partition" }`, turned into a CLI record. Strings are sent as UTF-8, `null` as null, any other JSON
 * value as its JSON text; headers are an object (`{"k": "v"}`) or `[key, value]` pairs (repeatable
 * keys). A line that does not fit is an error naming the line and the field.
 */
import type { CliRecord } from './produce-run.js'
import { CliError } from './errors.js'

const FIELDS = new Set(['key', 'value', 'headers', 'partition'])

/** A bad `--format json` input line. Exit code 1 (bad data at run time, not a bad command line). */
export class JsonRecordError extends CliError {
  override readonly name = 'JsonRecordError'
  /** 1-based input line number. */
  readonly line: number
  /** @param line 1-based line number; @param message what is wrong */
  constructor(line: number, message: string) {
    super(`--format json: line ${line}: ${message}`)
    this.line = line
  }
}

function bytesOf(v: unknown): Buffer | null {
  if (v === null) return null
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  return Buffer.from(JSON.stringify(v), 'utf8')
}

function headerValue(v: unknown, line: number, name: string): Buffer | null {
  if (v === null) return null
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  throw new JsonRecordError(line, `header "${name}" must be a string or null, got ${v === undefined ? 'nothing' : typeof v}`)
}

function parseHeaders(v: unknown, line: number): Array<readonly [string, Buffer | null]> | null {
  if (v === undefined || v === null) return null
  const out: Array<readonly [string, Buffer | null]> = []
  if (Array.isArray(v)) {
    for (const pair of v) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') throw new JsonRecordError(line, 'headers as an array must hold [key, value] pairs with a string key')
      out.push([pair[0], headerValue(pair[1], line, pair[0])])
    }
  } else if (typeof v === 'object') {
    for (const [k, value] of Object.entries(v)) out.push([k, headerValue(value, line, k)])
  } else {
    throw new JsonRecordError(line, `headers must be an object or an array of [key, value] pairs, got ${typeof v}`)
  }
  return out.length > 0 ? out : null
}

/**
 * Parses one input line (1-based `line` for errors). `defaultHeaders` (from `-H`) come first, then
 * the line's own. A blank line is skipped (`undefined`).
 */
export function parseJsonRecord(text: string, line: number, defaultHeaders: CliRecord['headers']): CliRecord | undefined {
  if (text.trim() === '') return undefined
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw new JsonRecordError(line, `not JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new JsonRecordError(line, 'expected an object such as {"key": "k", "value": "v"}')
  const o = v as Record<string, unknown>
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) throw new JsonRecordError(line, `unknown field "${k}" (fields: key, value, headers, partition)`)
  if (!('value' in o)) throw new JsonRecordError(line, 'missing "value" (use null for a tombstone)')
  const partition = o.partition
  if (partition !== undefined && (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > 2 ** 31 - 1)) {
    throw new JsonRecordError(line, `"partition" must be an integer 0..2147483647, got ${JSON.stringify(partition)}`)
  }
  const own = parseHeaders(o.headers, line)
  const headers = defaultHeaders === null ? own : own === null ? defaultHeaders : [...defaultHeaders, ...own]
  return {
    key: o.key === undefined ? null : bytesOf(o.key),
    value: bytesOf(o.value),
    headers,
    ...(partition !== undefined ? { partition } : {}),
  }
}
