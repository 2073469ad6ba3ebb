// SASL mechanisms against published test vectors and hostile server messages (issue 13).
import { describe, expect, it } from 'vitest'
import { SaslMechanismError } from '../../../src/network/sasl/session.js'
import { OAuthBearerMechanism, oauthBearerClientFirst } from '../../../src/network/sasl/oauthbearer.js'
import { PlainMechanism } from '../../../src/network/sasl/plain.js'
import { ScramMechanism, parseServerFirst, scramSaslName } from '../../../src/network/sasl/scram.js'
import { saslOptionsProblem, sslOptionsProblem } from '../../../src/network/security-options.js'

const text = (b: Uint8Array | null): string => (b === null ? '<null>' : Buffer.from(b).toString('utf8'))
const bytes = (s: string): Buffer => Buffer.from(s, 'utf8')

describe('SCRAM-SHA-256: RFC 7677 §3 test vector', () => {
  const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
  it('produces the RFC client messages and accepts the RFC server signature', async () => {
    const m = new ScramMechanism('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO')
    expect(text(await m.start())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    expect(text(await m.next(bytes(SERVER_FIRST)))).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')
    expect(await m.next(bytes('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeNull()
  })
  it('rejects a wrong server signature (the server must prove it knows the password)', async () => {
    const m = new ScramMechanism('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO')
    await m.start()
    await m.next(bytes(SERVER_FIRST))
    await expect(m.next(bytes('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).rejects.toThrow(/server signature does not verify/)
  })
  it('reports the server error attribute e=', async () => {
    const m = new ScramMechanism('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO')
    await m.start()
    await m.next(bytes(SERVER_FIRST))
    await expect(m.next(bytes('e=invalid-proof'))).rejects.toThrow(/invalid-proof/)
  })
  it('rejects a server nonce that does not extend the client nonce', async () => {
    const m = new ScramMechanism('sha256', 'user', 'pencil', 'clientnonce')
    await m.start()
    await expect(m.next(bytes('r=othernonceXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))).rejects.toThrow(/does not extend the client nonce/)
    const same = new ScramMechanism('sha256', 'user', 'pencil', 'clientnonce')
    await same.start()
    await expect(same.next(bytes('r=clientnonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))).rejects.toThrow(/does not extend/)
  })
  it('rejects too few iterations (Kafka minimum 4096) and absurdly many', async () => {
    for (const [i, msg] of [
      [4095, /less than the minimum 4096/],
      [2_000_000_000, /exceed the client's limit/],
    ] as const) {
      const m = new ScramMechanism('sha512', 'user', 'pencil', 'n1')
      await m.start()
      await expect(m.next(bytes(`r=n1abc,s=c2FsdA==,i=${i}`))).rejects.toThrow(msg)
    }
  })
  it('rejects malformed and mandatory-extension server-first messages without echoing them', async () => {
    expect(() => parseServerFirst('garbage,secret=1')).toThrow(SaslMechanismError)
    expect(() => parseServerFirst('garbage,secret=1')).not.toThrow(/secret/)
    expect(() => parseServerFirst('m=ext,r=abc,s=c2FsdA==,i=4096')).toThrow(/mandatory extension/)
    expect(parseServerFirst('r=abc,s=c2FsdA==,i=8192,x=future')).toMatchObject({ nonce: 'abc', iterations: 8192 })
  })
  it('escapes = and , in the user name (RFC 5802 §5.1) and makes a fresh nonce per session', async () => {
    expect(scramSaslName('a=b,c')).toBe('a=3Db=2Cc')
    const a = text(await new ScramMechanism('sha512', 'a=b,c', 'p').start())
    const b = text(await new ScramMechanism('sha512', 'a=b,c', 'p').start())
    expect(a.startsWith('n,,n=a=3Db=2Cc,r=')).toBe(true)
    expect(a).not.toBe(b)
    expect(a.slice(a.indexOf(',r=') + 3)).not.toContain(',')
  })
  it('calls async credential functions on every session', async () => {
    let calls = 0
    const user = async (): Promise<string> => {
      calls++
      return 'user'
    }
    await new ScramMechanism('sha256', user, 'p').start()
    await new ScramMechanism('sha256', user, 'p').start()
    expect(calls).toBe(2)
  })
})

describe('PLAIN (RFC 4616)', () => {
  it('sends authzid NUL user NUL password and accepts the empty success token', async () => {
    const m = new PlainMechanism('alice', async () => 'alice-secret', '')
    expect(Buffer.from(await m.start()).toString('hex')).toBe(Buffer.from('\0alice\0alice-secret').toString('hex'))
    expect(await m.next(new Uint8Array(0))).toBeNull()
  })
  it('refuses NUL inside fields and a failing provider, naming neither value', async () => {
    await expect(new PlainMechanism('a\0b', 'x', '').start()).rejects.toThrow(/username must not contain a NUL/)
    const failing = new PlainMechanism('a', () => {
      throw new Error('vault down')
    }, '')
    await expect(failing.start()).rejects.toThrow(/password provider threw: vault down/)
    await expect(new PlainMechanism('a', async () => '', '').start()).rejects.toThrow(/empty string/)
  })
})

describe('OAUTHBEARER (RFC 7628, KIP-342)', () => {
  it('builds the client first message with extensions', () => {
    expect(oauthBearerClientFirst({ value: 'abc.def.', extensions: { traceId: 'x1', b: 'y' } }).toString('latin1')).toBe('n,,\x01auth=Bearer abc.def.\x01traceId=x1\x01b=y\x01\x01')
    expect(oauthBearerClientFirst({ value: 'tok' }).toString('latin1')).toBe('n,,\x01auth=Bearer tok\x01\x01')
  })
  it('rejects bad extension names and tokens', () => {
    expect(() => oauthBearerClientFirst({ value: 'tok', extensions: { auth: 'x' } })).toThrow(/extension name/)
    expect(() => oauthBearerClientFirst({ value: 'tok', extensions: { 'a-b': 'x' } })).toThrow(/extension name/)
    expect(() => oauthBearerClientFirst({ value: 'has space' })).toThrow(/bearer token/)
  })
  it('acknowledges an error challenge with 0x01 and keeps the broker JSON', async () => {
    const m = new OAuthBearerMechanism(() => ({ value: 'tok' }))
    await m.start()
    expect(Buffer.from((await m.next(bytes('{"status":"invalid_token"}'))) as Uint8Array).toString('hex')).toBe('01')
    expect(m.serverError).toBe('{"status":"invalid_token"}')
    const ok = new OAuthBearerMechanism(async () => ({ value: 'tok' }))
    await ok.start()
    expect(await ok.next(new Uint8Array(0))).toBeNull()
  })
})

describe('option validation never echoes a credential', () => {
  it('sasl', () => {
    expect(saslOptionsProblem({ mechanism: 'plain', username: 'u', password: 'p' })).toBeUndefined()
    expect(saslOptionsProblem({ mechanism: 'scram-sha-1', username: 'u', password: 'hunter2' })).toMatch(/mechanism must be one of/)
    expect(saslOptionsProblem({ mechanism: 'plain', username: 'u', password: 42 })).toMatch(/password must be a string or a function/)
    expect(saslOptionsProblem({ mechanism: 'plain', username: 'u', password: 'hunter2', extra: 'hunter2' })).toMatch(/unknown key "extra"/)
    expect(saslOptionsProblem({ mechanism: 'plain', username: 'u', password: 'hunter2', extra: 'hunter2' })).not.toMatch(/hunter2/)
    expect(saslOptionsProblem({ mechanism: 'oauthbearer' })).toMatch(/oauthBearerProvider must be a function/)
  })
  it('ssl', () => {
    expect(sslOptionsProblem(true)).toBeUndefined()
    expect(sslOptionsProblem({ ca: 'x' })).toBeUndefined()
    expect(sslOptionsProblem('yes')).toMatch(/expected true or tls.connect options/)
    expect(sslOptionsProblem({ host: 'a' })).toMatch(/host is chosen per broker/)
  })
})
