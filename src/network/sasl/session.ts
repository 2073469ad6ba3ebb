/** What every SASL mechanism implements, and the helpers they share (credentials, client-side errors). */
import { KafkaWireError } from '../../kafka-wire-error.js'
import type { SaslCredential } from '../security-options.js'

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
export class SaslMechanismError extends KafkaWireError {}

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
