/** `kafka-wire dump [COMMAND ...]`: any command with `--dump` (default: `api-versions --used`). */
import type { Command } from '../command.js'
import { UsageError } from '../errors.js'

/** `kafka-wire dump`. */
export const dumpCommand: Command = {
  name: 'dump',
  summary: 'run a command with every frame printed, annotated field by field (default: api-versions)',
  usage: 'kafka-wire dump [COMMAND] [OPTIONS]   (same as: kafka-wire COMMAND --dump [OPTIONS])',
  description:
    'Prints every frame sent and received: offset, hex bytes, field path in the Kafka JSON spec names (e.g.\n' +
    'topic_data[0].partition_data[0].records.batch.crc) and the decoded value. Record batches are expanded to their\n' +
    'records, decompressed when needed, with the CRC-32C checked. Colours on a terminal, plain text otherwise.\n' +
    'Without a command it dumps the ApiVersions handshake and a Metadata request (api-versions --used).\n' +
    'Narrow the output with --dump-api API (repeatable) and --dump-only requests|responses.',
  flags: {},
  maxPositionals: 0,
  examples: [
    'kafka-wire dump -b 127.0.0.1:9092',
    'kafka-wire dump metadata -b 127.0.0.1:9092 --dump-only responses',
    'echo hi | kafka-wire dump produce -t demo --compression lz4 --dump-api Produce',
  ],
  rewrite(argv, commands) {
    const [first, ...rest] = argv
    if (first === 'dump') throw new UsageError("'dump dump' is just 'dump'", 'dump')
    if (first !== undefined && !first.startsWith('-')) {
      if (!commands.includes(first)) throw new UsageError(`unknown command '${first}' to dump`, 'dump')
      return [first, ...rest, '--dump']
    }
    return ['api-versions', '--used', ...argv, '--dump']
  },
}
