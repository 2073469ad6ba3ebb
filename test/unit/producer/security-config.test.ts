// The producer's `ssl` / `sasl` options: validated into ConfigError naming the option, never a secret (issue 13).
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/index.js'
import { resolveConfig } from '../../../src/producer/config.js'

const base = { bootstrapServers: ['127.0.0.1:9093'] }

describe('ssl and sasl options', () => {
  it('are passed through when valid', () => {
    expect(resolveConfig({ ...base }).ssl).toBeUndefined()
    expect(resolveConfig({ ...base, ssl: true }).ssl).toBe(true)
    expect(resolveConfig({ ...base, ssl: false }).ssl).toBeUndefined()
    const sasl = { mechanism: 'scram-sha-256', username: 'u', password: async () => 'p' } as const
    expect(resolveConfig({ ...base, ssl: { ca: 'PEM' }, sasl }).sasl).toBe(sasl)
  })
  it('are refused with a ConfigError naming the option and the Java setting', () => {
    const bad: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ ssl: 'yes' }, 'ssl', /expected true or tls.connect options.*Java security.protocol=SSL/],
      [{ ssl: { host: 'x' } }, 'ssl', /host is chosen per broker/],
      [{ sasl: { mechanism: 'gssapi' } }, 'sasl', /mechanism must be one of plain, scram-sha-256, scram-sha-512, oauthbearer/],
      [{ sasl: { mechanism: 'plain', username: 'u' } }, 'sasl', /password must be a string or a function/],
      [{ sasl: { mechanism: 'oauthbearer', oauthBearerProvider: 'token' } }, 'sasl', /oauthBearerProvider must be a function/],
    ]
    for (const [extra, option, msg] of bad) {
      let err: unknown
      try {
        resolveConfig({ ...base, ...extra })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).option).toBe(option)
      expect((err as Error).message).toMatch(msg)
    }
  })
  it('never print a password in the error', () => {
    expect(() => resolveConfig({ ...base, sasl: { mechanism: 'plain', username: 'u', password: 'hunter2', bogus: 'hunter2' } })).toThrow(/unknown key "bogus"/)
    expect(() => resolveConfig({ ...base, sasl: { mechanism: 'plain', username: 'u', password: 'hunter2', bogus: 'hunter2' } })).not.toThrow(/hunter2/)
  })
})
