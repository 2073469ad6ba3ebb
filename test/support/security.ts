/**
 * Test helpers for the secured-broker tests (issue 13): unsecured JWS tokens for the broker's
 * default OAUTHBEARER validator, a counting TCP forwarder (to count connection attempts),
 * kcat and Java console-consumer read-back with the same security settings, and a logger that
 * captures every line for the secret grep.
 */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { inspect } from 'node:util'
import type { KafkaCluster, TestPki } from '../../src/broker/index.js'
import type { Logger } from '../../src/index.js'

const run = promisify(execFile)

/** An unsecured JWS (`alg: none`) the broker's default OAUTHBEARER validator accepts (OAuthBearerUnsecuredJws). */
export function unsecuredJws(sub: string, lifetimeSeconds: number, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b64({ alg: 'none' })}.${b64({ sub, iat: nowSeconds, exp: nowSeconds + lifetimeSeconds })}.`
}

/** A loopback TCP forwarder to `port` that counts the connections clients open through it. */
export interface CountingProxy {
  readonly address: string
  readonly connections: number
  close(): Promise<void>
}

/** Starts a {@link CountingProxy} in front of 127.0.0.1:`port`. */
export async function countingProxy(port: number): Promise<CountingProxy> {
  let connections = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    connections++
    const upstream = connect({ host: '127.0.0.1', port })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => {
        sockets.delete(s)
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no proxy address')
  return {
    address: `127.0.0.1:${addr.port}`,
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Every line a test logger received, for the secret grep. */
export const capturedText: string[] = []

/** A logger recording every level (debug included) into {@link capturedText}. */
export function capturingLogger(): Logger {
  const rec =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      capturedText.push(`${level} ${message} ${fields === undefined ? '' : inspect(fields, { depth: 6 })}`)
    }
  return { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') }
}

/** Records an error's message, name, stack and cause chain into {@link capturedText}. */
export function captureError(err: unknown): void {
  capturedText.push(inspect(err, { depth: 6 }))
}

/** One record as an independent consumer read it. */
export interface ReadRecord {
  readonly key: string
  readonly value: string
  readonly headers: string
}

/** Security settings of an independent consumer, librdkafka (`-X`) style. */
export type ConsumerSecurity = Readonly<Record<string, string>>

/** librdkafka settings for a listener. */
export function kcatSecurity(pki: TestPki, protocol: 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL_ONEWAY', sasl?: { mechanism: string; username?: string; password?: string; oauthPrincipal?: string }): ConsumerSecurity {
  const x: Record<string, string> = { 'security.protocol': protocol === 'SSL_ONEWAY' ? 'ssl' : protocol.toLowerCase() }
  if (protocol !== 'SASL_PLAINTEXT') x['ssl.ca.location'] = pki.caPath
  if (protocol === 'SSL') {
    x['ssl.certificate.location'] = pki.clientCertPath
    x['ssl.key.location'] = pki.clientKeyPath
  }
  if (sasl !== undefined) {
    x['sasl.mechanisms'] = sasl.mechanism
    if (sasl.mechanism === 'OAUTHBEARER') {
      x['enable.sasl.oauthbearer.unsecure.jwt'] = 'true'
      x['sasl.oauthbearer.config'] = `principal=${sasl.oauthPrincipal ?? 'alice'}`
    } else {
      x['sasl.username'] = sasl.username ?? ''
      x['sasl.password'] = sasl.password ?? ''
    }
  }
  return x
}

/** Reads the whole topic with kcat (librdkafka) over a secured listener. */
export async function readWithKcat(bootstrap: string, topic: string, security: ConsumerSecurity): Promise<ReadRecord[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true', '-f', '%k\t%s\t%h\n']
  for (const [k, v] of Object.entries(security)) args.push('-X', `${k}=${v}`)
  const { stdout } = await run('kcat', args, { timeout: 180_000, maxBuffer: 256 * 1024 * 1024 })
  return parseLines(stdout, (line) => {
    const [key, value, headers] = line.split('\t')
    return { key: key ?? '', value: value ?? '', headers: headers ?? '' }
  })
}

function parseLines(stdout: string, each: (line: string) => ReadRecord): ReadRecord[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map(each)
}

/**
 * Reads `count` records with Kafka's own console consumer (the Java client) over SASL with
 * `mechanism` (SCRAM: Debian kcat's librdkafka 2.0.2 fails SCRAM on Kafka 4.x).
 */
export async function readWithJavaConsumer(cluster: KafkaCluster, bootstrap: string, topic: string, count: number, props: Readonly<Record<string, string>>): Promise<ReadRecord[]> {
  const file = join(cluster.dir, `consumer-${topic}.properties`)
  writeFileSync(file, `${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`)
  const { stdout } = await cluster.runTool(
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    ['--bootstrap-server', bootstrap, '--topic', topic, '--from-beginning', '--max-messages', String(count), '--timeout-ms', '60000', '--consumer.config', file,
      '--property', 'print.key=true', '--property', 'print.headers=true', '--property', 'key.separator=\t', '--property', 'headers.separator=,'],
    240_000,
  )
  // print.headers puts headers first: "<headers>\t<key>\t<value>"; other lines (tool notices) are not records.
  const records = stdout.split('\n').filter((l) => l.split('\t').length === 3)
  return parseLines(records.join('\n'), (line) => {
    const [headers, key, value] = line.split('\t')
    // The Java formatter writes header pairs as key:value (kcat: key=value); our values hold no ':'.
    return { key: key ?? '', value: value ?? '', headers: (headers ?? '').replace(/:/g, '=') }
  })
}
