// CRC32C microbench: MB/s of kafka-wire's slicing-by-16 on 1 MiB, next to crc-32's crc32c as a
// reference ratio. Run: npx tsc -p tsconfig.build.json && node bench/crc32c.mjs
import { crc32cSoftware } from '../dist/protocol/crc32c.js'
import CRC32C from 'crc-32/crc32c.js'

const size = 1 << 20
const data = Buffer.alloc(size)
for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24

function bench(name, fn) {
  for (let i = 0; i < 30; i++) fn() // warm-up so the JIT has optimized the loop
  let iters = 0
  const t0 = process.hrtime.bigint()
  let t1 = t0
  while (t1 - t0 < 1_000_000_000n) {
    for (let i = 0; i < 20; i++) fn()
    iters += 20
    t1 = process.hrtime.bigint()
  }
  const seconds = Number(t1 - t0) / 1e9
  const gbps = (iters * size) / seconds / 1e9
  console.log(`${name.padEnd(22)} ${gbps.toFixed(2)} GB/s (${iters} x 1 MiB)`)
  return gbps
}

const ours = bench('kafka-wire crc32c', () => crc32cSoftware(data))
const ref = bench('crc-32/crc32c', () => CRC32C.buf(data))
console.log(`ratio ours/crc-32: ${(ours / ref).toFixed(2)}x; goal >= 1 GB/s: ${ours >= 1 ? 'met' : 'NOT met'}`)
