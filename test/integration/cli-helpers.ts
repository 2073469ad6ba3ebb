/** Shared by the CLI integration tests: build dist/ when stale, run the CLI as a subprocess. */
import { execFile, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The built CLI, as `npm start` and the `bin` entry run it. */
export const CLI = join(ROOT, 'dist', 'cli', 'main.js')

/** Exit code and output of one CLI run. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

/**
 * Builds dist/ (tsc -p tsconfig.build.json) unless it is newer than every file in src/: CI runs
 * on a clean clone. tsc emits even when another area has type errors, so only the output is checked.
 */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(CLI) && statSync(CLI).mtimeMs > newestMtime(join(ROOT, 'src'))) return
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined)
  if (!existsSync(CLI)) throw new Error('building kafka-wire did not produce dist/cli/main.js')
}

/** Runs `node dist/cli/main.js ...args` with `input` on stdin and colours off; kills it after `timeoutMs`. */
export function cli(args: readonly string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // FORCE_COLOR is removed, not emptied: Node 24 warns on stderr when NO_COLOR and FORCE_COLOR are both set.
    const { FORCE_COLOR: _forceColor, ...env } = process.env
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...env, NO_COLOR: '1', ...options.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}
