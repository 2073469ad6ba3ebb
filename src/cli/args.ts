/**
 * Command-line parsing on `node:util` parseArgs (no runtime dependencies), with generated
 * `--help` text and one-line errors for unknown flags and bad values.
 */
import { parseArgs } from 'node:util'
import { UsageError } from './errors.js'

/** One flag of a command. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  readonly multiple?: boolean
  /** Placeholder in the help text, e.g. `N` in `--count N`. */
  readonly valueName?: string
  readonly description: string
}

/** The flags every command accepts. */
export const COMMON_FLAGS = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  bootstrap: {
    type: 'string',
    short: 'b',
    valueName: 'HOST:PORT[,...]',
    description: 'broker(s) to talk to; without it the local broker (kafka-wire broker start) is used and started if needed',
  },
  dump: { type: 'boolean', description: 'print every frame sent and received, annotated field by field' },
  'dump-api': { type: 'string', multiple: true, valueName: 'API', description: 'with --dump: only frames of this API (e.g. Produce, ApiVersions)' },
  'dump-only': { type: 'string', valueName: 'requests|responses', description: 'with --dump: only requests or only responses' },
  'client-id': { type: 'string', valueName: 'ID', description: 'client_id of every request header (default kafka-wire-cli)' },
  color: { type: 'boolean', description: 'force colours' },
  'no-color': { type: 'boolean', description: 'never use colours (also: NO_COLOR=1)' },
  'state-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'folder of the local broker state (default .kafka/cli-broker; also KAFKA_WIRE_STATE_DIR)',
  },
  debug: { type: 'boolean', description: 'print stack traces of errors' },
} as const satisfies Record<string, FlagSpec>

/** Values parsed for a command's flags. */
export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>

/** A parsed command line. */
export interface Parsed {
  readonly values: FlagValues
  readonly positionals: string[]
}

/**
 * Parses `argv` against `flags` (plus {@link COMMON_FLAGS}). Unknown flags, missing values and
 * unexpected positionals become a {@link UsageError} naming the command.
 */
export function parseCommand(command: string, argv: readonly string[], flags: Readonly<Record<string, FlagSpec>>, maxPositionals = 0): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {}
  const all: Record<string, FlagSpec> = { ...COMMON_FLAGS, ...flags }
  for (const [name, spec] of Object.entries(all)) {
    options[name] = { type: spec.type, ...(spec.short !== undefined ? { short: spec.short } : {}), ...(spec.multiple === true ? { multiple: true } : {}) }
  }
  let parsed: { values: FlagValues; positionals: string[] }
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as { values: FlagValues; positionals: string[] }
  } catch (err) {
    throw new UsageError(describeParseError(err), command)
  }
  if (parsed.values.help !== true && parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals] ?? ''
    throw new UsageError(`unexpected argument '${extra}' for 'kafka-wire ${command}'`, command)
  }
  return parsed
}

/** Turns parseArgs's multi-sentence messages into one line naming the flag. */
function describeParseError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown }
  const message = typeof e.message === 'string' ? e.message : String(err)
  // e.g. "Option '-t, --topic <value>' argument missing": name the long form.
  const flag = /'(?:-\w, )?(-{1,2}[^' ,<]+)/.exec(message)?.[1]
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag ?? message}`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.includes('argument missing') ? `flag ${flag ?? ''} needs a value` : `flag ${flag ?? ''}: ${message.split('.')[0] ?? message}`
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument: ${message}`
    default:
      return message.split('\n')[0] ?? message
  }
}

/** Help text: usage line, description, the command's flags, then the common ones. */
export function helpText(usage: string, description: string, flags: Readonly<Record<string, FlagSpec>>, examples: readonly string[] = []): string {
  const lines = [`Usage: ${usage}`, '', description, '']
  const section = (title: string, specs: Readonly<Record<string, FlagSpec>>): void => {
    const rows = Object.entries(specs).map(([name, spec]) => {
      const short = spec.short !== undefined ? `-${spec.short}, ` : '    '
      const value = spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''
      return [`  ${short}--${name}${value}`, spec.description + (spec.multiple === true ? ' (repeatable)' : '')] as const
    })
    if (rows.length === 0) return
    const width = Math.max(...rows.map((r) => r[0].length)) + 2
    lines.push(title)
    for (const [left, right] of rows) lines.push(left.padEnd(width) + right)
    lines.push('')
  }
  section('Options:', flags)
  section('Common options:', COMMON_FLAGS)
  if (examples.length > 0) {
    lines.push('Examples:')
    for (const e of examples) lines.push(`  ${e}`)
    lines.push('')
  }
  return lines.join('\n')
}

/** A string flag's value, or undefined. */
export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

/** A repeatable string flag's values. */
export function strs(values: FlagValues, name: string): string[] {
  const v = values[name]
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
  return typeof v === 'string' ? [v] : []
}

/** A boolean flag's value (false when absent). */
export function bool(values: FlagValues, name: string): boolean {
  return values[name] === true
}

/** An integer flag within `[min, max]`, or `fallback` when absent. */
export function int(values: FlagValues, name: string, command: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = str(values, name)
  if (v === undefined) return fallback
  if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`--${name} must be an integer, got '${v}'`, command)
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${v}`, command)
  return n
}
