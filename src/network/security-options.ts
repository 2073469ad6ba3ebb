/**
 * The `ssl` and `sasl` options (KafkaJS-compatible shape) and their validation; the types live in
 * the network layer so the producer only passes them through.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'

/**
 * `ssl` (Java `security.protocol=SSL`/`SASL_SSL`): `true` for the system CAs, or Node's
 * `tls.connect` options (`ca` as a PEM string or Buffer = `ssl.truststore.*`; `cert` + `key` for
 * mTLS = `ssl.keystore.*`). Hostname verification stays on unless `checkServerIdentity` is replaced;
 * SNI is the broker's host name (never an IP literal, RFC 6066 §3).
 */
export type SslOptions = true | Omit<TlsConnectionOptions, 'host' | 'port' | 'socket' | 'path'>

/** A credential, or a function returning it; the function is called on every authentication. */
export type SaslCredential = string | (() => string | Promise<string>)

/** SASL/PLAIN (RFC 4616). Only over TLS outside tests: the password travels as is. */
export interface PlainSaslOptions {
  readonly mechanism: 'plain'
  /** `sasl.username`. */
  readonly username: SaslCredential
  /** `sasl.password`. */
  readonly password: SaslCredential
  /** RFC 4616 authorization identity (rarely used; Kafka requires it empty or equal to the user). */
  readonly authorizationIdentity?: string
}

/** SASL/SCRAM-SHA-256 or -512 (RFC 5802 / RFC 7677). */
export interface ScramSaslOptions {
  readonly mechanism: 'scram-sha-256' | 'scram-sha-512'
  /** `sasl.username`. */
  readonly username: SaslCredential
  /** `sasl.password`. */
  readonly password: SaslCredential
}

/** A token from an {@link OAuthBearerSaslOptions.oauthBearerProvider}. */
export interface OAuthBearerToken {
  /** The compact JWT (or other bearer token) sent to the broker. */
  readonly value: string
  /** Lifetime in ms from now; informative (the broker's session_lifetime_ms drives re-authentication). */
  readonly lifetimeMs?: number
  /** Principal name, informative. */
  readonly principal?: string
  /** KIP-342 SASL extensions (`key=value` pairs sent with the token; keys `[A-Za-z]+`, not `auth`). */
  readonly extensions?: Readonly<Record<string, string>>
}

/** SASL/OAUTHBEARER (RFC 7628, KIP-255, KIP-342). */
export interface OAuthBearerSaslOptions {
  readonly mechanism: 'oauthbearer'
  /** Called on every authentication and re-authentication (KIP-368); cache tokens there. */
  readonly oauthBearerProvider: () => OAuthBearerToken | Promise<OAuthBearerToken>
}

/** `sasl` (Java `sasl.mechanism` + `sasl.jaas.config`). */
export type SaslOptions = PlainSaslOptions | ScramSaslOptions | OAuthBearerSaslOptions

/** Kafka's name of each mechanism. */
export const SASL_MECHANISM_NAMES = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
  oauthbearer: 'OAUTHBEARER',
} as const

/** Describes a value without printing it (it may be a secret). */
function kind(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return `a ${typeof v}`
}

/** Returns why `ssl` is invalid, or undefined when it is fine. */
export function sslOptionsProblem(ssl: unknown): string | undefined {
  if (ssl === undefined || ssl === false || ssl === true) return undefined
  if (ssl === null || typeof ssl !== 'object' || Array.isArray(ssl)) return `expected true or tls.connect options, got ${kind(ssl)}`
  for (const key of ['host', 'port', 'socket', 'path']) {
    if (key in ssl) return `${key} is chosen per broker by kafka-wire and must not be set in ssl`
  }
  return undefined
}

/** Returns why `sasl` is invalid (never echoing a credential), or undefined when it is fine. */
export function saslOptionsProblem(sasl: unknown): string | undefined {
  if (sasl === undefined) return undefined
  if (sasl === null || typeof sasl !== 'object' || Array.isArray(sasl)) return `expected an object such as { mechanism: 'scram-sha-512', username, password }, got ${kind(sasl)}`
  const s = sasl as Record<string, unknown>
  const m = s.mechanism
  if (typeof m !== 'string' || !(m in SASL_MECHANISM_NAMES)) {
    return `mechanism must be one of ${Object.keys(SASL_MECHANISM_NAMES).join(', ')}, got ${typeof m === 'string' ? JSON.stringify(m) : kind(m)}`
  }
  const allowed = m === 'oauthbearer' ? ['mechanism', 'oauthBearerProvider'] : m === 'plain' ? ['mechanism', 'username', 'password', 'authorizationIdentity'] : ['mechanism', 'username', 'password']
  for (const key of Object.keys(s)) if (!allowed.includes(key)) return `unknown key ${JSON.stringify(key)} for mechanism ${m} (allowed: ${allowed.join(', ')})`
  if (m === 'oauthbearer') {
    if (typeof s.oauthBearerProvider !== 'function') return `oauthBearerProvider must be a function returning { value }, got ${kind(s.oauthBearerProvider)}`
    return undefined
  }
  for (const key of ['username', 'password']) {
    const v = s[key]
    if (typeof v === 'string') {
      if (v === '') return `${key} must not be empty`
    } else if (typeof v !== 'function') return `${key} must be a string or a function returning one, got ${kind(v)}`
  }
  if (s.authorizationIdentity !== undefined && typeof s.authorizationIdentity !== 'string') return `authorizationIdentity must be a string, got ${kind(s.authorizationIdentity)}`
  return undefined
}
