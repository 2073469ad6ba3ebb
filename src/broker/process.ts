import { KafkaWireError } from '../kafka-wire-error.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** True while `pid` exists and is not a zombie (a zombie still answers `kill -0`). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the state letter follows the parenthesised command name
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/** The command line of `pid`, or '' when it is gone. Used to never signal a PID we did not start. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return ''
  }
}

/** Waits until `pid` has exited, up to `timeoutMs`; returns whether it did. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true
    await sleep(50)
  }
  return !isAlive(pid)
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portAccepts(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** `count` distinct free TCP ports on 127.0.0.1, chosen by the kernel. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const server = createServer()
          server.once('error', reject)
          server.listen(0, '127.0.0.1', () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((s) => {
    const address = s.address()
    if (address === null || typeof address === 'string') throw new KafkaWireError('internal: the probe server got no port')
    return address.port
  })
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  return ports
}

/** The last `lines` lines of a log file, for failure reports. */
export function tail(path: string, lines = 60): string {
  if (!existsSync(path)) return `(no log at ${path})`
  const text = readFileSync(path, 'utf8')
  return text.split('\n').slice(-lines - 1).join('\n')
}

/**
 * Starts a JVM with stdout and stderr appended to `logPath` (a file descriptor, never a pipe: an
 * unread pipe fills at 64 KiB and blocks the broker's logging thread).
 * `detached` puts it in its own process group so it outlives this process (CLI background broker).
 */
export function spawnJava(java: string, args: readonly string[], logPath: string, detached: boolean): ChildProcess {
  const fd = openSync(logPath, 'a')
  try {
    const child = spawn(java, args, { stdio: ['ignore', fd, fd], detached })
    if (detached) child.unref()
    return child
  } finally {
    closeSync(fd)
  }
}
