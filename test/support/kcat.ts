import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** One record as kcat (librdkafka, a consumer we did not write) read it back. */
export interface ConsumedRecord {
  partition: number
  offset: number
  key: string
  value: string
}

/**
 * Reads a whole topic from the beginning with kcat and returns every record, in partition and
 * offset order. kcat verifies batch CRCs (`check.crcs=true`). Keys and values must be text without
 * the separator characters.
 */
export async function consumeWithKcat(bootstrap: readonly string[], topic: string, timeoutMs = 120_000, extraArgs: readonly string[] = []): Promise<ConsumedRecord[]> {
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', bootstrap.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true', ...extraArgs, '-f', '%p\t%o\t%k\t%s\n'],
    { timeout: timeoutMs, maxBuffer: 1024 * 1024 * 1024 },
  )
  const records: ConsumedRecord[] = []
  for (const line of stdout.split('\n')) {
    if (line === '') continue
    const [p, o, k, v] = line.split('\t')
    records.push({ partition: Number(p), offset: Number(o), key: k ?? '', value: v ?? '' })
  }
  records.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  return records
}
