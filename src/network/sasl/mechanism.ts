/** The factory that picks the SASL mechanism for the `sasl` option. */
import { SASL_MECHANISM_NAMES, type SaslOptions } from '../security-options.js'
import { OAuthBearerMechanism } from './oauthbearer.js'
import { PlainMechanism } from './plain.js'
import { ScramMechanism } from './scram.js'
import type { SaslSession } from './session.js'

export { SaslMechanismError, resolveCredential, type SaslSession } from './session.js'

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
