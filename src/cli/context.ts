/** What every command gets: its parsed flags, streams, styles, the dump printer and broker resolution. */
import { apiByKey } from './apis.js'
import { type FlagValues, bool, str, strs } from './args.js'
import { apiKeyByName } from './api-names.js'
import { DumpPrinter } from './dump/printer.js'
import { UsageError } from './errors.js'
import { type CliIo, type Style, colorEnabled, makeStyle } from './io.js'
import { ensureLocalBroker, stateDir } from './local-broker.js'
import { type CliSecurity, cliSecurity } from './security-options.js'

/** Default `client_id` of CLI requests. */
export const DEFAULT_CLIENT_ID = 'kafka-wire-cli'

/** A command's view of the invocation. */
export interface Context {
  readonly command: string
  readonly io: CliIo
  readonly values: FlagValues
  readonly positionals: readonly string[]
  /** Styling for stdout. */
  readonly style: Style
  /** Styling for stderr. */
  readonly errStyle: Style
  readonly clientId: string
  /** Set with `--dump`: give its `hook(broker)` to every connection. */
  readonly dump: DumpPrinter | undefined
  /** The local broker's state folder. */
  readonly stateDir: string
  /** `-b` servers, or the local broker's (started if needed, saying so on stderr). */
  bootstrap(): Promise<string[]>
  /**
   * Security of every connection the command makes (its own and the producer's), from the `-X`
   * security settings and `KAFKA_WIRE_SASL_PASSWORD`; parsed once, on first use.
   * @throws UsageError naming a bad security setting
   */
  security(): CliSecurity
  /** A progress or info line on stderr. */
  info(line: string): void
  /** Runs another command line (used by `dump`); resolves with its exit code. */
  dispatch(argv: readonly string[]): Promise<number>
}

/** Builds the context of `command` from its parsed flags. */
export function makeContext(
  command: string,
  io: CliIo,
  values: FlagValues,
  positionals: readonly string[],
  dispatch: (argv: readonly string[]) => Promise<number>,
): Context {
  const flags = { color: bool(values, 'color'), noColor: bool(values, 'no-color') }
  const style = makeStyle(colorEnabled(io.stdout, io.env, flags))
  const errStyle = makeStyle(colorEnabled(io.stderr, io.env, flags))
  const clientId = str(values, 'client-id') ?? DEFAULT_CLIENT_ID
  const dir = stateDir(str(values, 'state-dir'), io.env)
  const dump = bool(values, 'dump') ? new DumpPrinter({ out: io.stdout, style, lookup: apiByKey, ...dumpFilter(values, command) }) : undefined
  const bootstrapFlag = str(values, 'bootstrap')
  let security: CliSecurity | undefined
  return {
    command,
    io,
    values,
    positionals,
    style,
    errStyle,
    clientId,
    dump,
    stateDir: dir,
    async bootstrap() {
      if (bootstrapFlag !== undefined) return parseBootstrap(bootstrapFlag, command)
      return ensureLocalBroker(dir, io)
    },
    security() {
      security ??= cliSecurity(strs(values, 'config'), command, io.env)
      return security
    },
    info(line) {
      io.stderr.write(`${line}\n`)
    },
    dispatch,
  }
}

/** `--dump-api` and `--dump-only` as printer options. */
function dumpFilter(values: FlagValues, command: string): { apiKeys?: ReadonlySet<number>; direction?: 'send' | 'receive' } {
  const out: { apiKeys?: ReadonlySet<number>; direction?: 'send' | 'receive' } = {}
  const apis = strs(values, 'dump-api')
  if (apis.length > 0) {
    out.apiKeys = new Set(
      apis.map((name) => {
        const key = apiKeyByName(name)
        if (key === undefined) throw new UsageError(`--dump-api: unknown API '${name}' (use Kafka names such as Produce, Metadata, ApiVersions)`, command)
        return key
      }),
    )
  }
  const only = str(values, 'dump-only')
  if (only !== undefined) {
    if (only !== 'requests' && only !== 'responses') throw new UsageError(`--dump-only must be requests or responses, got '${only}'`, command)
    out.direction = only === 'requests' ? 'send' : 'receive'
  }
  return out
}

/** Splits `host:port,host:port`, checking each address. */
export function parseBootstrap(list: string, command: string): string[] {
  const servers = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (servers.length === 0) throw new UsageError('-b needs at least one host:port', command)
  for (const s of servers) parseAddress(s, command)
  return servers
}

/** `host:port` (IPv6 as `[::1]:9092`) to its parts. */
export function parseAddress(address: string, command: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || !(port > 0 && port < 65536)) throw new UsageError(`'${address}' is not a host:port broker address`, command)
  return { host: (m[1] ?? m[2]) as string, port }
}
