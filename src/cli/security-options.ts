/**
 * Turns Java/librdkafka-named security settings (as the CLI's `-X key=value` collects them) into
 * the producer's `ssl` / `sasl` options. The password may come from `KAFKA_WIRE_SASL_PASSWORD` so
 * it stays out of shell history; no message ever repeats a password.
 */
import { readFileSync } from 'node:fs'
import type { SaslOptions, SslOptions } from '../network/security-options.js'
import { UsageError } from './errors.js'

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
