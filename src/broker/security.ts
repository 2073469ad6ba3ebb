/**
 * Secured listeners for test brokers (issue 13): a test CA and certificates made with `openssl`
 * (PEM keystores, KIP-651), SSL (mTLS required), SASL_PLAINTEXT and SASL_SSL listeners beside
 * PLAINTEXT, PLAIN users in the listeners' JAAS config, SCRAM users added at format time (KIP-900),
 * OAUTHBEARER with the broker's unsecured JWS validator (tests only), KIP-368
 * `connections.max.reauth.ms`, and the StandardAuthorizer. Facts: shared/docs/security-transactions-registry.md §1.
 */
import { InvalidArgumentError } from '../kafka-wire-error.js'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A SASL user (PLAIN and SCRAM-SHA-256/512 alike). */
export interface TestUser {
  readonly name: string
  readonly password: string
}

/** Options of the secured listeners (`ClusterOptions.security`). */
export interface BrokerSecurityOptions {
  /** SASL users; default alice/alice-secret and bob/bob-secret. */
  readonly users?: readonly TestUser[]
  /** KIP-368 `connections.max.reauth.ms` on the SASL listeners; default unset (no re-authentication). */
  readonly reauthMs?: number
  /**
   * Enable the StandardAuthorizer (`allow.everyone.if.no.acl.found=true`, so only resources with
   * ACLs are restricted; the PLAINTEXT/controller principal ANONYMOUS is a super user). Default true.
   */
  readonly authorizer?: boolean
}

/** File paths and PEM contents of the test PKI. */
export interface TestPki {
  readonly dir: string
  /** CA that signed the broker and client certificates (PEM). */
  readonly caPem: string
  /** A second CA that signed nothing the broker uses (for "untrusted CA" tests). */
  readonly otherCaPem: string
  /** mTLS client certificate (CN=client, signed by the test CA) and its key (PEM). */
  readonly clientCertPem: string
  readonly clientKeyPem: string
  /** Paths of the same, for tools (kcat, Java clients). */
  readonly caPath: string
  readonly clientCertPath: string
  readonly clientKeyPath: string
  /** The broker's PEM keystore (key then certificate) and truststore. */
  readonly serverKeystorePath: string
}

/** Client ports of one node's secured listeners. */
export interface SecurePorts {
  readonly ssl: number
  readonly saslPlaintext: number
  readonly saslSsl: number
  /** SSL without client certificates (one-way TLS: the client checks the broker only). */
  readonly sslOneWay: number
}

/** The default SASL users of test brokers. */
export const DEFAULT_TEST_USERS: readonly TestUser[] = [
  { name: 'alice', password: 'alice-secret' },
  { name: 'bob', password: 'bob-secret' },
]

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, timeout: 60_000 })
}

/** Makes a CA, a broker certificate with SAN localhost + 127.0.0.1, a client certificate and an unrelated CA. */
export async function makeTestPki(dir: string): Promise<TestPki> {
  mkdirSync(dir, { recursive: true })
  const days = '30'
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', days, '-subj', '/CN=kafka-wire-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem'], dir)
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', days, '-subj', '/CN=kafka-wire-other-ca', '-keyout', 'other-ca.key', '-out', 'other-ca.pem'], dir)
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n')
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n')
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'client'],
  ] as const) {
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir)
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', days, '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir)
  }
  // The broker's PEM keystore: unencrypted PKCS#8 key, then the certificate (DefaultSslEngineFactory).
  writeFileSync(join(dir, 'server.pem'), readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.crt'), 'utf8'))
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8')
  return {
    dir,
    caPem: read('ca.pem'),
    otherCaPem: read('other-ca.pem'),
    clientCertPem: read('client.crt'),
    clientKeyPem: read('client.key'),
    caPath: join(dir, 'ca.pem'),
    clientCertPath: join(dir, 'client.crt'),
    clientKeyPath: join(dir, 'client.key'),
    serverKeystorePath: join(dir, 'server.pem'),
  }
}

/** JAAS string values are double-quoted; a quote or backslash in a test password would break them. */
function jaasValue(s: string): string {
  if (/["\\]/.test(s)) throw new InvalidArgumentError('test user names and passwords must not contain quotes or backslashes')
  return `"${s}"`
}

/**
 * Broker properties for the secured listeners of a node whose PLAINTEXT and CONTROLLER ports are
 * `port` / `controllerPort`. The inter-broker listener stays PLAINTEXT.
 */
export function securityProperties(port: number, controllerPort: number, ports: SecurePorts, pki: TestPki, options: BrokerSecurityOptions): Record<string, string> {
  const users = options.users ?? DEFAULT_TEST_USERS
  const plainUsers = users.map((u) => `user_${u.name}=${jaasValue(u.password)}`).join(' ')
  const props: Record<string, string> = {
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SSL://127.0.0.1:${ports.ssl},SASL_PLAINTEXT://127.0.0.1:${ports.saslPlaintext},SASL_SSL://127.0.0.1:${ports.saslSsl},SSL_ONEWAY://127.0.0.1:${ports.sslOneWay}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SSL://127.0.0.1:${ports.ssl},SASL_PLAINTEXT://127.0.0.1:${ports.saslPlaintext},SASL_SSL://127.0.0.1:${ports.saslSsl},SSL_ONEWAY://127.0.0.1:${ports.sslOneWay}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SSL_ONEWAY:SSL',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': pki.serverKeystorePath,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': pki.caPath,
    // mTLS on the SSL listener only; SASL_SSL authenticates with SASL.
    'listener.name.ssl.ssl.client.auth': 'required',
    // One-way TLS: the broker asks for no client certificate (the principal is ANONYMOUS).
    'listener.name.ssl_oneway.ssl.client.auth': 'none',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
  }
  for (const listener of ['sasl_plaintext', 'sasl_ssl']) {
    props[`listener.name.${listener}.plain.sasl.jaas.config`] = `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`
    props[`listener.name.${listener}.scram-sha-256.sasl.jaas.config`] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
    props[`listener.name.${listener}.scram-sha-512.sasl.jaas.config`] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
    // No server callback handler: the broker's unsecured JWS validator (tests only).
    props[`listener.name.${listener}.oauthbearer.sasl.jaas.config`] = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;'
  }
  if (options.reauthMs !== undefined) props['connections.max.reauth.ms'] = String(options.reauthMs)
  if (options.authorizer ?? true) {
    props['authorizer.class.name'] = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'
    // Inter-broker and controller traffic is PLAINTEXT, whose principal is ANONYMOUS.
    props['super.users'] = 'User:ANONYMOUS;User:admin'
    props['allow.everyone.if.no.acl.found'] = 'true'
  }
  return props
}

/** `StorageTool format` arguments adding every user's SCRAM-SHA-256 and -512 credentials (KIP-900). */
export function scramFormatArgs(options: BrokerSecurityOptions): string[] {
  const args: string[] = []
  for (const u of options.users ?? DEFAULT_TEST_USERS) {
    if (/[,=\]]/.test(u.name) || /[,\]]/.test(u.password)) throw new InvalidArgumentError('SCRAM test users must not contain , = or ]')
    for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) args.push('--add-scram', `${m}=[name=${u.name},password=${u.password}]`)
  }
  return args
}
