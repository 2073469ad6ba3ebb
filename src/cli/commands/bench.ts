/** `kafka-wire bench`: runs the repository's benchmark harness (`bench/run.mjs`). */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { harnessHome } from '../../broker/index.js'
import { str } from '../args.js'
import type { Command } from '../command.js'
import { CliError } from '../errors.js'

/** `kafka-wire bench`. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'run the benchmark harness (kafka-wire against other Node.js Kafka clients)',
  usage: 'kafka-wire bench [-b HOST:PORT] [-- HARNESS-OPTIONS]',
  description:
    'Runs bench/run.mjs from the kafka-wire source tree (it is not part of the npm package): every client in its own\n' +
    'process, same payloads, a fresh topic per run. Options after -- go to the harness (-- --help lists them).\n' +
    'The harness starts its own broker unless -b is given. Build first: npm run build (npm run bench does both).',
  flags: {},
  maxPositionals: Infinity,
  examples: ['kafka-wire bench -- --quick', 'kafka-wire bench -b 127.0.0.1:9092 -- --clients kafka-wire,kafkajs'],
  async run(ctx) {
    const root = dirname(harnessHome())
    const script = join(root, 'bench', 'run.mjs')
    if (!existsSync(script)) throw new CliError(`the bench harness is not here (${script}); it ships with the source repository, not the npm package`)
    const args = [script, ...ctx.positionals]
    const bootstrap = str(ctx.values, 'bootstrap')
    if (bootstrap !== undefined) args.push('--bootstrap', bootstrap)
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk: Buffer) => ctx.io.stdout.write(chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => ctx.io.stderr.write(chunk.toString()))
    return new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new CliError(`could not run the bench harness: ${err.message}`)))
      child.once('close', (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)))
    })
  },
}
