/** `kafka-wire api-versions`: the versions each broker offers and the ones kafka-wire negotiates. */
import type { Connection } from '../../network/connection.js'
import { apiName } from '../api-names.js'
import { apiByKey } from '../apis.js'
import { bool, strs } from '../args.js'
import { connectAny, connectTo, fetchMetadata } from '../client.js'
import type { Command } from '../command.js'
import type { Context } from '../context.js'
import { EXIT_OK } from '../errors.js'
import { table } from '../table.js'
import { SECURITY_FLAGS, securityOnly } from '../security-options.js'

function versionsTable(ctx: Context, conn: Connection, onlyUsed: boolean): string {
  const rows: string[][] = []
  const keys = [...conn.apiVersions.keys()].sort((a, b) => a - b)
  for (const key of keys) {
    const broker = conn.apiVersions.get(key)
    if (broker === undefined) continue
    const api = apiByKey(key)
    if (onlyUsed && api === undefined) continue
    let used = '-'
    if (api !== undefined) {
      const hi = Math.min(api.maxVersion, broker.maxVersion)
      const lo = Math.max(api.minVersion, broker.minVersion)
      used = hi >= lo ? ctx.style.green(`v${hi}`) : ctx.style.red('none in common')
    }
    rows.push([String(key), apiName(key), `${broker.minVersion}-${broker.maxVersion}`, api === undefined ? '' : `${api.minVersion}-${api.maxVersion}`, used])
  }
  return table(['key', 'api', 'broker', 'kafka-wire', 'negotiated'], rows, ctx.style)
}

/** `kafka-wire api-versions`. */
export const apiVersionsCommand: Command = {
  name: 'api-versions',
  summary: 'table of the API versions each broker supports and the ones kafka-wire negotiates',
  usage: 'kafka-wire api-versions [-b HOST:PORT] [--used] [-X security.setting=value ...]',
  description:
    'Connects to every broker of the cluster, runs the ApiVersions handshake (KIP-511) and prints, per API,\n' +
    "the broker's version range, kafka-wire's range and the version kafka-wire will use (the highest in both).",
  flags: {
    used: { type: 'boolean', description: 'only the APIs kafka-wire implements' },
    ...SECURITY_FLAGS,
  },
  maxPositionals: 0,
  examples: ['kafka-wire api-versions -b 127.0.0.1:9092', 'kafka-wire api-versions --used --dump', 'kafka-wire api-versions -b broker:9094 -X security.protocol=SSL -X ssl.ca.location=ca.pem'],
  async run(ctx) {
    // Check the security settings before a broker is touched (or started).
    securityOnly(strs(ctx.values, 'config'), ctx.command)
    ctx.security()
    const servers = await ctx.bootstrap()
    const bootstrap = await connectAny(ctx, servers)
    try {
      const metadata = await fetchMetadata(bootstrap, [])
      const brokers = [...metadata.brokers].sort((a, b) => a.nodeId - b.nodeId)
      for (const b of brokers) {
        const address = `${b.host}:${b.port}`
        const conn = address === bootstrap.broker ? bootstrap : await connectTo(ctx, address)
        try {
          ctx.io.stdout.write(`${ctx.style.bold(`broker ${b.nodeId}`)} at ${address}${b.rack === null ? '' : ` rack ${b.rack}`}: ${conn.apiVersions.size} APIs\n`)
          ctx.io.stdout.write(versionsTable(ctx, conn, bool(ctx.values, 'used')))
          ctx.io.stdout.write('\n')
        } finally {
          if (conn !== bootstrap) conn.close()
        }
      }
    } finally {
      bootstrap.close()
    }
    return EXIT_OK
  },
}
