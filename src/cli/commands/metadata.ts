/** `kafka-wire metadata`: brokers, topics, partitions, leaders and replicas. */
import { errorInfo } from '../../protocol/errors.js'
import { bool, strs } from '../args.js'
import { connectAny, fetchMetadata } from '../client.js'
import type { Command } from '../command.js'
import { CliError, EXIT_OK } from '../errors.js'
import { table } from '../table.js'
import { SECURITY_FLAGS, securityOnly } from '../security-options.js'

/** `kafka-wire metadata`. */
export const metadataCommand: Command = {
  name: 'metadata',
  summary: 'tables of brokers, topics, partitions, leaders and in-sync replicas',
  usage: 'kafka-wire metadata [-b HOST:PORT] [-t TOPIC ...] [--internal] [-X security.setting=value ...]',
  description: 'Sends one Metadata request and prints the cluster: its brokers (the controller starred), then each topic\'s partitions.',
  flags: {
    topic: { type: 'string', short: 't', multiple: true, valueName: 'TOPIC', description: 'describe only this topic (an error if it does not exist)' },
    internal: { type: 'boolean', description: 'include internal topics (__consumer_offsets, ...)' },
    ...SECURITY_FLAGS,
  },
  maxPositionals: 0,
  examples: ['kafka-wire metadata -b 127.0.0.1:9092', 'kafka-wire metadata -t orders --dump', 'KAFKA_WIRE_SASL_PASSWORD=... kafka-wire metadata -b broker:9095 -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=PLAIN -X sasl.username=alice'],
  async run(ctx) {
    const topics = strs(ctx.values, 'topic')
    // Check the security settings before a broker is touched (or started).
    securityOnly(strs(ctx.values, 'config'), ctx.command)
    ctx.security()
    const servers = await ctx.bootstrap()
    const conn = await connectAny(ctx, servers)
    let metadata
    try {
      metadata = await fetchMetadata(conn, topics.length > 0 ? topics : null)
    } finally {
      conn.close()
    }
    const s = ctx.style
    const out = ctx.io.stdout
    out.write(`${s.bold('cluster')} ${metadata.clusterId ?? '(no id)'}, controller ${metadata.controllerId}\n`)
    out.write(
      table(
        ['broker', 'host', 'port', 'rack'],
        [...metadata.brokers].sort((a, b) => a.nodeId - b.nodeId).map((b) => [`${b.nodeId}${b.nodeId === metadata.controllerId ? '*' : ''}`, b.host, String(b.port), b.rack ?? '']),
        s,
      ),
    )
    const missing = metadata.topics.filter((t) => t.errorCode !== 0)
    const shown = metadata.topics
      .filter((t) => t.errorCode === 0 && (bool(ctx.values, 'internal') || !t.isInternal || topics.length > 0))
      .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''))
    out.write(`\n${s.bold('topics')} ${shown.length}\n`)
    const rows: string[][] = []
    for (const t of shown) {
      for (const p of [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) {
        const under = p.isrNodes.length < p.replicaNodes.length
        rows.push([
          t.name ?? t.topicId,
          String(p.partitionIndex),
          p.leaderId < 0 ? s.red('none') : String(p.leaderId),
          String(p.leaderEpoch),
          p.replicaNodes.join(','),
          under ? s.yellow(p.isrNodes.join(',')) : p.isrNodes.join(','),
          p.errorCode === 0 ? '' : s.red(errorInfo(p.errorCode).name),
        ])
      }
    }
    out.write(table(['topic', 'partition', 'leader', 'epoch', 'replicas', 'isr', 'error'], rows, s))
    if (missing.length > 0) {
      const t = missing[0]
      if (t !== undefined) throw new CliError(`topic ${JSON.stringify(t.name)}: ${errorInfo(t.errorCode).name}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`)
    }
    return EXIT_OK
  },
}
