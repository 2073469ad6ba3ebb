/** Text forms of decoded values and the meaning of well-known fields, for dumps and tables. */
import { errorInfo } from '../../protocol/errors.js'
import { apiName } from '../api-names.js'

const PREVIEW_BYTES = 48

/** Whether `bytes` is printable UTF-8 text (so a key or value shows as a string). */
function printable(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  // eslint-disable-next-line no-control-regex
  if (text.includes('\ufffd') || /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) return undefined
  return text
}

function bytesText(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`
}

/** A decoded value as one line of text: strings quoted, bytes as text when printable, else hex. */
export function formatValue(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return ''
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (value instanceof Uint8Array) {
    if (value.length === 0) return '(0 bytes)'
    const text = printable(value)
    if (text !== undefined) {
      const shown = text.length > PREVIEW_BYTES ? `${JSON.stringify(text.slice(0, PREVIEW_BYTES))}…` : JSON.stringify(text)
      return `${shown} (${bytesText(value.length)})`
    }
    const hex = Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, 16)).toString('hex')
    return `0x${hex}${value.length > 16 ? '…' : ''} (${bytesText(value.length)})`
  }
  return String(value)
}

// FindCoordinator key_type (FindCoordinatorRequest.json; Java CoordinatorType).
const KEY_TYPES: Readonly<Record<number, string>> = { 0: 'group', 1: 'transaction', 2: 'share group' }

/** Meaning of a field value where a number stands for a name (API keys, error codes, acks). */
export function noteForField(path: string, value: unknown): string | undefined {
  const field = path.slice(path.lastIndexOf('.') + 1)
  if (field === 'committed' && typeof value === 'boolean') return value ? 'commit' : 'abort'
  if (typeof value !== 'number') return undefined
  if (field === 'request_api_key' || field === 'api_key') return apiName(value)
  if (field === 'error_code' || field === 'partition_error_code') return value === 0 ? 'NONE' : errorInfo(value).name
  if (field === 'key_type') return KEY_TYPES[value] ?? 'unknown coordinator type'
  if (field === 'acks') return value === -1 ? 'all in-sync replicas' : value === 0 ? 'no response' : 'leader only'
  if (field === 'size') return 'bytes after this field'
  if (field === 'length' && value === -1) return 'null'
  if ((field === 'log_append_time_ms' || field === 'timestamp') && value > 0) return new Date(value).toISOString()
  return undefined
}
