// The SASL step of the connection and KIP-368 re-authentication against a scripted server: no
// request interleaves with a SASL exchange, in-flight requests drain first, failures are typed
// and not retriable, and everything is bounded by the setup timeout (issue 13).
import { afterEach, describe, expect, it } from 'vitest'
import { Connection } from '../../../src/network/connection.js'
import { saslAuthenticator } from '../../../src/network/sasl/authenticate.js'
import { SaslAuthenticationError } from '../../../src/network/security-errors.js'
import { ApiVersionsApi } from '../../../src/protocol/api-versions.js'
import { type MetadataResponse, MetadataApi } from '../../../src/protocol/metadata.js'
import { Reader } from '../../../src/protocol/reader.js'
import { SaslAuthenticateApi } from '../../../src/protocol/sasl-authenticate.js'
import { SaslHandshakeApi } from '../../../src/protocol/sasl-handshake.js'
import { decodeRequestHeader } from '../../../src/protocol/headers.js'
import { type FakeClient, type FakeRequest, FakeServer, fakeApiVersions } from '../../support/fake-server.js'

const METADATA: MetadataResponse = { throttleTimeMs: 0, brokers: [], clusterId: 'fake', controllerId: 1, topics: [], clusterAuthorizedOperations: -2147483648, errorCode: 0 }

let fake: FakeServer | undefined
let conn: Connection | undefined
afterEach(async () => {
  conn?.close()
  await fake?.close()
  fake = conn = undefined
})

function versions(): ReturnType<typeof fakeApiVersions> {
  const v = fakeApiVersions()
  return { ...v, apiKeys: [...v.apiKeys, { apiKey: 17, minVersion: 0, maxVersion: 1 }, { apiKey: 36, minVersion: 0, maxVersion: 2 }] }
}

function authBytes(req: FakeRequest): string {
  const r = new Reader(req.frame)
  decodeRequestHeader(r, req.apiVersion >= SaslAuthenticateApi.firstFlexibleVersion)
  return Buffer.from(SaslAuthenticateApi.decodeRequest(r, req.apiVersion).authBytes).toString('latin1')
}

interface Script {
  lifetimeMs: bigint
  authError?: { code: number; message: string }
  /** Metadata answers are delayed so that some are in flight when re-authentication is due. */
  metadataDelayMs: number
}

/** A SASL/PLAIN broker; records violations of the KIP-368 rules it can observe. */
function saslBroker(script: Script): { violations: string[]; handshakes: number; handler: (client: FakeClient) => void } {
  const state = { violations: [] as string[], handshakes: 0 }
  return Object.assign(state, {
    handler: (client: FakeClient) => {
      let outstanding = 0
      let inSasl = false
      client.onRequest = (req) => {
        if (req.apiKey === ApiVersionsApi.apiKey) client.reply(req, ApiVersionsApi, versions())
        else if (req.apiKey === SaslHandshakeApi.apiKey) {
          state.handshakes++
          if (outstanding > 0) state.violations.push(`SaslHandshake with ${outstanding} request(s) unanswered`)
          inSasl = true
          client.reply(req, SaslHandshakeApi, { errorCode: 0, mechanisms: ['PLAIN'] })
        } else if (req.apiKey === SaslAuthenticateApi.apiKey) {
          if (!inSasl) state.violations.push('SaslAuthenticate without SaslHandshake')
          if (authBytes(req) !== '\0alice\0alice-secret') state.violations.push('wrong PLAIN token')
          inSasl = false
          const e = script.authError
          client.reply(req, SaslAuthenticateApi, { errorCode: e?.code ?? 0, errorMessage: e?.message ?? null, authBytes: new Uint8Array(0), sessionLifetimeMs: script.lifetimeMs })
        } else {
          if (inSasl) state.violations.push(`api ${req.apiKey} interleaved with the SASL exchange`)
          outstanding++
          setTimeout(() => {
            outstanding--
            if (!client.socket.destroyed) client.reply(req, MetadataApi, METADATA)
          }, script.metadataDelayMs)
        }
      }
    },
  })
}

describe('SASL on a connection', () => {
  it('re-authenticates before the session ends, draining in-flight requests first, with nothing interleaved', async () => {
    const broker = saslBroker({ lifetimeMs: 300n, metadataDelayMs: 30 })
    fake = await FakeServer.start(broker.handler)
    let authentications = 0
    conn = new Connection({
      host: '127.0.0.1',
      port: fake.port,
      clientId: 't',
      authenticator: saslAuthenticator({ mechanism: 'plain', username: 'alice', password: async () => 'alice-secret' }, () => authentications++),
    })
    await conn.connect()
    expect(conn.sessionLifetimeMs).toBe(300)
    // Keep ~3 requests in flight for as long as it takes to see 4 re-authentications.
    let ok = 0
    while (conn.reauthenticationCount < 4) {
      await Promise.all([1, 2, 3].map(() => conn?.send(MetadataApi, { topics: [], allowAutoTopicCreation: false }).then(() => ok++)))
    }
    expect(broker.violations).toEqual([])
    expect(broker.handshakes).toBeGreaterThanOrEqual(5)
    expect(authentications).toBe(conn.reauthenticationCount + 1)
    expect(ok).toBeGreaterThan(0)
  })

  it('re-authentication traffic does not keep an idle connection open (connectionsMaxIdleMs still applies)', async () => {
    const broker = saslBroker({ lifetimeMs: 100n, metadataDelayMs: 0 })
    fake = await FakeServer.start(broker.handler)
    const c = new Connection({ host: '127.0.0.1', port: fake.port, clientId: 't', connectionsMaxIdleMs: 600, authenticator: saslAuthenticator({ mechanism: 'plain', username: 'alice', password: 'alice-secret' }) })
    conn = c
    await c.connect()
    const closed = await new Promise<unknown>((resolve) => c.onClose((err) => resolve(err ?? 'clean')))
    expect(closed).toBe('clean')
    expect(c.reauthenticationCount).toBeGreaterThanOrEqual(2)
    expect(broker.violations).toEqual([])
  })

  it('a refused authentication is a typed, non-retriable SaslAuthenticationError with the broker message', async () => {
    const broker = saslBroker({ lifetimeMs: 0n, metadataDelayMs: 0, authError: { code: 58, message: 'Authentication failed: Invalid username or password' } })
    fake = await FakeServer.start(broker.handler)
    conn = new Connection({ host: '127.0.0.1', port: fake.port, clientId: 't', authenticator: saslAuthenticator({ mechanism: 'plain', username: 'alice', password: 'alice-secret' }) })
    const err = await conn.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(SaslAuthenticationError)
    expect(err).toMatchObject({ retriable: false, mechanism: 'PLAIN', errorCode: 58, errorName: 'SASL_AUTHENTICATION_FAILED' })
    expect(String((err as Error).message)).toMatch(/Invalid username or password/)
    expect(String((err as Error).message)).not.toMatch(/alice-secret/)
    expect(conn.state).toBe('closed')
  })

  it('an unsupported mechanism names the ones the broker enables', async () => {
    fake = await FakeServer.start((client) => {
      client.onRequest = (req) => {
        if (req.apiKey === ApiVersionsApi.apiKey) client.reply(req, ApiVersionsApi, versions())
        else if (req.apiKey === SaslHandshakeApi.apiKey) client.reply(req, SaslHandshakeApi, { errorCode: 33, mechanisms: ['SCRAM-SHA-512'] })
      }
    })
    conn = new Connection({ host: '127.0.0.1', port: fake.port, clientId: 't', authenticator: saslAuthenticator({ mechanism: 'plain', username: 'a', password: 'b' }) })
    await expect(conn.connect()).rejects.toThrow(/does not enable PLAIN; it enables SCRAM-SHA-512.*|UNSUPPORTED_SASL_MECHANISM/)
  })

  it('a broker that never answers the SASL step fails within the setup timeout, naming the phase', async () => {
    fake = await FakeServer.start((client) => {
      client.onRequest = (req) => {
        if (req.apiKey === ApiVersionsApi.apiKey) client.reply(req, ApiVersionsApi, versions())
      }
    })
    conn = new Connection({ host: '127.0.0.1', port: fake.port, clientId: 't', connectionSetupTimeoutMs: 300, authenticator: saslAuthenticator({ mechanism: 'plain', username: 'a', password: 'b' }) })
    await expect(conn.connect()).rejects.toThrow(/during SASL authentication/)
  })

  it('a listener without SASL APIs is reported as such', async () => {
    fake = await FakeServer.start((client) => {
      client.onRequest = (req) => {
        if (req.apiKey === ApiVersionsApi.apiKey) client.reply(req, ApiVersionsApi, fakeApiVersions())
      }
    })
    conn = new Connection({ host: '127.0.0.1', port: fake.port, clientId: 't', authenticator: saslAuthenticator({ mechanism: 'plain', username: 'a', password: 'b' }) })
    await expect(conn.connect()).rejects.toThrow(/does not offer SaslHandshake/)
  })
})
