// Java-named security settings (`-X`) to producer options (issue 13).
import { describe, expect, it } from 'vitest'
import { SASL_PASSWORD_ENV, securityOptionsFromSettings } from '../../../src/cli/security-options.js'
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
