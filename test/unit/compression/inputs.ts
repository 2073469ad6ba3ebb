/** Test inputs shared by the codec tests: empty, tiny, incompressible, highly repetitive, 4 MiB. */

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `n` bytes of deterministic noise: snappy/lz4 cannot shrink it. */
export function randomBytes(n: number, seed = 1): Uint8Array {
  const next = prng(seed)
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (next() * 256) | 0
  return out
}

/** JSON-like records of about 1 KiB each, concatenated up to `n` bytes. */
export function jsonLike(n: number, seed = 2): Uint8Array {
  const next = prng(seed)
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet']
  const parts: string[] = []
  let size = 0
  let id = 0
  while (size < n) {
    const fields: string[] = []
    let rec = `{"id":${id++},"user":"user-${(next() * 100000) | 0}","ts":${1700000000000 + ((next() * 1e9) | 0)}`
    while (rec.length < 960) fields.push(`"${words[(next() * 10) | 0]}":"${words[(next() * 10) | 0]}-${(next() * 1000) | 0}"`), (rec += `,${fields[fields.length - 1]}`)
    rec += '}\n'
    parts.push(rec)
    size += rec.length
  }
  return new TextEncoder().encode(parts.join('')).subarray(0, n)
}

/** The inputs every codec must round-trip. */
export function roundTripInputs(): Array<[string, Uint8Array]> {
  return [
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.of(0x61)],
    ['tiny', new TextEncoder().encode('hello, kafka')],
    ['incompressible 100 KiB', randomBytes(100 * 1024)],
    ['highly repetitive 1 MiB', new Uint8Array(1024 * 1024).fill(0x41)],
    ['short period 200 KiB', Uint8Array.from({ length: 200 * 1024 }, (_, i) => i % 3)],
    ['4 MiB json-like', jsonLike(4 * 1024 * 1024)],
  ]
}

/** Byte equality with a readable failure. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0
}

/** Text of at least `length` characters: words with ~30% random punctuation, so codecs find short matches. */
export function mixedText(length: number, seed: number): Uint8Array {
  const next = prng(seed)
  const words = ['kafka', 'wire', '{"id":', '}', ' ', 'record', '0123']
  let text = ''
  while (text.length < length) text += next() < 0.3 ? String.fromCharCode(33 + ((next() * 90) | 0)) : words[(next() * words.length) | 0]
  return new TextEncoder().encode(text)
}
