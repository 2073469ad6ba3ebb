/** The producer's logging: levels, the pluggable logger and a cheap level check. */
/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * What the `logger` option accepts: any object with some of these methods (console, pino and winston
 * loggers fit). A missing method turns that level off, and the producer then does no work for it.
 */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void
  info?(message: string, fields?: Record<string, unknown>): void
  warn?(message: string, fields?: Record<string, unknown>): void
  error?(message: string, fields?: Record<string, unknown>): void
}

function toStderr(level: string, message: string, fields?: Record<string, unknown>): void {
  let line = `[kafka-wire] ${level} ${message}`
  if (fields !== undefined) {
    try {
      line += ` ${JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : typeof v === 'bigint' ? v.toString() : v))}`
    } catch {
      // fields that cannot be serialized are dropped rather than failing the caller
    }
  }
  process.stderr.write(`${line}\n`)
}

/** The default: warnings and errors to stderr, debug and info off. */
export const defaultLogger: Logger = {
  warn: (m, f) => toStderr('WARN', m, f),
  error: (m, f) => toStderr('ERROR', m, f),
}

/**
 * The producer's internal view of a `Logger`: one boolean per level, checked before any message is
 * built, so a disabled level costs one branch on the hot path.
 */
export class ProducerLogger {
  readonly debugEnabled: boolean
  readonly infoEnabled: boolean
  readonly warnEnabled: boolean
  readonly errorEnabled: boolean
  private readonly target: Logger

  constructor(target: Logger) {
    this.target = target
    this.debugEnabled = typeof target.debug === 'function'
    this.infoEnabled = typeof target.info === 'function'
    this.warnEnabled = typeof target.warn === 'function'
    this.errorEnabled = typeof target.error === 'function'
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    if (this.debugEnabled) this.call('debug', message, fields)
  }
  info(message: string, fields?: Record<string, unknown>): void {
    if (this.infoEnabled) this.call('info', message, fields)
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    if (this.warnEnabled) this.call('warn', message, fields)
  }
  error(message: string, fields?: Record<string, unknown>): void {
    if (this.errorEnabled) this.call('error', message, fields)
  }

  // A throwing user logger must never break delivery bookkeeping.
  private call(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    try {
      this.target[level]?.(message, fields)
    } catch {
      // ignored on purpose
    }
  }
}
