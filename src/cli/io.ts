/**
 * The CLI's view of its process: streams, environment and terminal capabilities. `main()` takes
 * one so tests can run commands in-process and capture their output.
 */

/** A text sink (stdout or stderr). */
export interface TextOut {
  write(text: string): unknown
  /** True when attached to a terminal: enables colours and progress lines. */
  readonly isTTY?: boolean
}

/** Everything a command may touch outside its arguments. */
export interface CliIo {
  readonly stdout: TextOut
  readonly stderr: TextOut
  /** Where `produce` reads records from when no `--file` is given. */
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean }
  readonly env: Readonly<Record<string, string | undefined>>
}

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
}

/** ANSI styling that collapses to plain text when colours are off. */
export interface Style {
  readonly enabled: boolean
  dim(s: string): string
  bold(s: string): string
  red(s: string): string
  green(s: string): string
  yellow(s: string): string
  blue(s: string): string
  magenta(s: string): string
  cyan(s: string): string
}

function wrap(enabled: boolean, open: number, close: number): (s: string) => string {
  return enabled ? (s) => `\u001b[${open}m${s}\u001b[${close}m` : (s) => s
}

/** A {@link Style} with colours on or off. */
export function makeStyle(enabled: boolean): Style {
  return {
    enabled,
    dim: wrap(enabled, 2, 22),
    bold: wrap(enabled, 1, 22),
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    blue: wrap(enabled, 34, 39),
    magenta: wrap(enabled, 35, 39),
    cyan: wrap(enabled, 36, 39),
  }
}

/**
 * Colours on a TTY unless `NO_COLOR` is set (no-color.org); `--color` / `FORCE_COLOR` force them,
 * `--no-color` turns them off.
 */
export function colorEnabled(out: TextOut, env: CliIo['env'], flags: { color?: boolean; noColor?: boolean }): boolean {
  if (flags.noColor === true) return false
  if (flags.color === true) return true
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return out.isTTY === true
}

/** Visible width of a string that may contain ANSI escapes. */
export function visibleWidth(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '').length
}
