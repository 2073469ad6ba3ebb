import { describe, expect, it } from 'vitest'
import { ConfigError, PRODUCER_OPTIONS, Producer } from '../../../src/index.js'
import { resolveConfig } from '../../../src/producer/config.js'

const bs = ['127.0.0.1:1']

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('producer config', () => {
  it('fills the Java 4.x defaults', () => {
    const c = resolveConfig({ bootstrapServers: bs })
    expect(c).toMatchObject({ acks: -1, batchSize: 16384, lingerMs: 5, bufferMemory: 33554432, maxBlockMs: 60000, maxRequestSize: 1048576, deliveryTimeoutMs: 120000, requestTimeoutMs: 30000, retries: 2147483647, retryBackoffMs: 100, retryBackoffMaxMs: 1000, maxInFlightRequestsPerConnection: 5, metadataMaxAgeMs: 300000, enableIdempotence: true, compressionType: 'none' })
  })

  it('documents a Java name for every option', () => {
    for (const o of PRODUCER_OPTIONS) expect(o.javaName.length).toBeGreaterThan(0)
  })

  it('rejects an unknown key naming it', () => {
    expect(configError(() => new Producer({ bootstrapServers: bs, lingerMS: 5 } as never)).option).toBe('lingerMS')
  })

  it('rejects wrong types and ranges naming the option and the Java name', () => {
    const e1 = configError(() => resolveConfig({ bootstrapServers: bs, batchSize: '16k' }))
    expect(e1.option).toBe('batchSize')
    expect(e1.message).toContain('batch.size')
    expect(configError(() => resolveConfig({ bootstrapServers: bs, lingerMs: -1 })).option).toBe('lingerMs')
    expect(configError(() => resolveConfig({ bootstrapServers: bs, maxInFlightRequestsPerConnection: 0, enableIdempotence: false })).option).toBe('maxInFlightRequestsPerConnection')
    expect(configError(() => resolveConfig({ bootstrapServers: bs, acks: 2 })).option).toBe('acks')
    expect(configError(() => resolveConfig({ bootstrapServers: bs, compressionType: 'brotli' })).option).toBe('compressionType')
    expect(configError(() => resolveConfig({ bootstrapServers: 'nohost' })).option).toBe('bootstrapServers')
    expect(configError(() => resolveConfig({})).option).toBe('bootstrapServers')
    expect(configError(() => resolveConfig({ bootstrapServers: bs, enableIdempotence: 'yes' })).option).toBe('enableIdempotence')
    expect(configError(() => resolveConfig({ bootstrapServers: bs, retries: 1.5 })).option).toBe('retries')
  })

  it('explicit idempotence conflicts are errors; the default is silently disabled (Java)', () => {
    const e = configError(() => resolveConfig({ bootstrapServers: bs, enableIdempotence: true, acks: 1 }))
    expect(e.option).toBe('enableIdempotence')
    expect(e.message).toMatch(/acks/)
    expect(configError(() => resolveConfig({ bootstrapServers: bs, enableIdempotence: true, retries: 0 })).option).toBe('enableIdempotence')
    expect(configError(() => resolveConfig({ bootstrapServers: bs, enableIdempotence: true, maxInFlightRequestsPerConnection: 6 })).option).toBe('enableIdempotence')
    expect(resolveConfig({ bootstrapServers: bs, acks: 1 }).enableIdempotence).toBe(false)
    expect(resolveConfig({ bootstrapServers: bs, acks: 'all' }).enableIdempotence).toBe(true)
  })

  it('deliveryTimeoutMs must cover lingerMs + requestTimeoutMs', () => {
    expect(configError(() => resolveConfig({ bootstrapServers: bs, deliveryTimeoutMs: 1000 })).option).toBe('deliveryTimeoutMs')
    expect(resolveConfig({ bootstrapServers: bs, requestTimeoutMs: 200000 }).deliveryTimeoutMs).toBe(200005)
  })

  it('rejects an invalid compression level at construction', () => {
    expect(configError(() => new Producer({ bootstrapServers: bs, compressionType: 'gzip', compressionLevel: 42 })).option).toBe('compressionLevel')
  })
})
