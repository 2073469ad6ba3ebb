// `--dump` of the SASL exchange: SaslHandshake shown in full, SaslAuthenticate tokens redacted in
// both directions, also when the frame does not decode (issue 13).
import { describe, expect, it } from 'vitest'
import { apiByKey } from '../../../src/cli/apis.js'
import { decodeFrame } from '../../../src/cli/dump/frame.js'
import { renderFrame } from '../../../src/cli/dump/render.js'
import { makeStyle } from '../../../src/cli/io.js'
import { encodeRequestHeader } from '../../../src/protocol/headers.js'
import { SaslAuthenticateApi } from '../../../src/protocol/sasl-authenticate.js'
import { SaslHandshakeApi } from '../../../src/protocol/sasl-handshake.js'
import { Writer } from '../../../src/protocol/writer.js'

const SECRET = 'alice-secret'
const TOKEN = Buffer.from(`\0alice\0${SECRET}`)

function requestFrame(apiKey: number, version: number, flexible: boolean, body: (w: Writer) => void): Buffer {
  const w = new Writer(64)
  const at = w.reserveInt32()
  encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId: 3, clientId: 'kw' }, flexible)
  body(w)
  w.patchInt32(at, w.length - 4)
  return w.finish()
}

function render(direction: 'send' | 'receive', frame: Uint8Array, apiKey: number, apiVersion: number): string {
  return renderFrame(decodeFrame({ direction, frame, apiKey, apiVersion, correlationId: 3, broker: '127.0.0.1:9093' }, apiByKey), makeStyle(false))
}

describe('SASL frames in --dump', () => {
  it('shows the mechanism of SaslHandshake', () => {
    const out = render('send', requestFrame(17, 1, false, (w) => SaslHandshakeApi.encodeRequest(w, { mechanism: 'PLAIN' }, 1)), 17, 1)
    expect(out).toContain('SaslHandshake v1 request')
    expect(out).toContain('"PLAIN"')
  })
  for (const v of [0, 1, 2]) {
    it(`redacts SaslAuthenticate v${v} request and response tokens`, () => {
      const req = render('send', requestFrame(36, v, v >= 2, (w) => SaslAuthenticateApi.encodeRequest(w, { authBytes: TOKEN }, v)), 36, v)
      const w = new Writer(64)
      w.int32(3)
      if (v >= 2) w.taggedFields()
      SaslAuthenticateApi.encodeResponse(w, { errorCode: 0, errorMessage: null, authBytes: Buffer.from(`v=${SECRET}`), sessionLifetimeMs: 10000n }, v)
      const res = render('receive', w.finish(), 36, v)
      for (const out of [req, res]) {
        expect(out).toContain('bytes redacted')
        expect(out).not.toContain(SECRET)
        expect(out.replace(/\s/g, '')).not.toContain(Buffer.from(SECRET).toString('hex'))
        // Not even a prefix of the secret's hex (the dump elides long fields, not redacts them).
        expect(out.replace(/\s/g, '')).not.toContain(Buffer.from(SECRET.slice(0, 4)).toString('hex'))
      }
      if (v >= 1) expect(res).toContain('10000')
    })
  }
  it('redacts the bytes of a SaslAuthenticate frame that fails to decode', () => {
    const frame = requestFrame(36, 0, false, (w) => w.int32(TOKEN.length + 50).raw(TOKEN))
    const out = render('send', frame, 36, 0)
    expect(out).not.toContain(SECRET)
    expect(out.replace(/\s/g, '')).not.toContain(Buffer.from(SECRET.slice(0, 4)).toString('hex'))
  })
})
