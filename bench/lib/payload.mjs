// One seeded generator for every client's record values, so all clients send the same bytes.
import { writeFileSync } from 'node:fs'

/** mulberry32: a tiny 32-bit PRNG; same seed, same sequence, in every process. */
export function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The pool of record values: `poolSize` values of exactly `valueSize` ASCII bytes, made of words
 * from a seeded 512-word vocabulary. Text (not random bytes) so that lz4 has something to find,
 * as with real payloads, and so kcat and ProducerPerformance can read them newline-delimited.
 * Record i of a client gets value i % poolSize (ProducerPerformance picks from the pool at random).
 */
export function makePayloads(valueSize, poolSize, seed) {
  const rnd = mulberry32(seed)
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  const vocab = []
  for (let i = 0; i < 512; i++) {
    const len = 2 + Math.floor(rnd() * 8)
    let w = ''
    for (let j = 0; j < len; j++) w += letters[Math.floor(rnd() * 26)]
    vocab.push(w)
  }
  const values = []
  for (let i = 0; i < poolSize; i++) {
    let s = ''
    while (s.length < valueSize) s += vocab[Math.floor(rnd() * vocab.length)] + ' '
    values.push(Buffer.from(s.slice(0, valueSize), 'latin1'))
  }
  return values
}

/** Writes the pool newline-delimited (no byte of a value is '\n'). */
export function writePayloadFile(path, values) {
  const size = values.reduce((n, v) => n + v.length + 1, 0)
  const out = Buffer.allocUnsafe(size)
  let off = 0
  for (const v of values) {
    off += v.copy(out, off)
    out[off++] = 0x0a
  }
  writeFileSync(path, out)
}

/** Reads a newline-delimited payload file back into Buffers (runners call this). */
export function readPayloadFile(buf) {
  const values = []
  let start = 0
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a) {
      values.push(buf.subarray(start, i))
      start = i + 1
    }
  }
  if (start < buf.length) values.push(buf.subarray(start))
  return values
}
