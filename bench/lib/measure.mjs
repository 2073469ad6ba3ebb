// Runs one client process and measures what the OS knows about it: wall time, CPU (user+sys) and
// peak RSS. Node cannot read a child's rusage (no RUSAGE_CHILDREN, no wait4), so the child is started
// under a tiny waiter that calls wait4(2) and writes the child's own rusage to a file:
//   1. python3's os.wait4 (microsecond CPU figures, and the child's own wall time), else
//   2. GNU time (`/usr/bin/time -f`, Debian package `time`; 10 ms resolution).
// Both report the rusage of the client process (and of any children it waited for), never the harness's.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PY_WAIT4 = [
  'import os,sys,json,time',
  't0=time.monotonic()',
  'pid=os.fork()',
  'if pid==0:',
  '  os.execvp(sys.argv[2],sys.argv[2:])',
  '_,st,ru=os.wait4(pid,0)',
  'wall=(time.monotonic()-t0)*1000',
  'open(sys.argv[1],"w").write(json.dumps({"user":ru.ru_utime,"sys":ru.ru_stime,"maxRssKb":ru.ru_maxrss,"wallMs":wall}))',
  'sys.exit(os.waitstatus_to_exitcode(st) if st else 0)',
].join('\n')

/** Children started by runMeasured and not yet ended. */
const active = new Set()

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL') // the group holds only the waiter and the client it started
  } catch {
    child.kill('SIGKILL')
  }
}

/** Ends every client still running (the harness calls this on Ctrl-C). */
export function killActive() {
  for (const child of active) killGroup(child)
}

let cachedMethod
/** Which waiter this machine has: 'python3-wait4', 'gnu-time' or null (then CPU/RSS are reported as unknown). */
export function measureMethod() {
  if (cachedMethod !== undefined) return cachedMethod
  const forced = process.env.KW_BENCH_MEASURE // lets the fallback be checked on a machine that has GNU time
  if (forced === 'gnu-time' || forced === 'python3-wait4') return (cachedMethod = forced)
  const gnu = () => {
    const r = spawnSync('/usr/bin/time', ['-f', '%U', 'true'], { encoding: 'utf8' })
    return r.status === 0 && /^\d/.test(r.stderr.trim())
  }
  if (spawnSync('python3', ['-c', 'import os; os.wait4; os.waitstatus_to_exitcode'], { encoding: 'utf8' }).status === 0) cachedMethod = 'python3-wait4'
  else if (gnu()) cachedMethod = 'gnu-time'
  else cachedMethod = null
  return cachedMethod
}

/**
 * Runs `cmd args` to completion (killed after `timeoutMs`), collecting stdout/stderr; with `cpu`, the
 * waiter and so the client run under `taskset -c cpu` (the client inherits the affinity).
 * Resolves with { code, signal, stdout, stderr, wallMs, cpu: {user, sys, total} | null, maxRssKb | null, method }.
 * wallMs is the child's own lifetime as the waiter saw it when it can tell, else as seen from here.
 */
export function runMeasured(cmd, args, { env, cwd, timeoutMs, stdin, cpu = null } = {}) {
  const method = measureMethod()
  const dir = mkdtempSync(join(tmpdir(), 'kw-bench-'))
  const out = join(dir, 'rusage')
  let argv
  if (method === 'gnu-time') argv = ['/usr/bin/time', ['-f', '%U %S %M %e', '-o', out, '--', cmd, ...args]]
  else if (method === 'python3-wait4') argv = ['python3', ['-c', PY_WAIT4, out, cmd, ...args]]
  else argv = [cmd, args]
  if (cpu !== null) argv = ['taskset', ['-c', String(cpu), argv[0], ...argv[1]]] // taskset execs: same pid, same group
  return new Promise((resolve) => {
    const t0 = performance.now()
    // Own process group, so a timeout (or Ctrl-C) can end the client and its waiter together.
    const child = spawn(argv[0], argv[1], { env: env ?? process.env, cwd, stdio: [stdin ?? 'ignore', 'pipe', 'pipe'], detached: true })
    active.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => {
      // bounded: a chatty client must not grow the harness's memory without limit
      if (stderr.length < 1 << 20) stderr += d
    })
    const timer = timeoutMs ? setTimeout(() => killGroup(child), timeoutMs) : undefined
    child.on('error', (err) => {
      active.delete(child)
      if (timer) clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
      resolve({ code: -1, signal: null, stdout, stderr: `${stderr}\n${err.message}`, wallMs: performance.now() - t0, cpu: null, maxRssKb: null, method })
    })
    child.on('close', (code, signal) => {
      active.delete(child)
      let wallMs = performance.now() - t0
      if (timer) clearTimeout(timer)
      let cpu = null
      let maxRssKb = null
      try {
        const text = readFileSync(out, 'utf8').trim()
        if (method === 'gnu-time') {
          // GNU time writes "Command exited with non-zero status N" first when the child fails
          const last = text.split('\n').pop() ?? ''
          const [u, s, m, e] = last.split(/\s+/).map(Number)
          if (Number.isFinite(u) && Number.isFinite(s)) cpu = { user: u, sys: s, total: u + s }
          if (Number.isFinite(m)) maxRssKb = m
          if (Number.isFinite(e)) wallMs = e * 1000
        } else if (method === 'python3-wait4') {
          const r = JSON.parse(text)
          cpu = { user: r.user, sys: r.sys, total: r.user + r.sys }
          maxRssKb = r.maxRssKb
          wallMs = r.wallMs
        }
      } catch {
        // no rusage file: the waiter itself failed; CPU and RSS stay unknown for this run
      }
      rmSync(dir, { recursive: true, force: true })
      resolve({ code, signal, stdout, stderr, wallMs, cpu, maxRssKb, method })
    })
  })
}
