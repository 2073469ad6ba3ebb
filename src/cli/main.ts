#!/usr/bin/env node
/**
 * `kafka-wire`: try kafka-wire in a minute, study the protocol frame by frame, or script it like
 * kcat. `main(argv, io)` runs one command and resolves with its exit code, so tests can run it
 * in-process; run as a program, it exits with that code.
 */
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { helpText, parseCommand } from './args.js'
import type { Command } from './command.js'
import { apiVersionsCommand } from './commands/api-versions.js'
import { benchCommand } from './commands/bench.js'
import { brokerCommand } from './commands/broker.js'
import { demoCommand } from './commands/demo.js'
import { dumpCommand } from './commands/dump.js'
import { metadataCommand } from './commands/metadata.js'
import { produceCommand } from './commands/produce.js'
import { makeContext } from './context.js'
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, NotImplementedError, UsageError } from './errors.js'
import { type CliIo, processIo } from './io.js'

/** The CLI's version (the package's). */
export const CLI_VERSION = '0.1.0'

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  demoCommand,
  brokerCommand,
  produceCommand,
  metadataCommand,
  apiVersionsCommand,
  dumpCommand,
  benchCommand,
]

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2
  return [
    'Usage: kafka-wire <command> [options]',
    '',
    'A Kafka producer written from the wire protocol up. Every command talks to -b HOST:PORT, or to a local',
    'Apache Kafka it starts in the background when -b is missing (kafka-wire broker stop stops it).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help'.padEnd(width)}show help for a command`,
    '',
    'Run kafka-wire <command> --help for its options. Any command takes --dump to print every frame',
    'sent and received, annotated field by field, and --debug to print stack traces of errors.',
    '',
    EXIT_CODES_HELP,
  ].join('\n')
}

/** The exit codes, as every help text states them. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  `  ${EXIT_OK}  success`,
  `  ${EXIT_FAILURE}  failure at run time: broker unreachable, topic missing, a record failed, bad input data, not implemented`,
  `  ${EXIT_USAGE}  bad command line: unknown command or flag, bad flag value, unknown -X option (also: no command given)`,
  '',
].join('\n')

function commandHelp(c: Command): string {
  return `${helpText(c.usage, c.description, c.flags, c.examples)}\n${EXIT_CODES_HELP}`
}

/** Runs the CLI with `argv` (without `node` and the script) and resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const debug = argv.includes('--debug')
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === '--help' || name === '-h') {
      io.stdout.write(topHelp())
      return name === undefined ? EXIT_USAGE : EXIT_OK
    }
    if (name === '--version' || name === '-V') {
      io.stdout.write(`kafka-wire ${CLI_VERSION}\n`)
      return EXIT_OK
    }
    if (name === 'help') {
      const target = rest[0]
      const command = COMMANDS.find((c) => c.name === target)
      if (target !== undefined && command === undefined) throw new UsageError(`unknown command '${target}'`)
      io.stdout.write(command === undefined ? topHelp() : commandHelp(command))
      return EXIT_OK
    }
    const command = COMMANDS.find((c) => c.name === name)
    if (command === undefined) {
      throw new UsageError(name.startsWith('-') ? `expected a command before '${name}'` : `unknown command '${name}'`)
    }
    if (command.rewrite !== undefined) {
      if (rest[0] === '--help' || rest[0] === '-h') {
        io.stdout.write(commandHelp(command))
        return EXIT_OK
      }
      return await main(command.rewrite(rest, COMMANDS.map((c) => c.name)), io)
    }
    const parsed = parseCommand(command.name, rest, command.flags, command.maxPositionals)
    if (parsed.values.help === true || command.run === undefined) {
      io.stdout.write(commandHelp(command))
      return EXIT_OK
    }
    return await command.run(makeContext(command.name, io, parsed.values, parsed.positionals, (next) => main(next, io)))
  } catch (err) {
    return report(err, io, debug)
  }
}

/** One line on stderr (the stack too with `--debug`); returns the exit code. */
function report(err: unknown, io: CliIo, debug: boolean): number {
  const e = err instanceof Error ? err : new Error(String(err))
  const exit = e instanceof CliError ? e.exitCode : EXIT_FAILURE
  let message: string
  if (e instanceof CliError) message = e.message
  else if (e instanceof NotImplementedError) message = `${e.message} (kafka-wire is not finished here yet)`
  else message = `${e.name}: ${e.message}`
  // One line: the rest (log tails, causes) belongs to --debug.
  const first = message.split('\n')[0] ?? message
  io.stderr.write(`kafka-wire: ${first}\n`)
  if (debug) {
    io.stderr.write(`${e.stack ?? ''}\n`)
    if (e.cause !== undefined) io.stderr.write(`caused by: ${e.cause instanceof Error ? (e.cause.stack ?? e.cause.message) : String(e.cause)}\n`)
  }
  return exit
}

function invokedDirectly(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href
  } catch {
    return false
  }
}

if (invokedDirectly()) {
  // `kafka-wire ... | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK)
  })
  const code = await main(process.argv.slice(2))
  // Exit once the output is flushed, even if a library left a handle open.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
}
