// TLS socket factory (SNI, hostname verification, CA as string or Buffer) and the typing of TLS
// failures, against a local TLS server with certificates from the harness's openssl PKI (issue 13).
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Server, type TLSSocket, createServer } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTestPki, type TestPki } from '../../../src/broker/security.js'
import { Connection } from '../../../src/network/connection.js'
import { SslAuthenticationError } from '../../../src/network/security-errors.js'
import { classifyTlsError, tlsSocketFactory } from '../../../src/network/tls.js'
import type { SslOptions } from '../../../src/network/security-options.js'

let pki: TestPki
let server: Server
let port = 0
const sniSeen: Array<string | false> = []
const dir = join(tmpdir(), `kw-tls-${process.pid}`)

beforeAll(async () => {
  pki = await makeTestPki(dir)
  server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')), ca: pki.caPem, requestCert: false }, (s: TLSSocket) => {
    sniSeen.push((s as TLSSocket & { servername: string | false }).servername)
    s.end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const a = server.address()
  port = typeof a === 'object' && a !== null ? a.port : 0
}, 60_000)

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
  rmSync(dir, { recursive: true, force: true })
})

function handshake(host: string, ssl: SslOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsSocketFactory(ssl)({ host, port }) as TLSSocket
    s.once('secureConnect', () => resolve(s))
    s.once('error', reject)
  })
}

describe('tlsSocketFactory', () => {
  it('sends SNI = host name, none for an IP literal, and verifies both against the SAN', async () => {
    sniSeen.length = 0
    // The server ends each connection once it saw the handshake; wait for that before looking.
    const closed = (s: TLSSocket): Promise<void> => new Promise((r) => s.once('close', () => r()).resume())
    await closed(await handshake('localhost', { ca: pki.caPem }))
    await closed(await handshake('127.0.0.1', { ca: Buffer.from(pki.caPem) }))
    expect(sniSeen).toEqual(['localhost', false])
  })
  it('rejects an untrusted CA and a host name the certificate does not name, as typed errors', async () => {
    const untrusted = await handshake('localhost', { ca: pki.otherCaPem }).then(() => undefined, (e: unknown) => classifyTlsError('b:1', e))
    expect(untrusted).toBeInstanceOf(SslAuthenticationError)
    expect(untrusted?.retriable).toBe(false)
    expect(untrusted?.reason).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/)
    const wrongName = await handshake('127.0.0.1', { ca: pki.caPem, servername: 'other.example' }).then(() => undefined, (e: unknown) => classifyTlsError('b:1', e))
    expect(wrongName?.reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })
  it('a Connection reports a certificate failure as SslAuthenticationError, not a retriable reset', async () => {
    const c = new Connection({ host: '127.0.0.1', port, clientId: 't', socketFactory: tlsSocketFactory({ ca: pki.otherCaPem }) })
    const err = await c.connect().then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SslAuthenticationError)
    expect((err as Error).message).toMatch(/^127\.0\.0\.1:\d+: TLS authentication failed \(/)
  })
})

describe('a broker that requires a client certificate (mTLS) and gets none', () => {
  // Whatever TLS version and OpenSSL release (3.0 in Node 22, 3.5 in Node 24, which renamed the
  // alert codes), the refusal is an SslAuthenticationError, never a retriable reset.
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${maxVersion}: SslAuthenticationError naming the alert`, async () => {
      const mtls = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')), ca: pki.caPem, requestCert: true, rejectUnauthorized: true, maxVersion }, (s: TLSSocket) => s.end())
      mtls.on('tlsClientError', () => undefined)
      await new Promise<void>((r) => mtls.listen(0, '127.0.0.1', () => r()))
      const a = mtls.address()
      try {
        const c = new Connection({ host: '127.0.0.1', port: typeof a === 'object' && a !== null ? a.port : 0, clientId: 't', socketFactory: tlsSocketFactory({ ca: pki.caPem }) })
        const err = await c.connect().then(() => undefined, (e: unknown) => e)
        expect(err).toBeInstanceOf(SslAuthenticationError)
        expect((err as Error).message).toMatch(/TLS authentication failed \(ERR_SSL_.*ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|HANDSHAKE_FAILURE)\)/)
      } finally {
        await new Promise<void>((r) => mtls.close(() => r()))
      }
    })
  }
})

describe('classifyTlsError', () => {
  const withCode = (code: string): Error => Object.assign(new Error('x'), { code })
  it('types certificate codes and mTLS alerts; leaves resets alone', () => {
    expect(classifyTlsError('b', withCode('CERT_HAS_EXPIRED'))?.reason).toBe('CERT_HAS_EXPIRED')
    expect(classifyTlsError('b', withCode('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'))?.message).toMatch(/client certificate is missing or not trusted/)
    expect(classifyTlsError('b', withCode('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'))?.message).toMatch(/alert bad_certificate/)
    // OpenSSL 3.5's name for the same alert (Node 24).
    expect(classifyTlsError('b', withCode('ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE'))?.message).toMatch(/alert bad_certificate/)
    expect(classifyTlsError('b', withCode('ECONNRESET'))).toBeUndefined()
    expect(classifyTlsError('b', new Error('no code'))).toBeUndefined()
  })
})
