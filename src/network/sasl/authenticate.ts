/**
 * The SASL step of the connection handshake (KIP-152): SaslHandshake v1 naming the mechanism,
 * then SaslAuthenticate round trips (v0-v2 as negotiated) until the mechanism is satisfied
 * (apache/kafka `SaslClientAuthenticator`). Failures become {@link SaslAuthenticationError}.
 */
import { SaslAuthenticateApi } from '../../protocol/sasl-authenticate.js'
import { SaslHandshakeApi } from '../../protocol/sasl-handshake.js'
import { pickVersion } from '../../protocol/versions.js'
import type { AuthenticationContext, Authenticator } from '../authenticator.js'
import { SaslAuthenticationError } from '../security-errors.js'
import type { SaslOptions } from '../security-options.js'
import { mechanismName, saslSessionFactory, SaslMechanismError } from './mechanism.js'
import { OAuthBearerMechanism } from './oauthbearer.js'

/** SCRAM needs 2 round trips, OAUTHBEARER 1 (2 on failure): more means a confused peer. */
const MAX_ROUND_TRIPS = 8

/** What the SASL authenticator reports after each successful authentication (for metrics and tests). */
export interface SaslAuthenticationEvent {
  readonly broker: string
  readonly mechanism: string
  readonly reauthentication: boolean
  /** The broker's session_lifetime_ms (0 = none). */
  readonly sessionLifetimeMs: number
}

/** Builds the connection {@link Authenticator} for `options`. */
export function saslAuthenticator(options: SaslOptions, onAuthenticated?: (event: SaslAuthenticationEvent) => void): Authenticator {
  const newSession = saslSessionFactory(options)
  const mechanism = mechanismName(options)
  return async (ctx: AuthenticationContext): Promise<number> => {
    const fail = (detail: string, code = -1, cause?: unknown): never => {
      throw new SaslAuthenticationError(ctx.broker, mechanism, detail, code, cause)
    }
    let handshakeVersion: number
    let authVersion: number
    try {
      handshakeVersion = pickVersion(SaslHandshakeApi, ctx.versions.get(SaslHandshakeApi.apiKey))
      authVersion = pickVersion(SaslAuthenticateApi, ctx.versions.get(SaslAuthenticateApi.apiKey))
    } catch (err) {
      return fail('the broker does not offer SaslHandshake v1 / SaslAuthenticate (is this a SASL listener?)', -1, err)
    }
    // v0 sends raw SASL tokens outside Kafka framing; every broker since 1.0 speaks v1 (KIP-152).
    if (handshakeVersion < 1) return fail(`the broker offers only SaslHandshake v${handshakeVersion}; kafka-wire needs v1 (Kafka 1.0+)`)
    const hs = await ctx.send(SaslHandshakeApi, { mechanism }, handshakeVersion)
    if (hs.errorCode === 33) return fail(`the broker's listener does not enable ${mechanism}; it enables ${hs.mechanisms.join(', ') || 'none'}`, 33)
    if (hs.errorCode !== 0) return fail(`SaslHandshake was refused`, hs.errorCode)
    const session = newSession()
    let token: Uint8Array | null
    try {
      token = await session.start()
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err), -1)
    }
    let lifetime = 0n
    for (let round = 0; token !== null; round++) {
      if (round >= MAX_ROUND_TRIPS) return fail(`the exchange did not finish after ${MAX_ROUND_TRIPS} round trips`)
      const res = await ctx.send(SaslAuthenticateApi, { authBytes: token }, authVersion)
      if (res.errorCode !== 0) {
        const challenge = session instanceof OAuthBearerMechanism ? session.serverError : undefined
        const extra = challenge !== undefined && challenge !== res.errorMessage ? ` (server challenge ${challenge})` : ''
        return fail(`${res.errorMessage ?? 'no message from the broker'}${extra}`, res.errorCode)
      }
      lifetime = res.sessionLifetimeMs
      try {
        token = await session.next(res.authBytes)
      } catch (err) {
        if (err instanceof SaslMechanismError) return fail(err.message, -1)
        throw err
      }
    }
    const sessionLifetimeMs = lifetime > 0n && lifetime < BigInt(Number.MAX_SAFE_INTEGER) ? Number(lifetime) : 0
    onAuthenticated?.({ broker: ctx.broker, mechanism, reauthentication: ctx.reauthentication, sessionLifetimeMs })
    return sessionLifetimeMs
  }
}
