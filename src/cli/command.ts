/** The shape of one CLI command. */
import type { FlagSpec } from './args.js'
import type { Context } from './context.js'

/** A `kafka-wire <name>` command. */
export interface Command {
  readonly name: string
  /** One line for the command list. */
  readonly summary: string
  /** Usage line, e.g. `kafka-wire produce -t TOPIC [options]`. */
  readonly usage: string
  /** Paragraph under the usage line in `--help`. */
  readonly description: string
  readonly flags: Readonly<Record<string, FlagSpec>>
  /** Positional arguments accepted (e.g. 1 for `broker start`). */
  readonly maxPositionals: number
  readonly examples?: readonly string[]
  /** Runs the command; resolves with the exit code. Throws CliError/UsageError for one-line failures. */
  run?(ctx: Context): Promise<number>
  /**
   * For commands that are another command line in disguise (`dump`): the argv to run instead.
   * Its flags are then parsed by the command it names.
   */
  rewrite?(argv: readonly string[], commands: readonly string[]): string[]
}
