/**
 * CLI errors. Each becomes one line on stderr and an exit code; the stack trace only with `--debug`.
 */
import { KafkaWireError } from '../kafka-wire-error.js'
export { NotImplementedError } from '../protocol/errors.js'

/** Exit code for success. */
export const EXIT_OK = 0
/** Exit code for a failure at run time (broker unreachable, records failed, topic missing). */
export const EXIT_FAILURE = 1
/** Exit code for a bad command line (unknown flag, bad value, missing argument). */
export const EXIT_USAGE = 2

/** A failure with a message meant for the user, as is. */
export class CliError extends KafkaWireError {
  override readonly name: string = 'CliError'
  /** Process exit code to use. */
  readonly exitCode: number

  /** @param message one line for the user; @param exitCode defaults to {@link EXIT_FAILURE} */
  constructor(message: string, exitCode = EXIT_FAILURE) {
    super(message)
    this.exitCode = exitCode
  }
}

/** A bad command line: the message names the flag or argument, and the command's `--help`. */
export class UsageError extends CliError {
  override readonly name = 'UsageError'

  /** @param message what is wrong; @param command e.g. `produce`, for the `--help` hint */
  constructor(message: string, command?: string) {
    super(`${message} (see: kafka-wire ${command === undefined ? '' : `${command} `}--help)`, EXIT_USAGE)
  }
}
