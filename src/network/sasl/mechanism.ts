/** The shape every SASL mechanism implements, and the factory that picks one from the `sasl` option. */
import { SASL_MECHANISM_NAMES, type SaslCredential, type SaslOptions } from '../security-options.js'
import { OAuthBearerMechanism } from './oauthbearer.js'
import { PlainMechanism } from './plain.js'
import { ScramMechanism } from './scram.js'

/**
 * One client-side SASL conversation (like Java's `SaslClient`): a fresh instance per
 * authentication, so nonces and credentials are never reused.
 */
export interface SaslSession {
  /** Kafka's mechanism name, e.g. `SCRAM-SHA-512`. */
  readonly mechanism: string
  /** The first client token. Calls the credential / token provider. */
  start(): Promise<Uint8Array>
  /**
   * Consumes a server token; returns the next client token, or null when the exchange is complete
   * and verified. Throws {@link SaslMechanismError} when the server's answer is invalid.
   */
  next(serverToken: Uint8Array): Promise<Uint8Array | null>
}

/** A mechanism-level failure detected by the client (bad server proof, bad nonce, provider error). */
export class SaslMechanismError extends Error {
  override readonly name: string = 'SaslMechanismError'
}

/** Makes a new {@link SaslSession} per authentication for `options`. */
export function saslSessionFactory(options: SaslOptions): () => SaslSession {
  switch (options.mechanism) {
    case 'plain':
      return () => new PlainMechanism(options.username, options.password, options.authorizationIdentity ?? '')
    case 'scram-sha-256':
    case 'scram-sha-512':
      return () => new ScramMechanism(options.mechanism === 'scram-sha-256' ? 'sha256' : 'sha512', options.username, options.password)
    case 'oauthbearer':
      return () => new OAuthBearerMechanism(options.oauthBearerProvider)
  }
}

/** Kafka's name for the mechanism of `options`. */
export function mechanismName(options: SaslOptions): string {
  return SASL_MECHANISM_NAMES[options.mechanism]
}

/** Resolves a credential; a provider's exception is reported without its (possibly secret) value. */
export async function resolveCredential(credential: SaslCredential, what: string): Promise<string> {
  let value: unknown
  try {
    value = typeof credential === 'function' ? await credential() : credential
  } catch (err) {
    throw new SaslMechanismError(`the ${what} provider threw: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (typeof value !== 'string' || value === '') throw new SaslMechanismError(`the ${what} provider returned ${typeof value === 'string' ? 'an empty string' : `a ${typeof value}`}, expected a non-empty string`)
  return value
}
