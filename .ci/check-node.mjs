// CI guard run under each Node release before its test run: the version is the one asked for, the
// native devDependencies load and round-trip, and node:zlib has zstd exactly from 22.15 / 23.8 on.
import { createRequire } from 'node:module'
import zlib from 'node:zlib'

const expected = process.argv[2]
if (process.version !== `v${expected}`) throw new Error(`check-node: asked for v${expected}, running ${process.version}`)

const require = createRequire(import.meta.url)
const sample = Buffer.from('kafka-wire '.repeat(100))
const natives = {
  'zstd-napi': (m) => m.decompress(m.compress(sample)),
  'lz4-napi': (m) => m.uncompressSync(m.compressSync(sample)),
  '@napi-rs/snappy': (m) => m.uncompressSync(m.compressSync(sample)),
}
for (const [name, roundTrip] of Object.entries(natives)) {
  if (!Buffer.from(roundTrip(require(name))).equals(sample)) throw new Error(`check-node: ${name} does not round-trip on ${process.version}`)
}

// zstd joined node:zlib in 23.8.0 and was backported to 22.15.0.
const [major, minor] = process.versions.node.split('.').map(Number)
const zstdExpected = major > 23 || (major === 23 && minor >= 8) || (major === 22 && minor >= 15)
const zstdPresent = 'zstdCompressSync' in zlib
if (zstdPresent !== zstdExpected) throw new Error(`check-node: node:zlib zstd present=${zstdPresent}, expected ${zstdExpected} on ${process.version}`)
console.log(`check-node: ${process.version}: zstd-napi, lz4-napi, @napi-rs/snappy load; node:zlib zstd ${zstdPresent ? 'present' : 'absent'}`)
