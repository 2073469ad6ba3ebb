import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApicurioRegistry } from '../../src/broker/registry.js'

describe('Apicurio Registry harness', () => {
  let registry: ApicurioRegistry
  beforeAll(async () => {
    registry = await ApicurioRegistry.start({ log: (l) => process.stderr.write(`[registry] ${l}\n`) })
  })
  afterAll(async () => {
    await registry?.stop()
  })
  it('serves the Confluent-compatible API on 127.0.0.1 only', async () => {
    expect(registry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/)
    const res = await fetch(`${registry.url}/subjects`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual([])
  })
})
