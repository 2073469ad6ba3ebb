// CPU pinning (issue 15): with taskset and at least 2 CPUs, the broker runs on one CPU and each
// client process on another, so a client's CPU cost shows as its own throughput instead of as
// noise in the broker it shares a core with. --no-pin turns it off.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'

/** The CPUs this process may run on (Cpus_allowed_list, e.g. "0-1" or "2,5-7"), else 0..n-1. */
export function allowedCpus() {
  try {
    const line = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    if (line) {
      const out = []
      for (const part of line.split(',')) {
        const [a, b = a] = part.split('-').map(Number)
        for (let c = a; c <= b; c++) out.push(c)
      }
      return out
    }
  } catch {
    // not Linux: fall through
  }
  return cpus().map((_, i) => i)
}

const hasTaskset = () => {
  const r = spawnSync('taskset', ['--version'], { encoding: 'utf8' })
  return !r.error && r.status === 0
}

/**
 * The pinning plan: { broker, client } CPU numbers (the first two CPUs allowed), or { reason } why
 * nothing is pinned. `env` is for tests: { taskset: boolean, cpus: number[] }.
 */
export function planPinning(pin, env = { taskset: hasTaskset(), cpus: allowedCpus() }) {
  if (!pin) return { broker: null, client: null, reason: '--no-pin' }
  if (!env.taskset) return { broker: null, client: null, reason: 'taskset not found (Debian package util-linux)' }
  if (env.cpus.length < 2) return { broker: null, client: null, reason: `only ${env.cpus.length} CPU available` }
  return { broker: env.cpus[0], client: env.cpus[1], reason: null }
}

/** Pins every thread of a running process (the broker's JVM) to `cpu`; null, or why it failed. */
export function pinProcess(pid, cpu) {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' })
  if (r.error) return r.error.message
  return r.status === 0 ? null : `taskset exited ${r.status}: ${(r.stderr ?? '').trim().split('\n')[0]}`
}

/** One line for the report header: what ran where. */
export function pinningText(plan, brokerPin) {
  if (plan.reason !== null) return `CPU pinning: off (${plan.reason})`
  const broker = brokerPin === null ? `broker on CPU ${plan.broker}` : `broker not pinned (${brokerPin})`
  return `CPU pinning (taskset): ${broker}, each client process on CPU ${plan.client}`
}
