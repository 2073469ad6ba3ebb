/** SaslAuthenticate (key 36): carries one SASL token each way (KIP-152), and the session lifetime (KIP-368). */
import type { ApiDefinition } from './api.js'
import { readNullableString, writeNullableString } from './fields.js'
import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/** SaslAuthenticate request. */
export interface SaslAuthenticateRequest {
  /** The client's SASL token (secret material: never log it). */
  readonly authBytes: Uint8Array
}

/** SaslAuthenticate response. */
export interface SaslAuthenticateResponse {
  /** 0, or e.g. SASL_AUTHENTICATION_FAILED (58). */
  readonly errorCode: number
  /** The broker's explanation of a failure, or null. */
  readonly errorMessage: string | null
  /** The broker's SASL token (may be empty). */
  readonly authBytes: Uint8Array
  /** v1+ (KIP-368): ms until the broker expects re-authentication; 0 = no limit. */
  readonly sessionLifetimeMs: bigint
}

const FIRST_FLEXIBLE = 2

function encodeRequest(w: Writer, req: SaslAuthenticateRequest, v: number): void {
  if (v >= FIRST_FLEXIBLE) w.compactBytes(req.authBytes).taggedFields()
  else w.bytes(req.authBytes)
}

function decodeRequest(r: Reader, v: number): SaslAuthenticateRequest {
  const flex = v >= FIRST_FLEXIBLE
  const authBytes = flex ? r.compactBytes('auth_bytes') : r.bytes('auth_bytes')
  if (flex) r.taggedFields()
  return { authBytes }
}

function encodeResponse(w: Writer, res: SaslAuthenticateResponse, v: number): void {
  const flex = v >= FIRST_FLEXIBLE
  w.int16(res.errorCode)
  writeNullableString(w, res.errorMessage, flex)
  if (flex) w.compactBytes(res.authBytes)
  else w.bytes(res.authBytes)
  if (v >= 1) w.int64(res.sessionLifetimeMs)
  if (flex) w.taggedFields()
}

function decodeResponse(r: Reader, v: number): SaslAuthenticateResponse {
  const flex = v >= FIRST_FLEXIBLE
  const errorCode = r.int16('error_code')
  const errorMessage = readNullableString(r, 'error_message', flex)
  const authBytes = flex ? r.compactBytes('auth_bytes') : r.bytes('auth_bytes')
  const sessionLifetimeMs = v >= 1 ? r.int64('session_lifetime_ms') : 0n
  if (flex) r.taggedFields()
  return { errorCode, errorMessage, authBytes, sessionLifetimeMs }
}

/** SaslAuthenticate (key 36), v0-v2. v1 adds session_lifetime_ms (KIP-368); flexible from v2. */
export const SaslAuthenticateApi: ApiDefinition<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  firstFlexibleVersion: FIRST_FLEXIBLE,
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  estimateRequestSize: (req) => 5 + req.authBytes.length + 1,
}
