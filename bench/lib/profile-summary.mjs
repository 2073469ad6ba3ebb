#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self time per function and
// per source file, top N. Usage: node bench/lib/profile-summary.mjs FILE.cpuprofile [N]
import { readFileSync } from 'node:fs'

export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  const dt = profile.timeDeltas
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const fn = new Map()
  const file = new Map()
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame
    const where = cf.url ? cf.url.replace(/^file:\/\/.*?\/(dist|bench|node_modules)\//, '$1/') : '(native/VM)'
    const name = `${cf.functionName || '(anonymous)'}  ${where}${cf.url ? `:${cf.lineNumber + 1}` : ''}`
    fn.set(name, (fn.get(name) ?? 0) + us)
    file.set(where, (file.get(where) ?? 0) + us)
  }
  const rank = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ what: k, ms: us / 1000, pct: (100 * us) / total }))
  return { totalMs: total / 1000, functions: rank(fn), files: rank(file) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, n] = process.argv.slice(2)
  if (!path) throw new Error('usage: profile-summary.mjs FILE.cpuprofile [N]')
  const s = summarizeProfile(JSON.parse(readFileSync(path, 'utf8')), Number(n ?? 25))
  console.log(`total sampled: ${s.totalMs.toFixed(0)} ms\n\nself time by function:`)
  for (const r of s.functions) console.log(`${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.what}`)
  console.log('\nself time by file:')
  for (const r of s.files) console.log(`${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.what}`)
}
