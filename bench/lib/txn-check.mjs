// The checks after a transactional run (issue 14), with tools we did not write: KafkaJS's ListOffsets
// (read_committed: the last stable offsets), kcat as a read_committed consumer, and Kafka's own
// TransactionsCommand for the coordinator's view of the transactional id.
import { spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Records per partition that a read_committed consumer (kcat, librdkafka) sees from the beginning
 * to the partition's end (its last stable offset): { total, byPartition } or { error }.
 */
export function readCommittedCount(bootstrap, topic, timeoutMs = 120_000) {
  const args = ['-C', '-q', '-e', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-X', 'isolation.level=read_committed', '-f', '%p\\n']
  const r = spawnSync('kcat', args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 2 ** 20 })
  if (r.error) return { error: r.error.code === 'ENOENT' ? 'kcat not installed (Debian: apt-get install -y kcat)' : `kcat: ${r.error.message}` }
  if (r.status !== 0) return { error: `kcat -C exited ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-1)[0]}` }
  const byPartition = {}
  let total = 0
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue
    byPartition[line] = (byPartition[line] ?? 0) + 1
    total++
  }
  return { total, byPartition }
}

/**
 * The coordinator's state of a transactional id (kafka-transactions.sh describe): { producerId,
 * epoch, state } or { error }. With transaction version 2 (KIP-890, Kafka 4.x's default) every
 * EndTxn bumps the epoch, so a fresh id's epoch is the number of transactions it ended.
 */
export function describeTransaction(kafkaLibs, bootstrap, transactionalId) {
  if (!kafkaLibs) return { error: 'no Kafka jars for TransactionsCommand' }
  const args = ['-Xmx128m', '-cp', `${kafkaLibs}/*`, 'org.apache.kafka.tools.TransactionsCommand', '--bootstrap-server', bootstrap, 'describe', '--transactional-id', transactionalId]
  const r = spawnSync('java', args, { encoding: 'utf8', timeout: 60_000 })
  if (r.error || r.status !== 0) return { error: `TransactionsCommand describe: ${r.error?.message ?? (r.stderr || r.stdout).trim().split('\n').slice(-1)[0]}` }
  return parseDescribe(r.stdout)
}

/** Parses TransactionsCommand's describe table (a header line, then one line of values). */
export function parseDescribe(stdout) {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '')
  const h = lines.findIndex((l) => /\bProducerEpoch\b/.test(l))
  if (h < 0 || lines[h + 1] === undefined) return { error: `no describe table in: ${stdout.trim().slice(0, 200)}` }
  const head = lines[h].trim().split(/\s+/)
  const vals = lines[h + 1].trim().split(/\s+/)
  const col = (name) => vals[head.indexOf(name)]
  return { producerId: Number(col('ProducerId')), epoch: Number(col('ProducerEpoch')), state: col('TransactionState') }
}

/**
 * Waits until the topic's read_committed end offsets (KafkaJS's ListOffsets: last stable offsets) stop
 * moving and cover `sent` (markers are written after commitTransaction() returns), then checks that a
 * read_committed consumer sees every record. Committed transactions leave one control record (marker)
 * per partition they wrote to, so the end offsets add up to records + markers, and
 * transactions <= markers <= transactions x partitions. Returns the figures and the problems found.
 */
export async function verifyTransactional({ admin, bootstrap, topic, sent, partitions, transactions, kafkaLibs, transactionalId, settleMs = 15_000 }) {
  const problems = []
  let endOffsets = await admin.endOffsetSum(topic)
  const deadline = Date.now() + settleMs
  for (;;) {
    await sleep(200)
    const again = await admin.endOffsetSum(topic)
    if ((again === endOffsets && again >= sent) || Date.now() > deadline) {
      endOffsets = again
      break
    }
    endOffsets = again
  }
  const read = readCommittedCount(bootstrap, topic)
  const committedRecords = read.error ? null : read.total
  if (read.error) problems.push(`read_committed read not done: ${read.error}`)
  else if (read.total !== sent) problems.push(`a read_committed consumer (kcat) saw ${read.total} records, client sent ${sent}`)
  const markers = committedRecords === null ? null : endOffsets - committedRecords
  const coordinator = describeTransaction(kafkaLibs, bootstrap, transactionalId)
  // the coordinator's count (TV2 epoch) stands in for a client that does not report its own (Java)
  const epochCount = coordinator.error || !(coordinator.epoch > 0) ? null : coordinator.epoch
  const count = transactions ?? epochCount
  // a client's own count must be the coordinator's (checked where the epoch moves: TV2)
  if (transactions !== null && epochCount !== null && transactions !== epochCount) problems.push(`client counted ${transactions} transactions, the coordinator's epoch ${epochCount}`)
  if (markers !== null && count !== null) {
    if (markers < count) problems.push(`${markers} transaction markers for ${count} transactions (each commit marks at least one partition)`)
    if (markers > count * partitions) problems.push(`${markers} transaction markers for ${count} transactions over ${partitions} partitions`)
  }
  return {
    endOffsets,
    committedRecords,
    byPartition: read.byPartition ?? null,
    markers,
    transactions: count,
    recordsPerTransaction: count ? sent / count : null,
    transactionsFrom: transactions !== null ? 'client' : epochCount !== null ? 'coordinator epoch (TransactionsCommand, transaction version 2)' : null,
    coordinator,
    problems,
  }
}
