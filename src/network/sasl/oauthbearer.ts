/**
 * SASL/OAUTHBEARER (RFC 7628 as Kafka uses it, KIP-255; SASL extensions KIP-342). Client first
 * message: `n,,\x01auth=Bearer <token>\x01[key=value\x01...]\x01`. On failure the broker sends a
 * JSON error challenge; the client answers with a single `\x01` and the broker then fails the
 * SaslAuthenticate with its message (apache/kafka `OAuthBearerSaslClient`).
 */
import type { OAuthBearerToken } from '../security-options.js'
import { SaslMechanismError, type SaslSession } from './session.js'

const SEPARATOR = '\x01'
/** RFC 7628 §3.1 key = 1*(ALPHA); Kafka `OAuthBearerClientInitialResponse.EXTENSION_KEY_PATTERN`. */
const EXTENSION_KEY = /^[A-Za-z]+$/
/** Kafka `EXTENSION_VALUE_PATTERN`: printable ASCII, space, tab, CR, LF. */
const EXTENSION_VALUE = /^[\x21-\x7E \t\r\n]*$/
/** RFC 6750 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** Builds the client-first message for `token` (exported for unit tests). */
export function oauthBearerClientFirst(token: OAuthBearerToken): Buffer {
  if (typeof token.value !== 'string' || !B64TOKEN.test(token.value)) throw new SaslMechanismError('the OAUTHBEARER provider returned a token that is not an RFC 6750 bearer token')
  let ext = ''
  for (const [key, value] of Object.entries(token.extensions ?? {})) {
    if (!EXTENSION_KEY.test(key) || key === 'auth') throw new SaslMechanismError(`invalid OAUTHBEARER extension name ${JSON.stringify(key)} (letters only, not "auth")`)
    if (typeof value !== 'string' || !EXTENSION_VALUE.test(value)) throw new SaslMechanismError(`invalid value for OAUTHBEARER extension ${JSON.stringify(key)}`)
    ext += `${key}=${value}${SEPARATOR}`
  }
  return Buffer.from(`n,,${SEPARATOR}auth=Bearer ${token.value}${SEPARATOR}${ext}${SEPARATOR}`, 'utf8')
}

/** One OAUTHBEARER exchange. */
export class OAuthBearerMechanism implements SaslSession {
  readonly mechanism = 'OAUTHBEARER'
  private state: 'new' | 'sent' | 'failed' = 'new'
  /** The broker's JSON error, kept for the final error message. */
  serverError: string | undefined

  constructor(private readonly provider: () => OAuthBearerToken | Promise<OAuthBearerToken>) {}

  async start(): Promise<Uint8Array> {
    let token: OAuthBearerToken
    try {
      token = await this.provider()
    } catch (err) {
      throw new SaslMechanismError(`the oauthBearerProvider threw: ${err instanceof Error ? err.message : String(err)}`)
    }
    if (token === null || typeof token !== 'object') throw new SaslMechanismError(`the oauthBearerProvider returned ${token === null ? 'null' : `a ${typeof token}`}, expected { value }`)
    const first = oauthBearerClientFirst(token)
    this.state = 'sent'
    return first
  }

  async next(serverToken: Uint8Array): Promise<Uint8Array | null> {
    if (this.state === 'sent' && serverToken.length === 0) return null
    if (this.state === 'sent') {
      // An error challenge (RFC 7628 §3.2.2): acknowledge it so the broker completes with its error.
      this.serverError = Buffer.from(serverToken).toString('utf8')
      this.state = 'failed'
      return Buffer.from(SEPARATOR)
    }
    throw new SaslMechanismError(`unexpected OAUTHBEARER server message${this.serverError !== undefined ? ` after error ${this.serverError}` : ''}`)
  }
}
