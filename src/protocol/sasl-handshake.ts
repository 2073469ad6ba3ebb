/** SaslHandshake (key 17): the client names its SASL mechanism, the broker lists the ones it enables. */
import type { ApiDefinition } from './api.js'
import { readString, stringSize, writeString } from './fields.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** SaslHandshake request. */
export interface SaslHandshakeRequest {
  /** The SASL mechanism chosen by the client, e.g. `SCRAM-SHA-512`. */
  readonly mechanism: string
}

/** SaslHandshake response. */
export interface SaslHandshakeResponse {
  /** 0, or UNSUPPORTED_SASL_MECHANISM (33) / ILLEGAL_SASL_STATE (34). */
  readonly errorCode: number
  /** The mechanisms enabled on the broker's listener. */
  readonly mechanisms: readonly string[]
}

function encodeRequest(w: Writer, req: SaslHandshakeRequest): void {
  writeString(w, req.mechanism, false)
}

function decodeRequest(r: Reader): SaslHandshakeRequest {
  return { mechanism: readString(r, 'mechanism', false) }
}

function encodeResponse(w: Writer, res: SaslHandshakeResponse): void {
  w.int16(res.errorCode)
  w.arrayLength(res.mechanisms.length)
  for (const m of res.mechanisms) w.string(m)
}

function decodeResponse(r: Reader): SaslHandshakeResponse {
  const errorCode = r.int16('error_code')
  const mechanisms = r.array('mechanisms', false, (rr) => rr.string('mechanisms[]'), 2)
  return { errorCode, mechanisms }
}

/**
 * SaslHandshake (key 17), v0-v1; never flexible (SaslHandshakeRequest.json). v1 means the SASL
 * tokens then travel in SaslAuthenticate requests (KIP-152) instead of raw length-prefixed frames;
 * kafka-wire only speaks v1.
 */
export const SaslHandshakeApi: ApiDefinition<SaslHandshakeRequest, SaslHandshakeResponse> = {
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  firstFlexibleVersion: Infinity,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => stringSize(req.mechanism),
}
