// Java-named security settings (`-X`) to producer options (issue 13).
import { describe, expect, it } from 'vitest'
import { SASL_PASSWORD_ENV, cliSecurity, securityOnly, securityOptionsFromSettings } from '../../../src/cli/security-options.js'
import { UsageError } from '../../../src/cli/errors.js'

const files: Record<string, string> = { '/ca.pem': 'CA-PEM', '/c.crt': 'CERT-PEM', '/c.key': 'KEY-PEM' }
const read = (p: string): string => {
  const f = files[p]
  if (f === undefined) throw new Error(`ENOENT: no such file ${p}`)
  return f
}
const from = (s: Record<string, string>, env: Record<string, string> = {}): ReturnType<typeof securityOptionsFromSettings> => securityOptionsFromSettings(s, env, read)

describe('securityOptionsFromSettings', () => {
  it('PLAINTEXT by default', () => {
    expect(from({})).toEqual({})
    expect(from({ 'security.protocol': 'plaintext', 'client.id': 'x' })).toEqual({})
  })
  it('SSL with a CA and an mTLS key pair read from files', () => {
    expect(from({ 'security.protocol': 'SSL' })).toEqual({ ssl: true })
    expect(from({ 'security.protocol': 'SSL', 'ssl.ca.location': '/ca.pem', 'ssl.certificate.location': '/c.crt', 'ssl.key.location': '/c.key' })).toEqual({ ssl: { ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' } })
  })
  it('SASL_SSL SCRAM with the password from the environment', () => {
    expect(from({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.username': 'alice', 'ssl.ca.location': '/ca.pem' }, { [SASL_PASSWORD_ENV]: 'pw' })).toEqual({
      ssl: { ca: 'CA-PEM' },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'pw' },
    })
  })
  it('a mechanism alone implies SASL_PLAINTEXT; librdkafka sasl.mechanisms is accepted', () => {
    expect(from({ 'sasl.mechanisms': 'plain', 'sasl.username': 'u', 'sasl.password': 'p' })).toEqual({ sasl: { mechanism: 'plain', username: 'u', password: 'p' } })
  })
  it('bad input is a UsageError naming the setting, never the password', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'security.protocol': 'TLS' }, /security.protocol: expected one of/],
      [{ 'ssl.ca.location': '/ca.pem' }, /ssl.ca.location needs -X security.protocol=SSL/],
      [{ 'security.protocol': 'SSL', 'ssl.ca.location': '/missing.pem' }, /ssl.ca.location=\/missing.pem: cannot read/],
      [{ 'security.protocol': 'SSL', 'ssl.certificate.location': '/c.crt' }, /go together/],
      [{ 'security.protocol': 'SASL_SSL' }, /needs -X sasl.mechanism/],
      [{ 'sasl.mechanism': 'GSSAPI', 'sasl.username': 'u', 'sasl.password': 'hunter2' }, /expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512/],
      [{ 'sasl.mechanism': 'OAUTHBEARER' }, /token provider in code/],
      [{ 'sasl.mechanism': 'PLAIN', 'sasl.password': 'hunter2' }, /needs -X sasl.username/],
      [{ 'sasl.mechanism': 'PLAIN', 'sasl.username': 'u' }, /KAFKA_WIRE_SASL_PASSWORD/],
      [{ 'security.protocol': 'SSL', 'sasl.password': 'hunter2' }, /sasl.password needs -X security.protocol=SASL/],
    ]
    for (const [s, msg] of cases) {
      let err: unknown
      try {
        from(s)
      } catch (e) {
        err = e
      }
      expect(err, JSON.stringify(s)).toBeInstanceOf(UsageError)
      expect((err as Error).message).toMatch(msg)
      expect((err as Error).message).not.toContain('hunter2')
    }
  })
})

describe('cliSecurity (the -X items of a CLI command)', () => {
  it('PLAINTEXT: no producer options, no socket factory, no authenticator', () => {
    const s = cliSecurity(['linger.ms=5'], 'produce', {}, read)
    expect(s.producer).toEqual({})
    expect(s.socketFactory).toBeUndefined()
    expect(s.authenticator).toBeUndefined()
  })
  it('SASL_SSL: producer ssl/sasl from the items and the env password, plus the TLS factory and SASL authenticator', () => {
    const s = cliSecurity(['security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512', 'sasl.username=alice', 'ssl.ca.location=/ca.pem', 'linger.ms=5'], 'produce', { [SASL_PASSWORD_ENV]: 'pw' }, read)
    expect(s.producer).toEqual({ ssl: { ca: 'CA-PEM' }, sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'pw' } })
    expect(typeof s.socketFactory).toBe('function')
    expect(typeof s.authenticator).toBe('function')
  })
  it('later items win', () => {
    const s = cliSecurity(['sasl.mechanism=PLAIN', 'sasl.username=a', 'sasl.username=b', 'sasl.password=x'], 'metadata', {}, read)
    expect(s.producer.sasl).toEqual({ mechanism: 'plain', username: 'b', password: 'x' })
  })
  it('an unknown security key is a UsageError naming the key, not its value, with the command\'s help hint', () => {
    expect(() => cliSecurity(['sasl.mechanism=PLAIN', 'sasl.username=u', 'sasl.pasword=hunter2'], 'metadata', {}, read)).toThrow(UsageError)
    try {
      cliSecurity(['sasl.pasword=hunter2'], 'metadata', {}, read)
    } catch (e) {
      expect((e as Error).message).toMatch(/^-X sasl\.pasword: unknown security setting; known: .*\(see: kafka-wire metadata --help\)$/)
      expect((e as Error).message).not.toContain('hunter2')
    }
  })
  it('securityOnly refuses producer options and malformed items without echoing them', () => {
    expect(() => securityOnly(['security.protocol=SSL', 'ssl.ca.location=/ca.pem'], 'metadata')).not.toThrow()
    expect(() => securityOnly(['linger.ms=5'], 'metadata')).toThrow(/-X linger\.ms: metadata takes only security settings/)
    let err: unknown
    try {
      securityOnly(['sasl.password:hunter2'], 'api-versions')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    expect((err as Error).message).not.toContain('hunter2')
  })
})
