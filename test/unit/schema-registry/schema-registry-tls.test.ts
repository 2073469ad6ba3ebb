import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SchemaRegistryClient } from '../../../src/schema-registry/client.js'
import { RegistryAuthError, RegistryUnavailableError } from '../../../src/schema-registry/errors.js'

let server: Server
let url: string
let cert: string
const seenAuth: Array<string | undefined> = []

beforeAll(async () => {
  // A throwaway self-signed certificate for 127.0.0.1 (openssl is a CI prerequisite, like kcat).
  const dir = mkdtempSync(join(tmpdir(), 'kw-sr-tls-'))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    seenAuth.push(req.headers.authorization)
    if (req.headers.authorization !== `Basic ${Buffer.from('reg:pw').toString('base64')}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }))
      return
    }
    res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify(['s1']))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  url = `https://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('registry client over TLS', () => {
  it('trusts the given CA and sends basic auth', async () => {
    const c = new SchemaRegistryClient({ url, tls: { ca: cert }, auth: { username: 'reg', password: 'pw' } })
    expect(await c.getSubjects()).toEqual(['s1'])
  })

  it('refuses an untrusted certificate with a typed error', async () => {
    const c = new SchemaRegistryClient({ url, retries: 0 })
    const err = await c.getSubjects().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryUnavailableError)
    expect(String((err as Error).message)).toMatch(/SELF_SIGNED|self.signed|certificate/i)
  })

  it('maps 401 to RegistryAuthError without retrying or echoing the password', async () => {
    const before = seenAuth.length
    const c = new SchemaRegistryClient({ url, tls: { ca: cert }, auth: { username: 'reg', password: 'wrong-secret' }, retries: 3 })
    const err = await c.getSubjects().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryAuthError)
    expect(seenAuth.length - before).toBe(1)
    expect(String((err as Error).message)).not.toContain('wrong-secret')
  })
})
