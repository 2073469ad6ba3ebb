import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { COMMANDS, main } from '../../../src/cli/main.js'
import type { CliIo } from '../../../src/cli/io.js'

interface Captured {
  code: number
  stdout: string
  stderr: string
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<Captured> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: new PassThrough(),
    env,
  }
  const code = await main(argv, io)
  return { code, stdout, stderr }
}

describe('kafka-wire main', () => {
  it('prints the command list with --help and exits 0; with no command it exits 2', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    for (const c of COMMANDS) expect(help.stdout).toContain(`  ${c.name}`)
    expect((await run([])).code).toBe(2)
  })

  it.each(COMMANDS.map((c) => c.name))('%s --help shows usage and exits 0', async (name) => {
    const r = await run([name, '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: kafka-wire /)
    expect(r.stderr).toBe('')
  })

  it('help COMMAND equals COMMAND --help', async () => {
    expect((await run(['help', 'produce'])).stdout).toBe((await run(['produce', '--help'])).stdout)
  })

  it('an unknown command is one line on stderr and exit 2', async () => {
    const r = await run(['frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("kafka-wire: unknown command 'frobnicate' (see: kafka-wire --help)\n")
  })

  it('an unknown flag is one line on stderr and exit 2', async () => {
    const r = await run(['metadata', '--nope'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('kafka-wire: unknown flag --nope (see: kafka-wire metadata --help)\n')
  })

  it('produce without -t says so before touching any broker', async () => {
    const r = await run(['produce', '-b', '127.0.0.1:1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('kafka-wire: produce needs -t TOPIC (see: kafka-wire produce --help)\n')
  })

  it('broker without an action, or with an unknown one, is a usage error', async () => {
    expect((await run(['broker'])).stderr).toContain('needs an action: start, stop or status')
    const r = await run(['broker', 'restart'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown broker action 'restart'")
  })

  it('bad flag values are usage errors naming the flag', async () => {
    expect((await run(['produce', '-t', 'x', '--acks', 'most', '-b', '127.0.0.1:1'])).stderr).toContain('--acks must be all, -1, 1 or 0')
    expect((await run(['broker', 'start', '--cluster', '2'])).stderr).toContain('--cluster must be 1 or 3')
    expect((await run(['produce', '-t', 'x', '--count', 'ten', '-b', '127.0.0.1:1'])).stderr).toContain("--count must be an integer, got 'ten'")
    expect((await run(['metadata', '--dump', '--dump-api', 'Nope', '-b', '127.0.0.1:1'])).stderr).toContain("--dump-api: unknown API 'Nope'")
  })

  it('dump rewrites to the named command with --dump', async () => {
    const r = await run(['dump', 'frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown command 'frobnicate' to dump")
  })

  it('broker status on an empty state dir says not started and exits 3', async () => {
    const r = await run(['broker', 'status', '--state-dir', '/nonexistent/kafka-wire-cli-test'])
    expect(r.code).toBe(3)
    expect(r.stdout).toContain('not started')
  })

  it('--debug adds the stack trace; without it the error is one line', async () => {
    const plain = await run(['metadata', '-b', 'nohost'])
    expect(plain.stderr.trim().split('\n')).toHaveLength(1)
    const debug = await run(['metadata', '-b', 'nohost', '--debug'])
    expect(debug.stderr.split('\n').length).toBeGreaterThan(2)
    expect(debug.stderr).toContain('at ')
  })
})
