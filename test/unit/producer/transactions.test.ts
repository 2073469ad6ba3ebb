// The transactional producer's client rules (issue 14) with a scripted coordinator: what is sent,
// in which order, and how each answer is handled. The rules are the Java client's
// (kafka-clients producer/internals/TransactionManager.java, Sender.java); the real broker's side is
// in test/integration/transactions.test.ts.
import { describe, expect, it } from 'vitest'
import { ConfigError, KafkaProtocolError, ProducerFencedError, TimeoutError, TransactionAbortableError, TransactionAbortedError, TransactionStateError } from '../../../src/index.js'
import { ERROR_BY_NAME } from '../../../src/protocol/errors.js'
import { FakeTxnTransport } from './fake-txn-transport.js'
import { until, useProducers } from './helpers.js'

const code = (name: string): number => (ERROR_BY_NAME[name] as { code: number }).code
const make = useProducers()

function setup(tv: number, opts: Record<string, unknown> = {}) {
  const t = new FakeTxnTransport()
  t.transactionVersionLevel = tv
  const p = make(t, { transactionalId: 'tx-1', lingerMs: 0, ...opts })
  return { t, p }
}

describe('transactional producer: configuration', () => {
  it('needs idempotence, and its conflicts are errors even with enableIdempotence left at its default', () => {
    const t = new FakeTxnTransport()
    expect(() => make(t, { transactionalId: 'x', enableIdempotence: false })).toThrow(ConfigError)
    expect(() => make(t, { transactionalId: 'x', acks: 1 })).toThrow(/idempotent producer requires acks='all'/)
    expect(() => make(t, { transactionalId: '' })).toThrow(/transactionalId: expected a non-empty string/)
    expect(() => make(t, { transactionTimeoutMs: 0 })).toThrow(/transactionTimeoutMs: must be at least 1/)
  })
})

describe('transactional producer: protocol', () => {
  it('TV1: FindCoordinator, InitProducerId -1/-1 with the timeout, AddPartitionsToTxn before the first Produce, Produce ≤ v11 with the id, EndTxn(commit) last', async () => {
    const { t, p } = setup(1, { transactionTimeoutMs: 12345 })
    await p.initTransactions()
    const init = t.calls.find((c) => c.api === 'InitProducerId')
    expect(init?.producer).toEqual({ transactionalId: 'tx-1', producerId: -1n, producerEpoch: -1 })
    expect(init?.detail).toEqual({ timeoutMs: 12345 })
    expect(init?.nodeId).toBe(7)
    p.beginTransaction()
    const sends = [p.send({ topic: 't', partition: 0, value: 'a' }), p.send({ topic: 't', partition: 1, value: 'b' })]
    await p.commitTransaction()
    await Promise.all(sends)
    expect(t.apis()).toEqual(['FindCoordinator', 'InitProducerId', 'AddPartitionsToTxn', 'Produce', 'EndTxn'])
    const produce = t.requests[0]
    expect(produce?.data.transactionalId).toBe('tx-1')
    expect(produce?.data.maxVersion).toBe(11)
    expect(produce?.batches.every((b) => b.batch.isTransactional && b.batch.producerId === 4000n)).toBe(true)
    expect(t.calls.at(-1)?.detail).toEqual({ commit: true, tv2: false })
    expect(p.transactionState).toBe('ready')
  })

  it('TV2: no AddPartitionsToTxn; EndTxn v5 bumps the epoch and the next transaction restarts sequences at 0 under it', async () => {
    const { t, p } = setup(2)
    await p.initTransactions()
    for (let i = 0; i < 2; i++) {
      p.beginTransaction()
      await Promise.all([p.send({ topic: 't', partition: 0, value: `a${i}` }), p.send({ topic: 't', partition: 0, value: `b${i}` })].map((s) => s.catch((e: unknown) => e)))
      await p.commitTransaction()
    }
    expect(t.apis().filter((a) => a === 'AddPartitionsToTxn')).toEqual([])
    expect(t.requests.every((r) => r.data.maxVersion === undefined && r.data.transactionalId === 'tx-1')).toBe(true)
    const batches = t.requests.flatMap((r) => r.batches.map((b) => b.batch))
    expect(batches[0]?.producerEpoch).toBe(0)
    expect(batches[0]?.baseSequence).toBe(0)
    const second = batches.find((b) => b.producerEpoch === 1)
    expect(second?.baseSequence).toBe(0)
  })

  it('retries COORDINATOR_NOT_AVAILABLE, CONCURRENT_TRANSACTIONS and COORDINATOR_LOAD_IN_PROGRESS, and re-finds a moved coordinator (NOT_COORDINATOR), as Java does', async () => {
    const { t, p } = setup(1)
    t.script.FindCoordinator.push(code('COORDINATOR_NOT_AVAILABLE'))
    t.script.InitProducerId.push(code('CONCURRENT_TRANSACTIONS'))
    t.script.AddPartitionsToTxn.push(code('CONCURRENT_TRANSACTIONS'), code('COORDINATOR_LOAD_IN_PROGRESS'))
    t.script.EndTxn.push(code('NOT_COORDINATOR'))
    await p.initTransactions()
    p.beginTransaction()
    const s = p.send({ topic: 't', partition: 0, value: 'a' })
    await p.commitTransaction()
    await s
    expect(t.apis()).toEqual(['FindCoordinator', 'FindCoordinator', 'InitProducerId', 'InitProducerId', 'AddPartitionsToTxn', 'AddPartitionsToTxn', 'AddPartitionsToTxn', 'Produce', 'EndTxn', 'FindCoordinator', 'EndTxn'])
  })

  it('an empty transaction completes without EndTxn (Java: nothing was added)', async () => {
    const { t, p } = setup(2)
    await p.initTransactions()
    p.beginTransaction()
    await p.commitTransaction()
    p.beginTransaction()
    await p.abortTransaction()
    expect(t.apis()).toEqual(['FindCoordinator', 'InitProducerId'])
  })

  it('sendOffsetsToTransaction: AddOffsetsToTxn then TxnOffsetCommit at the group coordinator under TV1; TxnOffsetCommit alone under TV2', async () => {
    for (const tv of [1, 2]) {
      const { t, p } = setup(tv)
      await p.initTransactions()
      p.beginTransaction()
      await p.sendOffsetsToTransaction([{ topic: 'src', partition: 3, offset: 42 }], { groupId: 'g', generationId: 5, memberId: 'm-1' })
      await p.commitTransaction()
      const apis = t.apis()
      expect(apis).toEqual(tv === 1 ? ['FindCoordinator', 'InitProducerId', 'AddOffsetsToTxn', 'FindCoordinator', 'TxnOffsetCommit', 'EndTxn'] : ['FindCoordinator', 'InitProducerId', 'FindCoordinator', 'TxnOffsetCommit', 'EndTxn'])
      const commit = t.calls.find((c) => c.api === 'TxnOffsetCommit')
      expect(commit?.detail).toEqual({ group: { groupId: 'g', generationId: 5, memberId: 'm-1', groupInstanceId: null }, topics: [{ topic: 'src', partitions: [{ partition: 3, offset: 42n, leaderEpoch: -1, metadata: null }] }], tv2: tv === 2 })
      expect(t.calls.find((c) => c.api === 'FindCoordinator' && (c.detail as { keyType: string }).keyType === 'group')?.detail).toEqual({ keyType: 'group', key: 'g' })
    }
  })
})

describe('transactional producer: states and errors', () => {
  it('abort: records not yet sent fail with TransactionAbortedError, then EndTxn(abort)', async () => {
    const { t, p } = setup(1, { lingerMs: 60_000 })
    await p.initTransactions()
    p.beginTransaction()
    const s = p.send({ topic: 't', partition: 0, value: 'a' })
    await new Promise((r) => setTimeout(r, 20))
    await p.abortTransaction()
    await expect(s).rejects.toBeInstanceOf(TransactionAbortedError)
    expect(t.requests).toEqual([])
    expect(t.calls.at(-1)).toMatchObject({ api: 'EndTxn', detail: { commit: false } })
    expect(p.transactionState).toBe('ready')
  })

  it('a failed record makes the transaction abortable: commit rejects without EndTxn, abort then bumps the epoch at the coordinator (KIP-360)', async () => {
    const { t, p } = setup(1)
    t.onProduce = (req) => t.ok(req, () => ({ errorCode: code('TOPIC_AUTHORIZATION_FAILED') }))
    await p.initTransactions()
    p.beginTransaction()
    const s = p.send({ topic: 't', partition: 0, value: 'a' })
    await expect(s).rejects.toBeInstanceOf(KafkaProtocolError)
    expect(p.transactionState).toBe('abortableError')
    await expect(p.send({ topic: 't', value: 'later' })).rejects.toBeInstanceOf(TransactionAbortableError)
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(TransactionAbortableError)
    expect(t.apis().filter((a) => a === 'EndTxn')).toEqual([])
    await p.abortTransaction()
    const last = t.calls.slice(-2)
    expect(last.map((c) => c.api)).toEqual(['EndTxn', 'InitProducerId'])
    expect(last[1]?.producer).toEqual({ transactionalId: 'tx-1', producerId: 4000n, producerEpoch: 0 })
    expect(p.transactionState).toBe('ready')
    t.onProduce = (req) => t.ok(req)
    p.beginTransaction()
    await p.send({ topic: 't', partition: 0, value: 'b' })
    await p.commitTransaction()
    const b = t.requests.at(-1)?.batches[0]?.batch
    expect([b?.producerEpoch, b?.baseSequence]).toEqual([1, 0])
  })

  it('PRODUCER_FENCED on EndTxn is fatal: the commit and every later call reject with ProducerFencedError', async () => {
    const { t, p } = setup(2)
    t.script.EndTxn.push(code('PRODUCER_FENCED'))
    await p.initTransactions()
    p.beginTransaction()
    await p.send({ topic: 't', partition: 0, value: 'a' })
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError)
    expect(p.transactionState).toBe('fatalError')
    await expect(p.send({ topic: 't', value: 'b' })).rejects.toBeInstanceOf(ProducerFencedError)
    expect(() => p.beginTransaction()).toThrow(ProducerFencedError)
    await expect(p.abortTransaction()).rejects.toBeInstanceOf(ProducerFencedError)
  })

  it('a commit that times out stays in progress (TimeoutError, outcome unknown); calling it again finishes it', async () => {
    const { t, p } = setup(2, { maxBlockMs: 300 })
    await p.initTransactions()
    p.beginTransaction()
    await p.send({ topic: 't', partition: 0, value: 'a' })
    for (let i = 0; i < 200; i++) t.script.EndTxn.push(code('CONCURRENT_TRANSACTIONS'))
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(TimeoutError)
    expect(p.transactionState).toBe('committing')
    await expect(p.abortTransaction()).rejects.toBeInstanceOf(TransactionStateError)
    t.script.EndTxn.length = 0
    await p.commitTransaction()
    expect(p.transactionState).toBe('ready')
  })

  it('initTransactions() that times out (coordinator still loading) can be called again and then succeeds', async () => {
    const { t, p } = setup(2, { maxBlockMs: 200, retryBackoffMs: 20, retryBackoffMaxMs: 20 })
    for (let i = 0; i < 100; i++) t.script.InitProducerId.push(code('COORDINATOR_LOAD_IN_PROGRESS'))
    await expect(p.initTransactions()).rejects.toBeInstanceOf(TimeoutError)
    expect(p.transactionState).toBe('initializing')
    t.script.InitProducerId.length = 0
    await p.initTransactions()
    expect(p.transactionState).toBe('ready')
  })

  it('sendOffsetsToTransaction() still running: commit and abort are refused until it ends (Java throwIfPendingState)', async () => {
    const { t, p } = setup(2, { retryBackoffMs: 50, retryBackoffMaxMs: 50 })
    await p.initTransactions()
    p.beginTransaction()
    t.script.TxnOffsetCommit.push(code('COORDINATOR_LOAD_IN_PROGRESS'), code('COORDINATOR_LOAD_IN_PROGRESS'))
    const offsets = p.sendOffsetsToTransaction([{ topic: 's', partition: 0, offset: 1 }], { groupId: 'g' })
    await expect(p.commitTransaction()).rejects.toThrow(/sendOffsetsToTransaction\(\) is still running/)
    await expect(p.abortTransaction()).rejects.toBeInstanceOf(TransactionStateError)
    await offsets
    await p.commitTransaction()
    expect(t.apis().filter((a) => a === 'TxnOffsetCommit')).toHaveLength(3)
  })

  it('wrong-state calls name the state; a plain producer has no transactional methods', async () => {
    const { p } = setup(2)
    const err = await p.commitTransaction().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransactionStateError)
    expect((err as TransactionStateError).state).toBe('uninitialized')
    expect(() => p.beginTransaction()).toThrow(/call initTransactions\(\) before beginTransaction\(\)/)
    const plain = make(new FakeTxnTransport())
    expect(() => plain.beginTransaction()).toThrow(/needs a transactional producer/)
  })
})

describe('transactional producer: review findings against Java TransactionManager (issue 14)', () => {
  it('an abortable answer to sendOffsetsToTransaction() (ILLEGAL_GENERATION: a zombie consumer, KIP-447) makes the transaction abortable; commit sends no EndTxn', async () => {
    const { t, p } = setup(2)
    t.script.TxnOffsetCommit.push(code('ILLEGAL_GENERATION'))
    await p.initTransactions()
    p.beginTransaction()
    await expect(p.sendOffsetsToTransaction([{ topic: 's', partition: 0, offset: 3 }], { groupId: 'g', generationId: 4, memberId: 'm' })).rejects.toBeInstanceOf(TransactionAbortableError)
    expect(p.transactionState).toBe('abortableError')
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(TransactionAbortableError)
    expect(t.apis().filter((a) => a === 'EndTxn')).toEqual([])
    await p.abortTransaction()
    expect(t.calls.at(-1)).toMatchObject({ api: 'EndTxn', detail: { commit: false } })
  })

  it('TxnOffsetCommit answered REQUEST_TIMED_OUT finds the group coordinator again before retrying (Java TxnOffsetCommitHandler)', async () => {
    const { t, p } = setup(2, { retryBackoffMs: 1, retryBackoffMaxMs: 1 })
    t.script.TxnOffsetCommit.push(code('REQUEST_TIMED_OUT'))
    await p.initTransactions()
    p.beginTransaction()
    await p.sendOffsetsToTransaction([{ topic: 's', partition: 0, offset: 1 }], { groupId: 'g' })
    expect(t.apis().slice(2)).toEqual(['FindCoordinator', 'TxnOffsetCommit', 'FindCoordinator', 'TxnOffsetCommit'])
  })

  it('INVALID_PRODUCER_ID_MAPPING on EndTxn is fatal (KAFKA-18019), and an unknown error code is fatal too', async () => {
    for (const c of [code('INVALID_PRODUCER_ID_MAPPING'), 9999]) {
      const { t, p } = setup(2)
      t.script.EndTxn.push(c)
      await p.initTransactions()
      p.beginTransaction()
      await p.send({ topic: 't', partition: 0, value: 'a' })
      const err = await p.commitTransaction().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KafkaProtocolError)
      expect((err as KafkaProtocolError).code).toBe(c)
      expect(p.transactionState).toBe('fatalError')
    }
  })

  it('a retriable answer outside the short list (NOT_ENOUGH_REPLICAS on EndTxn) is retried, as every Java handler does', async () => {
    const { t, p } = setup(2, { retryBackoffMs: 1, retryBackoffMaxMs: 1 })
    t.script.EndTxn.push(code('NOT_ENOUGH_REPLICAS'))
    await p.initTransactions()
    p.beginTransaction()
    await p.send({ topic: 't', partition: 0, value: 'a' })
    await p.commitTransaction()
    expect(t.apis().filter((a) => a === 'EndTxn')).toHaveLength(2)
    expect(p.transactionState).toBe('ready')
  })

  it('a commit whose caller timed out but which then succeeded reports success to the next commitTransaction() call', async () => {
    const { t, p } = setup(2, { maxBlockMs: 150 })
    await p.initTransactions()
    p.beginTransaction()
    const slow = t.onProduce
    t.onProduce = (req) => new Promise((r) => setTimeout(() => r(slow(req)), 300))
    const s = p.send({ topic: 't', partition: 0, value: 'a' })
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(TimeoutError)
    await s
    await until(() => p.transactionState === 'ready')
    await p.commitTransaction()
    // Seen once: a further call is a plain wrong-state call.
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(TransactionStateError)
  })

  it('a resumed abort does not send its confirmed EndTxn again: only the KIP-360 bump that timed out', async () => {
    const { t, p } = setup(1, { maxBlockMs: 200, retryBackoffMs: 10, retryBackoffMaxMs: 10 })
    t.onProduce = (req) => t.ok(req, () => ({ errorCode: code('TOPIC_AUTHORIZATION_FAILED') }))
    await p.initTransactions()
    p.beginTransaction()
    await expect(p.send({ topic: 't', partition: 0, value: 'a' })).rejects.toBeInstanceOf(KafkaProtocolError)
    for (let i = 0; i < 1000; i++) t.script.InitProducerId.push(code('CONCURRENT_TRANSACTIONS'))
    await expect(p.abortTransaction()).rejects.toBeInstanceOf(TimeoutError)
    expect(p.transactionState).toBe('aborting')
    const endTxns = t.apis().filter((a) => a === 'EndTxn').length
    t.script.InitProducerId.length = 0
    await p.abortTransaction()
    expect(t.apis().filter((a) => a === 'EndTxn').length).toBe(endTxns)
    expect(t.calls.at(-1)?.api).toBe('InitProducerId')
    expect(p.transactionState).toBe('ready')
  })

  it('TV1: an AddPartitionsToTxn without an answer makes the transaction abortable, and the abort adds the partition again before EndTxn', async () => {
    const { t, p } = setup(1, { maxBlockMs: 200, retryBackoffMs: 10, retryBackoffMaxMs: 10 })
    await p.initTransactions()
    p.beginTransaction()
    for (let i = 0; i < 1000; i++) t.script.AddPartitionsToTxn.push(code('COORDINATOR_LOAD_IN_PROGRESS'))
    const s = p.send({ topic: 't', partition: 2, value: 'a' })
    await expect(s).rejects.toBeInstanceOf(TransactionAbortableError)
    expect(p.transactionState).toBe('abortableError')
    t.script.AddPartitionsToTxn.length = 0
    const before = t.calls.length
    await p.abortTransaction()
    expect(t.calls.slice(before).map((c) => c.api)).toEqual(['AddPartitionsToTxn', 'EndTxn'])
    expect(t.requests).toEqual([])
  })
})
