/**
 * Turns Java/librdkafka-named security settings (as the CLI's `-X key=value` collects them) into
 * the producer's `ssl` / `sasl` options. The password may come from `KAFKA_WIRE_SASL_PASSWORD` so
 * it stays out of shell history; no message ever repeats a password.
 */
import { readFileSync } from 'node:fs'
import type { SaslOptions, SslOptions } from '../network/security-options.js'
import type { Authenticator } from '../network/authenticator.js'
import type { SocketFactory } from '../network/connection.js'
import { saslAuthenticator } from '../network/sasl/authenticate.js'
import { tlsSocketFactory } from '../network/tls.js'
import { UsageError } from './errors.js'
import { isSecurityKey } from './java-options.js'

/** The environment variable read for `sasl.password` when it is not given. */
export const SASL_PASSWORD_ENV = 'KAFKA_WIRE_SASL_PASSWORD'

/** The settings {@link securityOptionsFromSettings} understands (Java / librdkafka names). */
export const SECURITY_SETTING_NAMES: readonly string[] = [
  'security.protocol',
  'sasl.mechanism',
  'sasl.mechanisms',
  'sasl.username',
  'sasl.password',
  'ssl.ca.location',
  'ssl.certificate.location',
  'ssl.key.location',
]

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const
const MECHANISMS: Readonly<Record<string, 'plain' | 'scram-sha-256' | 'scram-sha-512'>> = { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' }

/** The producer options made from the settings (both absent for PLAINTEXT). */
export interface SecurityProducerOptions {
  ssl?: SslOptions
  sasl?: SaslOptions
}

/** Reads a PEM file named by a setting, naming the setting (not the contents) on failure. */
type FileReader = (path: string) => string

function readPem(key: string, path: string, read: FileReader): string {
  try {
    return read(path)
  } catch (err) {
    throw new UsageError(`-X ${key}=${path}: cannot read the file (${err instanceof Error ? err.message : String(err)})`)
  }
}

/**
 * Builds `{ ssl, sasl }` from `settings` (keys as in {@link SECURITY_SETTING_NAMES}; other keys are
 * ignored, so the caller can pass its whole `-X` map). `security.protocol` defaults to PLAINTEXT,
 * or SASL_PLAINTEXT when a mechanism is set. OAUTHBEARER needs a token provider in code: from the
 * command line it is a {@link UsageError} naming docs/security.md.
 * @throws UsageError naming the bad setting
 */
export function securityOptionsFromSettings(
  settings: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
  read: FileReader = (p) => readFileSync(p, 'utf8'),
): SecurityProducerOptions {
  const mechanismRaw = settings['sasl.mechanism'] ?? settings['sasl.mechanisms']
  const protocolRaw = (settings['security.protocol'] ?? (mechanismRaw !== undefined ? 'SASL_PLAINTEXT' : 'PLAINTEXT')).toUpperCase()
  const protocol = PROTOCOLS.find((p) => p === protocolRaw)
  if (protocol === undefined) throw new UsageError(`-X security.protocol: expected one of ${PROTOCOLS.join(', ')}, got ${JSON.stringify(settings['security.protocol'])}`)
  const out: SecurityProducerOptions = {}
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL'
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'
  const tlsKeys = ['ssl.ca.location', 'ssl.certificate.location', 'ssl.key.location'].filter((k) => settings[k] !== undefined)
  if (!usesTls && tlsKeys.length > 0) throw new UsageError(`-X ${tlsKeys[0]} needs -X security.protocol=SSL or SASL_SSL (got ${protocol})`)
  if (usesTls) {
    const ssl: { ca?: string; cert?: string; key?: string } = {}
    const ca = settings['ssl.ca.location']
    const cert = settings['ssl.certificate.location']
    const key = settings['ssl.key.location']
    if (ca !== undefined) ssl.ca = readPem('ssl.ca.location', ca, read)
    if ((cert === undefined) !== (key === undefined)) throw new UsageError('-X ssl.certificate.location and -X ssl.key.location go together (mTLS needs both)')
    if (cert !== undefined && key !== undefined) {
      ssl.cert = readPem('ssl.certificate.location', cert, read)
      ssl.key = readPem('ssl.key.location', key, read)
    }
    out.ssl = Object.keys(ssl).length === 0 ? true : ssl
  }
  const saslKeys = ['sasl.username', 'sasl.password'].filter((k) => settings[k] !== undefined)
  if (!usesSasl) {
    if (mechanismRaw !== undefined || saslKeys.length > 0) throw new UsageError(`-X ${mechanismRaw !== undefined ? 'sasl.mechanism' : saslKeys[0]} needs -X security.protocol=SASL_PLAINTEXT or SASL_SSL (got ${protocol})`)
    return out
  }
  if (mechanismRaw === undefined) throw new UsageError(`-X security.protocol=${protocol} needs -X sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`)
  const upper = mechanismRaw.toUpperCase()
  if (upper === 'OAUTHBEARER') throw new UsageError('-X sasl.mechanism=OAUTHBEARER needs a token provider in code (oauthBearerProvider); see docs/security.md')
  const mechanism = MECHANISMS[upper]
  if (mechanism === undefined) throw new UsageError(`-X sasl.mechanism: expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got ${JSON.stringify(mechanismRaw)}`)
  const username = settings['sasl.username']
  if (username === undefined || username === '') throw new UsageError(`-X sasl.mechanism=${upper} needs -X sasl.username`)
  const password = settings['sasl.password'] ?? env[SASL_PASSWORD_ENV]
  if (password === undefined || password === '') throw new UsageError(`-X sasl.mechanism=${upper} needs a password: -X sasl.password or the ${SASL_PASSWORD_ENV} environment variable`)
  out.sasl = { mechanism, username, password }
  return out
}

/**
 * What a CLI command's connections need for security: the producer options, and the TLS socket
 * factory and SASL authenticator of the CLI's own raw connections. Both are made by the same
 * network-layer functions the producer's transport uses (`tlsSocketFactory`, `saslAuthenticator`),
 * so the CLI and the library connect the same way.
 */
export interface CliSecurity {
  /** `ssl` / `sasl` for the producer (both absent for PLAINTEXT). */
  readonly producer: SecurityProducerOptions
  /** For `Connection` options: absent for PLAINTEXT. */
  readonly socketFactory?: SocketFactory
  /** For `Connection` options: absent without SASL. */
  readonly authenticator?: Authenticator
}

/**
 * Builds the {@link CliSecurity} of a command from its raw `-X key=value` items: only the security
 * keys (`security.protocol`, `sasl.*`, `ssl.*`) are read (the producer's `-X` table checks the
 * others). An unknown security key is a {@link UsageError} naming the key, never its value (a
 * mistyped `sasl.pasword=...` must not echo the password, nor be silently ignored). Later items win.
 * @throws UsageError naming the bad setting
 */
export function cliSecurity(
  items: readonly string[],
  command: string,
  env: Readonly<Record<string, string | undefined>>,
  read?: FileReader,
): CliSecurity {
  const settings: Record<string, string> = {}
  for (const item of items) {
    const eq = item.indexOf('=')
    if (eq <= 0) continue // parseJavaOptions or securityOnly reports it
    const key = item.slice(0, eq).trim()
    if (!isSecurityKey(key)) continue
    if (!SECURITY_SETTING_NAMES.includes(key)) throw new UsageError(`-X ${key}: unknown security setting; known: ${SECURITY_SETTING_NAMES.join(', ')}`, command)
    settings[key] = item.slice(eq + 1)
  }
  let producer: SecurityProducerOptions
  try {
    producer = securityOptionsFromSettings(settings, env, read)
  } catch (err) {
    // Add the command's --help hint (the builder has no command name).
    if (err instanceof UsageError) throw new UsageError(err.message.replace(/ \(see: kafka-wire --help\)$/, ''), command)
    throw err
  }
  return {
    producer,
    ...(producer.ssl !== undefined ? { socketFactory: tlsSocketFactory(producer.ssl) } : {}),
    ...(producer.sasl !== undefined ? { authenticator: saslAuthenticator(producer.sasl) } : {}),
  }
}

/** The `-X` flag of commands that take only security settings (`metadata`, `api-versions`). */
export const SECURITY_FLAGS = {
  config: {
    type: 'string',
    short: 'X',
    multiple: true,
    valueName: 'key=value',
    description:
      'a security setting: security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, ' +
      'ssl.certificate.location, ssl.key.location (the password is best given in KAFKA_WIRE_SASL_PASSWORD)',
  },
} as const

/**
 * For commands that take `-X` only for security (`metadata`, `api-versions`): any other key is a
 * {@link UsageError} naming it (producer options mean nothing there).
 * @throws UsageError naming the first non-security key or malformed item
 */
export function securityOnly(items: readonly string[], command: string): void {
  for (const item of items) {
    const eq = item.indexOf('=')
    // The item may be `sasl.password` without '=': name only what precedes a value.
    if (eq <= 0) throw new UsageError(`-X needs key=value (got an item without '=')`, command)
    const key = item.slice(0, eq).trim()
    if (!isSecurityKey(key)) throw new UsageError(`-X ${key}: ${command} takes only security settings (${SECURITY_SETTING_NAMES.join(', ')})`, command)
  }
}
