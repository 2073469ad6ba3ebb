/** Connections for CLI commands: bootstrap with a clear "unreachable" error, dump hooks attached. */
import { Connection } from '../network/connection.js'
import { NetworkError } from '../network/errors.js'
import { SaslAuthenticationError, SslAuthenticationError } from '../network/security-errors.js'
import { MetadataApi, type MetadataResponse } from '../protocol/metadata.js'
import type { Context } from './context.js'
import { parseAddress } from './context.js'
import { CliError } from './errors.js'

/** How long the CLI waits for TCP connect plus the ApiVersions handshake. */
export const CLI_CONNECT_TIMEOUT_MS = 10_000

/**
 * Opens a connection to `address` (`host:port`), with the dump hook when `--dump` is on and the
 * TLS socket factory and SASL authenticator of the `-X` security settings ({@link Context.security}).
 */
export async function connectTo(ctx: Context, address: string, timeoutMs = CLI_CONNECT_TIMEOUT_MS): Promise<Connection> {
  const { host, port } = parseAddress(address, ctx.command)
  const { socketFactory, authenticator } = ctx.security()
  const conn = new Connection({
    ...(socketFactory !== undefined ? { socketFactory } : {}),
    ...(authenticator !== undefined ? { authenticator } : {}),
    host,
    port,
    clientId: ctx.clientId,
    connectionSetupTimeoutMs: timeoutMs,
    requestTimeoutMs: 30_000,
    ...(ctx.dump !== undefined ? { trace: ctx.dump.hook(address) } : {}),
  })
  await conn.connect()
  return conn
}

/**
 * Connects to the first bootstrap server that answers; if none does, throws one {@link CliError}
 * naming every address tried and why it failed. An authentication failure (SASL or TLS) stops at
 * once with its own line: the same credentials fail the same way on every broker, and "unreachable"
 * would name the wrong cause.
 */
export async function connectAny(ctx: Context, servers: readonly string[]): Promise<Connection> {
  const failures: string[] = []
  for (const address of servers) {
    try {
      return await connectTo(ctx, address)
    } catch (err) {
      if (err instanceof SaslAuthenticationError || err instanceof SslAuthenticationError) throw new CliError(reason(err, address))
      if (!(err instanceof NetworkError)) throw err
      failures.push(reason(err, address))
    }
  }
  throw new CliError(`broker unreachable: ${failures.join('; ')}`)
}

function reason(err: NetworkError, address: string): string {
  const text = err.message.startsWith(address) ? err.message : `${address}: ${err.message}`
  return text.split('\n')[0] ?? text
}

/** Metadata for `topics` (all topics when null) from `conn`. */
export async function fetchMetadata(conn: Connection, topics: readonly string[] | null): Promise<MetadataResponse> {
  return conn.send(MetadataApi, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  })
}
