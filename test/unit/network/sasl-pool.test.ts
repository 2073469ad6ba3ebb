// The broker pool never retries an authentication failure: bootstrap reports it as is, and a
// connection whose re-authentication was refused is not reconnected in the background (issue 13).
import { afterEach, describe, expect, it } from 'vitest'
import { BrokerPool } from '../../../src/network/broker-pool.js'
import { saslAuthenticator } from '../../../src/network/sasl/authenticate.js'
import { SaslAuthenticationError } from '../../../src/network/security-errors.js'
import { ApiVersionsApi } from '../../../src/protocol/api-versions.js'
import { SaslAuthenticateApi } from '../../../src/protocol/sasl-authenticate.js'
import { SaslHandshakeApi } from '../../../src/protocol/sasl-handshake.js'
import { FakeServer, fakeApiVersions, type FakeClient } from '../../support/fake-server.js'

let fake: FakeServer | undefined
let pool: BrokerPool | undefined
afterEach(async () => {
  await pool?.close()
  await fake?.close()
  fake = pool = undefined
})

/** A SASL broker whose n-th SaslAuthenticate (counting all connections) answers error 58 when `refuse(n)`. */
function broker(refuse: (n: number) => boolean, lifetimeMs: bigint): (client: FakeClient) => void {
  let n = 0
  return (client) => {
    client.onRequest = (req) => {
      if (req.apiKey === ApiVersionsApi.apiKey) {
        const v = fakeApiVersions()
        client.reply(req, ApiVersionsApi, { ...v, apiKeys: [...v.apiKeys, { apiKey: 17, minVersion: 0, maxVersion: 1 }, { apiKey: 36, minVersion: 0, maxVersion: 2 }] })
      } else if (req.apiKey === SaslHandshakeApi.apiKey) client.reply(req, SaslHandshakeApi, { errorCode: 0, mechanisms: ['PLAIN'] })
      else if (req.apiKey === SaslAuthenticateApi.apiKey) {
        const bad = refuse(++n)
        client.reply(req, SaslAuthenticateApi, { errorCode: bad ? 58 : 0, errorMessage: bad ? 'Authentication failed: Invalid username or password' : null, authBytes: new Uint8Array(0), sessionLifetimeMs: lifetimeMs })
      }
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('BrokerPool and authentication failures', () => {
  it('bootstrap rejects with the SaslAuthenticationError itself and tries no further server (the credentials are the same everywhere)', async () => {
    fake = await FakeServer.start(broker(() => true, 0n))
    pool = new BrokerPool({ bootstrapServers: [fake.address, fake.address], clientId: 't', authenticator: saslAuthenticator({ mechanism: 'plain', username: 'a', password: 'b' }) })
    const err = await pool.bootstrap().then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(SaslAuthenticationError)
    await sleep(300)
    expect(fake.clients.length).toBe(1)
  })

  it('a connection closed by a refused re-authentication is not reconnected in the background', async () => {
    fake = await FakeServer.start(broker((n) => n >= 2, 100n))
    pool = new BrokerPool({ bootstrapServers: [fake.address], clientId: 't', reconnectBackoffMs: 10, reconnectBackoffMaxMs: 20, authenticator: saslAuthenticator({ mechanism: 'plain', username: 'a', password: 'b' }) })
    pool.updateBrokers([{ nodeId: 1, host: '127.0.0.1', port: fake.port }])
    const conn = await pool.connectionFor(1)
    const closedWith = await new Promise<unknown>((resolve) => conn.onClose(resolve))
    expect(closedWith).toBeInstanceOf(SaslAuthenticationError)
    // Many backoff periods (10-20 ms) pass: a background reconnect would have opened more connections.
    await sleep(500)
    expect(fake.clients.length).toBe(1)
  })
})
