// SaslHandshake and SaslAuthenticate against golden bytes from Kafka's own generated message classes
// (fixtures/SaslGoldenGen.java, kafka-clients 4.4.0): encode exactly, decode back to the same object.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Reader } from '../../../src/protocol/reader.js'
import { SaslAuthenticateApi, type SaslAuthenticateResponse } from '../../../src/protocol/sasl-authenticate.js'
import { SaslHandshakeApi } from '../../../src/protocol/sasl-handshake.js'
import { Writer } from '../../../src/protocol/writer.js'

const golden = new Map<string, string>()
for (const line of readFileSync(new URL('./fixtures/sasl-java-golden.txt', import.meta.url), 'utf8').split('\n')) {
  const [name, hex] = line.split(' ')
  if (name !== undefined && name !== '') golden.set(name, hex ?? '')
}
function hex(name: string): string {
  const h = golden.get(name)
  if (h === undefined) throw new Error(`no golden bytes for ${name}`)
  return h
}
function enc<T>(fn: (w: Writer, x: T, v: number) => void, x: T, v: number): string {
  const w = new Writer(4)
  fn(w, x, v)
  return w.finish().toString('hex')
}
function dec<T>(fn: (r: Reader, v: number) => T, h: string, v: number): T {
  const r = new Reader(Buffer.from(h, 'hex'))
  const x = fn(r, v)
  expect(r.remaining).toBe(0)
  return x
}
const norm = (r: SaslAuthenticateResponse): unknown => ({ ...r, authBytes: Buffer.from(r.authBytes).toString('utf8') })

describe('SaslHandshake golden bytes (v0, v1)', () => {
  for (const v of [0, 1]) {
    it(`v${v}`, () => {
      const req = { mechanism: 'SCRAM-SHA-512' }
      expect(enc(SaslHandshakeApi.encodeRequest, req, v)).toBe(hex(`SaslHandshakeRequest.v${v}`))
      expect(dec(SaslHandshakeApi.decodeRequest, hex(`SaslHandshakeRequest.v${v}`), v)).toEqual(req)
      const res = { errorCode: 33, mechanisms: ['PLAIN', 'OAUTHBEARER'] }
      expect(enc(SaslHandshakeApi.encodeResponse, res, v)).toBe(hex(`SaslHandshakeResponse.v${v}`))
      expect(dec(SaslHandshakeApi.decodeResponse, hex(`SaslHandshakeResponse.v${v}`), v)).toEqual(res)
    })
  }
})

describe('SaslAuthenticate golden bytes (v0, v1, v2)', () => {
  for (const v of [0, 1, 2]) {
    it(`v${v}`, () => {
      const req = { authBytes: Buffer.from('n,,n=alice,r=abc') }
      expect(enc(SaslAuthenticateApi.encodeRequest, req, v)).toBe(hex(`SaslAuthenticateRequest.v${v}`))
      expect(Buffer.from(dec(SaslAuthenticateApi.decodeRequest, hex(`SaslAuthenticateRequest.v${v}`), v).authBytes).toString()).toBe('n,,n=alice,r=abc')
      const ok: SaslAuthenticateResponse = { errorCode: 0, errorMessage: null, authBytes: Buffer.from('r=abcdef,s=c2FsdA==,i=4096'), sessionLifetimeMs: v >= 1 ? 10000n : 0n }
      expect(enc(SaslAuthenticateApi.encodeResponse, ok, v)).toBe(hex(`SaslAuthenticateResponse.v${v}`))
      expect(norm(dec(SaslAuthenticateApi.decodeResponse, hex(`SaslAuthenticateResponse.v${v}`), v))).toEqual(norm(ok))
      const bad: SaslAuthenticateResponse = { errorCode: 58, errorMessage: 'Authentication failed', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
      expect(enc(SaslAuthenticateApi.encodeResponse, bad, v)).toBe(hex(`SaslAuthenticateResponseError.v${v}`))
      expect(norm(dec(SaslAuthenticateApi.decodeResponse, hex(`SaslAuthenticateResponseError.v${v}`), v))).toEqual(norm(bad))
    })
  }
})
