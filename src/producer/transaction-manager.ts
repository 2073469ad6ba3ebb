/**
 * The transactional producer's state machine (Java `TransactionManager`, transactional half): the
 * coordinator, the transaction's partitions and offsets, commit and abort, and which errors are
 * abortable and which fatal. Sequences and the producer id stay with `IdempotenceManager`.
 */
import { errorCodeOf, errorInfo, KafkaProtocolError } from '../protocol/errors.js'
import { brokerError, ClusterAuthorizationFailedError } from '../protocol/authorization-errors.js'
import { NetworkError } from '../network/errors.js'
import type { PartitionQueue } from './accumulator.js'
import { backoffMs } from '../network/backoff.js'
import { KafkaWireError, ProducerClosedError, ProducerFencedError, TimeoutError, TransactionAbortableError, TransactionAbortedError, TransactionStateError } from './errors.js'
import type { IdempotenceManager } from './idempotence.js'
import type { ProducerLogger } from './logger.js'
import type { ProducerBatch } from './producer-batch.js'
import type { TopicPartitions, TransactionTransport, TxnGroup, TxnOffset, TxnProducer } from './transport.js'

/**
 * Where a transactional producer is (Java `TransactionManager.State`): `uninitialized` until
 * `initTransactions()`, `ready` between transactions, `inTransaction` after `beginTransaction()`,
 * `committing`/`aborting` while a commit or abort runs (also after one timed out: call it again),
 * `abortableError` when the transaction can only be aborted, `fatalError` when the producer can only
 * be closed.
 */
export type TransactionState = 'uninitialized' | 'initializing' | 'ready' | 'inTransaction' | 'committing' | 'aborting' | 'abortableError' | 'fatalError'

/** One offset of `sendOffsetsToTransaction` (Java `Map<TopicPartition, OffsetAndMetadata>` entry). */
export interface TransactionOffset {
  topic: string
  partition: number
  /** The offset of the next record to consume (the last processed offset + 1). */
  offset: bigint | number
  /** Leader epoch of the last consumed record, when known. */
  leaderEpoch?: number
  metadata?: string | null
}

/** The consumer group of `sendOffsetsToTransaction` (Java `ConsumerGroupMetadata`); KIP-447 fencing needs the generation and member. */
export interface TransactionGroupMetadata {
  groupId: string
  /** The consumer's generation (classic protocol) or member epoch (KIP-848). Default -1 (no fencing by generation). */
  generationId?: number
  /** Default ''. */
  memberId?: string
  /** The static member id (`group.instance.id`), if any. */
  groupInstanceId?: string | null
}

const code = errorCodeOf

const E = {
  NOT_COORDINATOR: code('NOT_COORDINATOR'),
  COORDINATOR_NOT_AVAILABLE: code('COORDINATOR_NOT_AVAILABLE'),
  COORDINATOR_LOAD_IN_PROGRESS: code('COORDINATOR_LOAD_IN_PROGRESS'),
  CONCURRENT_TRANSACTIONS: code('CONCURRENT_TRANSACTIONS'),
  UNKNOWN_TOPIC_OR_PARTITION: code('UNKNOWN_TOPIC_OR_PARTITION'),
  REQUEST_TIMED_OUT: code('REQUEST_TIMED_OUT'),
  OPERATION_NOT_ATTEMPTED: code('OPERATION_NOT_ATTEMPTED'),
  PRODUCER_FENCED: code('PRODUCER_FENCED'),
  INVALID_PRODUCER_EPOCH: code('INVALID_PRODUCER_EPOCH'),
  TRANSACTION_COORDINATOR_FENCED: code('TRANSACTION_COORDINATOR_FENCED'),
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: code('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'),
  CLUSTER_AUTHORIZATION_FAILED: code('CLUSTER_AUTHORIZATION_FAILED'),
  INVALID_TXN_STATE: code('INVALID_TXN_STATE'),
  INVALID_PRODUCER_ID_MAPPING: code('INVALID_PRODUCER_ID_MAPPING'),
  UNSUPPORTED_VERSION: code('UNSUPPORTED_VERSION'),
  UNSUPPORTED_FOR_MESSAGE_FORMAT: code('UNSUPPORTED_FOR_MESSAGE_FORMAT'),
  UNKNOWN_PRODUCER_ID: code('UNKNOWN_PRODUCER_ID'),
  INVALID_TRANSACTION_TIMEOUT: code('INVALID_TRANSACTION_TIMEOUT'),
} as const

/** The coordinator moved or is starting: find it again (Java `lookupCoordinator` then re-enqueue). */
const FIND_AGAIN = new Set<number>([E.NOT_COORDINATOR, E.COORDINATOR_NOT_AVAILABLE])
/** Answers Java re-enqueues unchanged after a backoff. */
const RETRY_LATER = new Set<number>([E.COORDINATOR_LOAD_IN_PROGRESS, E.CONCURRENT_TRANSACTIONS, E.UNKNOWN_TOPIC_OR_PARTITION, E.REQUEST_TIMED_OUT])
/** The broker has a newer producer for this transactional id (Java maps all three to ProducerFencedException). */
const FENCED = new Set<number>([E.PRODUCER_FENCED, E.INVALID_PRODUCER_EPOCH, E.TRANSACTION_COORDINATOR_FENCED])
/**
 * Fatal answers besides fencing (Java `fatalError` in the TxnRequestHandlers). INVALID_PRODUCER_ID_MAPPING
 * is fatal since Kafka 4.0 (KAFKA-18019: recovering from it let a zombie come back; franz-go agrees).
 */
const FATAL = new Set<number>([E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED, E.INVALID_TXN_STATE, E.UNSUPPORTED_VERSION, E.UNSUPPORTED_FOR_MESSAGE_FORMAT, E.INVALID_TRANSACTION_TIMEOUT, E.INVALID_PRODUCER_ID_MAPPING])
/**
 * The transaction is lost, the producer is not (Java `abortableError`): TRANSACTION_ABORTABLE
 * (KIP-890), authorization of a topic or group, a consumer that lost its group membership (KIP-447:
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID), UNKNOWN_PRODUCER_ID.
 */
const ABORTABLE = new Set<number>([code('TRANSACTION_ABORTABLE'), code('TOPIC_AUTHORIZATION_FAILED'), code('GROUP_AUTHORIZATION_FAILED'), code('ILLEGAL_GENERATION'), code('UNKNOWN_MEMBER_ID'), code('FENCED_INSTANCE_ID'), code('UNKNOWN_PRODUCER_ID')])

/**
 * Java waits 20 ms (not retry.backoff.ms) before retrying CONCURRENT_TRANSACTIONS: the previous
 * transaction's markers are usually written within a few ms (TransactionManager
 * `ADD_PARTITIONS_RETRY_BACKOFF_MS`).
 */
const CONCURRENT_TRANSACTIONS_BACKOFF_MS = 20

/** What the transaction manager needs from the producer, wired by `Producer`. */
export interface TransactionDeps {
  transactionalId: string
  transactionTimeoutMs: number
  maxBlockMs: number
  retryBackoffMs: number
  retryBackoffMaxMs: number
  transport: TransactionTransport
  idempotence: IdempotenceManager
  logger: ProducerLogger
  /** Runs the sender loop soon (a partition was added, the producer id changed). */
  wakeSender: () => void
  /** Waits until every record sent so far is settled (`Producer.flush`). */
  flush: () => Promise<void>
  /** Fails the queued batches never sent with `err` (Java `abortUndrainedBatches`). */
  failUnsent: (err: Error) => void
}

type Done = { readonly ok: true } | { readonly ok: false; readonly error: Error }

interface Operation {
  readonly name: string
  readonly done: Promise<Done>
  /** A caller saw the outcome. */
  seen: boolean
}

/**
 * The transactional producer's state machine. `Producer` asks it whether a send is allowed, tells it
 * which partitions records went to, and reports failed batches; the sender asks it whether a
 * partition's batches may be sent. Under the old protocol (TV1) a partition is sent to only after
 * AddPartitionsToTxn confirmed it; under TV2 (KIP-890 part 2) Produce v12+ adds it implicitly.
 */
export class TransactionManager {
  private stateValue: TransactionState = 'uninitialized'
  /** The transaction number, counted from 1; partitions remember the last one they joined. */
  private serial = 0
  private coordinator = -1
  private tv2 = false
  /** Something was added to the transaction at the coordinator (or, under TV2, may have been). */
  private started = false
  private startedAtMs = 0
  private lastError: Error | null = null
  private fatal: Error | null = null
  private closed = false
  /** TV1: partitions waiting for AddPartitionsToTxn. */
  private pending: PartitionQueue[] = []
  /** The AddPartitionsToTxn loop, while it runs (`addRunning` is cleared in the same turn it ends). */
  private adding: Promise<void> | null = null
  private addRunning = false
  /**
   * TV1: what was asked of the coordinator without a definite answer (AddPartitionsToTxn or
   * AddOffsetsToTxn that timed out): it may be in the transaction, so an abort adds it again before
   * EndTxn (Java retries those requests until it has an answer).
   */
  private inDoubtPartitions: PartitionQueue[] = []
  private inDoubtGroups = new Set<string>()
  /** sendOffsetsToTransaction() timed out: commit is refused until it is called again and succeeds (Java throwIfPendingState). */
  private offsetsInDoubt = false
  /** EndTxn of this transaction was confirmed (a resumed abort goes straight to the epoch bump). */
  private endTxnDone = false
  /** The running initTransactions/commit/abort/sendOffsets operation; a repeated call joins it. */
  private operation: Operation | null = null
  /**
   * The last operation whose caller gave up waiting (TimeoutError) before it finished: a repeated
   * call of the same method gets its outcome, even when it succeeded meanwhile (Java keeps the
   * pending result until a caller sees it, `handleCachedTransactionRequestResult`).
   */
  private unseen: Operation | null = null
  /** What a Produce inside the transaction carries. */
  produceFields: { transactionalId: string; maxVersion?: number }
  private readonly d: TransactionDeps

  constructor(deps: TransactionDeps) {
    this.d = deps
    this.produceFields = { transactionalId: deps.transactionalId }
  }

  /** The current state (see {@link TransactionState}). */
  get state(): TransactionState {
    const f = this.d.idempotence.fatalError
    if (f !== null && this.fatal === null) this.fatal = f
    return this.fatal !== null ? 'fatalError' : this.stateValue
  }

  /** Whether the transaction protocol in use is KIP-890 part 2 (known after `initTransactions()`). */
  get transactionV2(): boolean {
    return this.tv2
  }

  // ---- the public operations -------------------------------------------------------------------

  /**
   * Java `initTransactions()`: finds the coordinator and gets the producer id for the transactional
   * id (-1/-1: the coordinator aborts or completes what a previous instance left open and fences it).
   */
  initTransactions(): Promise<void> {
    const cached = this.takeUnseen('initTransactions()')
    if (cached !== null) return cached
    const s = this.state
    if (s === 'fatalError') return Promise.reject(this.fatal)
    // After a timeout or a failed attempt the state is still `initializing`: calling again retries (as in Java).
    if (s === 'initializing') return this.join('initTransactions()') ?? this.start('initTransactions()', () => this.init())
    if (s !== 'uninitialized') return Promise.reject(this.stateError(s, 'initTransactions() was already called'))
    this.stateValue = 'initializing'
    return this.start('initTransactions()', () => this.init())
  }

  /** Java `beginTransaction()`: local only; the coordinator learns of it from the first partition or offsets. */
  beginTransaction(): void {
    const s = this.state
    if (s === 'fatalError') throw this.fatal as Error
    if (s !== 'ready') throw this.stateError(s, s === 'uninitialized' ? 'call initTransactions() before beginTransaction()' : 'a transaction is already open or completing; commit or abort it first')
    this.serial++
    this.started = false
    this.endTxnDone = false
    this.lastError = null
    this.startedAtMs = Date.now()
    this.stateValue = 'inTransaction'
  }

  /** Java `commitTransaction()`: sends what is buffered, then EndTxn(commit). After a timeout, call it again. */
  commitTransaction(): Promise<void> {
    const cached = this.takeUnseen('commitTransaction()')
    if (cached !== null) return cached
    const s = this.state
    if (s === 'committing') return this.join('commitTransaction()') ?? this.start('commitTransaction()', () => this.complete(true))
    if (s === 'abortableError') return Promise.reject(new TransactionAbortableError('cannot commit', this.lastError))
    if (s === 'fatalError') return Promise.reject(this.fatal)
    if (s !== 'inTransaction') return Promise.reject(this.stateError(s, s === 'aborting' ? 'an abort is in progress; call abortTransaction() again to finish it' : 'no transaction is open'))
    const busy = this.busy('commitTransaction()')
    if (busy !== null) return Promise.reject(busy)
    if (this.offsetsInDoubt) return Promise.reject(this.stateError(s, 'the last sendOffsetsToTransaction() did not complete: call it again, or abort the transaction'))
    this.stateValue = 'committing'
    return this.start('commitTransaction()', () => this.complete(true))
  }

  /** Java `abortTransaction()`: fails records not yet sent, waits for those in flight, then EndTxn(abort). */
  abortTransaction(): Promise<void> {
    const cached = this.takeUnseen('abortTransaction()')
    if (cached !== null) return cached
    const s = this.state
    if (s === 'aborting') return this.join('abortTransaction()') ?? this.start('abortTransaction()', () => this.complete(false))
    if (s === 'fatalError') return Promise.reject(this.fatal)
    if (s === 'committing') return Promise.reject(this.stateError(s, 'a commit is in progress (or timed out): call commitTransaction() again to finish it'))
    if (s !== 'inTransaction' && s !== 'abortableError') return Promise.reject(this.stateError(s, 'no transaction is open'))
    const busy = this.busy('abortTransaction()')
    if (busy !== null) return Promise.reject(busy)
    this.stateValue = 'aborting'
    this.d.failUnsent(new TransactionAbortedError())
    return this.start('abortTransaction()', () => this.complete(false))
  }

  /**
   * Java `sendOffsetsToTransaction()`: the group's offsets are committed with the transaction (and
   * discarded by an abort). TV1: AddOffsetsToTxn at the transaction coordinator first; TV2:
   * TxnOffsetCommit v5 alone (KIP-890).
   */
  sendOffsetsToTransaction(offsets: readonly TransactionOffset[], group: TransactionGroupMetadata): Promise<void> {
    const s = this.state
    if (s === 'abortableError') return Promise.reject(new TransactionAbortableError('cannot send offsets', this.lastError))
    if (s === 'fatalError') return Promise.reject(this.fatal)
    if (s !== 'inTransaction') return Promise.reject(this.stateError(s, 'sendOffsetsToTransaction() needs an open transaction'))
    const busy = this.busy('sendOffsetsToTransaction()')
    if (busy !== null || this.operation !== null) return Promise.reject(busy ?? this.stateError(s, 'sendOffsetsToTransaction() is still running'))
    const byTopic = new Map<string, TxnOffset[]>()
    for (const o of offsets) {
      let list = byTopic.get(o.topic)
      if (list === undefined) byTopic.set(o.topic, (list = []))
      list.push({ partition: o.partition, offset: BigInt(o.offset), leaderEpoch: o.leaderEpoch ?? -1, metadata: o.metadata ?? null })
    }
    const topics: Array<TopicPartitions<TxnOffset>> = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
    const g: TxnGroup = { groupId: group.groupId, generationId: group.generationId ?? -1, memberId: group.memberId ?? '', groupInstanceId: group.groupInstanceId ?? null }
    if (topics.length === 0) return Promise.resolve()
    this.offsetsInDoubt = true
    return this.start('sendOffsetsToTransaction()', async () => {
      const deadline = Date.now() + this.d.maxBlockMs
      try {
        if (!this.tv2) await this.addOffsets(g.groupId, deadline)
        this.started = true
        const results = await this.groupRequest(g.groupId, deadline, (node) => this.d.transport.txnOffsetCommit(node, this.producer(), g, topics, this.tv2))
        for (const r of results) this.check(`TxnOffsetCommit ${r.topic}-${r.partition}`, r.errorCode)
        this.offsetsInDoubt = false
      } catch (err) {
        // An abortable answer (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID: a zombie consumer, KIP-447)
        // means the transaction must not commit without its offsets. A timeout leaves them in doubt.
        if (err instanceof TransactionAbortableError) {
          this.offsetsInDoubt = false
          this.toAbortable(err)
        }
        throw err
      }
    })
  }

  // ---- what Producer and Sender ask --------------------------------------------------------------

  /** Why `send()` may not start now, or null when a transaction is open (Java `failIfNotReadyForSend`). */
  sendError(): Error | null {
    const s = this.state
    if (s === 'inTransaction') return null
    return this.refusal(s, 'send() needs an open transaction: call beginTransaction() first')
  }

  /**
   * Why a record sent while its transaction was open may not be appended now (its serializer or a
   * metadata wait took a while), or null. A commit in progress still takes it: it waits for it.
   */
  appendError(): Error | null {
    const s = this.state
    if (s === 'inTransaction' || s === 'committing') return null
    if (s === 'aborting') return new TransactionAbortedError()
    return this.refusal(s, 'the transaction this record was sent in has ended')
  }

  /** A record was appended to `q`: make the partition part of the transaction (Java `maybeAddPartition`). */
  addPartition(q: PartitionQueue): void {
    if (q.txnSeen === this.serial) return
    q.txnSeen = this.serial
    if (this.tv2) {
      q.txnAdded = this.serial
      this.started = true
      return
    }
    this.pending.push(q)
    // One request for the partitions of this turn of the event loop (Java sends what accumulated
    // since the sender's last pass).
    if (!this.addRunning) {
      this.addRunning = true
      this.adding = new Promise<void>((r) => setImmediate(r)).then(() => this.addPending())
    }
  }

  /**
   * May the sender put the head batch of `q` in a request? A retry always may (its outcome must be
   * learned); a new batch only while the transaction is open and, under TV1, its partition was
   * added (Java `isSendToPartitionAllowed`).
   */
  isSendAllowed(q: PartitionQueue, head: ProducerBatch): boolean {
    if (head.baseSequence >= 0) return true
    const s = this.stateValue
    return (s === 'inTransaction' || s === 'committing') && this.fatal === null && q.txnAdded === this.serial
  }

  /**
   * A batch of the transaction failed for good: the transaction can no longer commit (Java
   * `handleFailedBatch` → abortable error). Fencing and authorization arrive as fatal errors of the
   * idempotence state and are seen by {@link state}.
   */
  onBatchFailed(err: Error): void {
    if (err instanceof TransactionAbortedError || err instanceof TransactionAbortableError) return
    const fatalCode = err instanceof KafkaProtocolError && (err.code === E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED || err.code === E.INVALID_PRODUCER_ID_MAPPING)
    if (err instanceof ProducerFencedError || err instanceof ClusterAuthorizationFailedError || fatalCode) {
      this.toFatal(err)
      return
    }
    this.toAbortable(err)
  }

  /** Stops retry loops (producer closing). */
  close(): void {
    this.closed = true
  }

  // ---- internals ---------------------------------------------------------------------------------

  private producer(): TxnProducer {
    const im = this.d.idempotence
    return { transactionalId: this.d.transactionalId, producerId: im.producerId, producerEpoch: im.producerEpoch }
  }

  private refusal(s: TransactionState, message: string): Error {
    if (s === 'fatalError') return this.fatal as Error
    if (s === 'abortableError') return new TransactionAbortableError('the transaction can only be aborted', this.lastError)
    return this.stateError(s, message)
  }

  private stateError(s: TransactionState, message: string): TransactionStateError {
    return new TransactionStateError(s, `transactional id ${JSON.stringify(this.d.transactionalId)}: ${message}`)
  }

  /** Runs `body` as the current operation; the caller's promise is bounded by maxBlockMs, the operation goes on. */
  private start(name: string, body: () => Promise<void>): Promise<void> {
    const done = body().then(
      (): Done => ({ ok: true }),
      (error: unknown): Done => ({ ok: false, error: error instanceof Error ? error : new KafkaWireError(String(error)) }),
    )
    const op: Operation = { name, done, seen: false }
    this.operation = op
    this.unseen = null
    void done.then(() => {
      if (this.operation === op) this.operation = null
    })
    return this.wait(op)
  }

  /** The outcome of the last `name` operation whose caller timed out, once; null when there is none. */
  private takeUnseen(name: string): Promise<void> | null {
    const op = this.unseen
    if (op === null || op.name !== name || this.operation === op) return null
    this.unseen = null
    return this.wait(op)
  }

  /** The caller's promise of the running operation named `name`, or null when it is not running. */
  private join(name: string): Promise<void> | null {
    const op = this.operation
    return op === null || op.name !== name ? null : this.wait(op)
  }

  private wait(op: Operation): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        if (!op.seen) this.unseen = op
        reject(new TimeoutError('maxBlockMs', this.d.maxBlockMs, `${op.name} did not complete in time; it goes on: call it again to wait for its outcome`))
      }, this.d.maxBlockMs)
      void op.done.then((r) => {
        clearTimeout(timer)
        if (timedOut) return
        op.seen = true
        if (this.unseen === op) this.unseen = null
        if (r.ok) resolve()
        else reject(r.error)
      })
    })
  }

  private async init(): Promise<void> {
    const deadline = Date.now() + this.d.maxBlockMs
    await this.initProducerId(-1n, -1, deadline)
    await this.refreshProtocol()
    this.stateValue = 'ready'
  }

  /** A commit or abort must not overlap another operation (Java `throwIfPendingState`). */
  private busy(name: string): Error | null {
    const op = this.operation
    return op !== null && op.name !== name ? this.stateError(this.state, `${op.name} is still running; wait for it before ${name}`) : null
  }

  /** Commit or abort: settle the records, EndTxn if the coordinator knows the transaction, bump if needed. */
  private async complete(commit: boolean): Promise<void> {
    const what = commit ? 'commitTransaction()' : 'abortTransaction()'
    try {
      await this.d.flush()
      if (this.addRunning && this.adding !== null) await this.adding
      if (commit && this.stateValue !== 'committing') throw new TransactionAbortableError('cannot commit', this.lastError)
      if (this.fatal !== null) throw this.fatal
      const deadline = Date.now() + this.d.maxBlockMs
      // TV1: a partition or group whose add had no answer may be in the transaction: add it again
      // (harmless while it is open) so that EndTxn(abort) finds the transaction it must end.
      if (!commit && !this.endTxnDone && (this.inDoubtPartitions.length > 0 || this.inDoubtGroups.size > 0)) {
        const partitions = this.inDoubtPartitions
        this.inDoubtPartitions = []
        // Refused now (e.g. an authorization error) means it never was in the transaction: go on.
        const notAdded = (err: unknown): void => {
          if (!(err instanceof TransactionAbortableError)) throw err
        }
        if (partitions.length > 0) await this.addPartitionsNow(partitions, deadline).catch(notAdded)
        for (const g of [...this.inDoubtGroups]) await this.addOffsets(g, deadline).catch(notAdded)
        this.inDoubtGroups.clear()
      }
      if (this.started && !this.endTxnDone) {
        const res = await this.coordinatorRequest('EndTxn', deadline, (node) => this.d.transport.endTxn(node, this.producer(), commit, this.tv2), (r) => r.errorCode)
        this.check(`EndTxn(${commit ? 'commit' : 'abort'})`, res.errorCode)
        this.endTxnDone = true
        // TV2: EndTxn v5 bumps the epoch; the next transaction uses what it returns (KIP-890).
        if (this.tv2 && res.producerId >= 0n) this.d.idempotence.epochChanged(res.producerId, res.producerEpoch)
      }
      // An expired or failed batch left a sequence gap: an abort is followed by a KIP-360 bump at the
      // coordinator (Java epochBumpRequired → InitProducerId with the current id and epoch).
      if (!commit && this.d.idempotence.epochBumpRequired) {
        const im = this.d.idempotence
        await this.initProducerId(im.producerId, im.producerEpoch, deadline)
      }
      const wasTv2 = this.tv2
      await this.refreshProtocol()
      // The cluster turned TV2 on: start its epoch chain with a bump at the coordinator (Java
      // clientSideEpochBumpRequired in maybeUpdateTransactionV2Enabled; franz-go reloads the id).
      if (!wasTv2 && this.tv2) {
        const im = this.d.idempotence
        await this.initProducerId(im.producerId, im.producerEpoch, deadline)
      }
      this.started = false
      this.endTxnDone = false
      this.lastError = null
      this.offsetsInDoubt = false
      this.inDoubtPartitions = []
      this.inDoubtGroups.clear()
      this.stateValue = 'ready'
      this.d.logger.debug(`${what} done`, { transactionalId: this.d.transactionalId })
    } catch (err) {
      const e = err instanceof Error ? err : new KafkaWireError(String(err))
      // A timeout leaves the state as it is (committing/aborting): calling again resumes. So does a
      // failed abort: the transaction is still open at the coordinator.
      if (e instanceof TimeoutError || e instanceof ProducerClosedError || !commit) throw this.fatal ?? e
      if (this.fatal !== null) throw this.fatal
      this.toAbortable(e)
      throw e instanceof TransactionAbortableError ? e : new TransactionAbortableError('the commit failed', e)
    }
  }

  private async initProducerId(producerId: bigint, producerEpoch: number, deadline: number): Promise<void> {
    const res = await this.coordinatorRequest('InitProducerId', deadline, (node) => this.d.transport.initProducerId(node, { transactionalId: this.d.transactionalId, producerId, producerEpoch }, this.d.transactionTimeoutMs), (r) => r.errorCode)
    this.check('InitProducerId', res.errorCode)
    this.d.idempotence.epochChanged(res.producerId, res.producerEpoch)
    this.d.logger.debug('transactional producer id', { transactionalId: this.d.transactionalId, producerId: res.producerId.toString(), epoch: res.producerEpoch })
    this.d.wakeSender()
  }

  /** TV2 when the coordinator's finalized `transaction.version` ≥ 2 (Java `maybeUpdateTransactionV2Enabled`), read between transactions. */
  private async refreshProtocol(): Promise<void> {
    if (this.coordinator < 0) return
    try {
      this.tv2 = (await this.d.transport.transactionVersion(this.coordinator)) >= 2
    } catch (err) {
      // Keep the previous answer; the next transaction boundary reads it again.
      this.d.logger.debug('could not read transaction.version; keeping the previous protocol', { error: err })
    }
    // "If V2 is disabled, the client can't use produce request version higher than 11 within a transaction" (ProduceRequest.json).
    this.produceFields = this.tv2 ? { transactionalId: this.d.transactionalId } : { transactionalId: this.d.transactionalId, maxVersion: 11 }
  }

  /** TV1: AddPartitionsToTxn for the partitions records went to, one request at a time. */
  private async addPending(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const s = this.stateValue
        if ((s !== 'inTransaction' && s !== 'committing') || this.fatal !== null) {
          this.pending = []
          return
        }
        const batch = this.pending
        this.pending = []
        const serial = this.serial
        try {
          await this.addPartitionsNow(batch, Date.now() + this.d.maxBlockMs)
        } catch (err) {
          if (serial !== this.serial) return
          const e = err instanceof Error ? err : new KafkaWireError(String(err))
          if (this.fatal === null) this.toAbortable(e)
          return
        }
        if (serial !== this.serial) return
        this.d.wakeSender()
      }
    } finally {
      // Cleared in the same turn as the last look at `pending`: an addPartition() after it starts a new loop.
      this.addRunning = false
    }
  }

  /** One AddPartitionsToTxn for `queues` (retried within `deadline`); on success they are in this transaction. */
  private async addPartitionsNow(queues: readonly PartitionQueue[], deadline: number): Promise<void> {
    const byTopic = new Map<string, number[]>()
    for (const q of queues) {
      let list = byTopic.get(q.topic)
      if (list === undefined) byTopic.set(q.topic, (list = []))
      list.push(q.partition)
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
    const serial = this.serial
    let results
    try {
      results = await this.coordinatorRequest('AddPartitionsToTxn', deadline, (node) => this.d.transport.addPartitionsToTxn(node, this.producer(), topics), (rs) => worstCode(rs.map((r) => r.errorCode)))
    } catch (err) {
      // No definite answer: the partitions may be in the transaction.
      if (err instanceof TimeoutError && serial === this.serial) this.inDoubtPartitions.push(...queues)
      throw err
    }
    const worst = worstCode(results.map((r) => r.errorCode))
    // Java AddPartitionsToTxnHandler: an unexpected answer is abortable here (fatal elsewhere).
    this.check('AddPartitionsToTxn', worst, results.find((r) => r.errorCode === worst), true)
    if (serial !== this.serial) return
    this.started = true
    for (const q of queues) q.txnAdded = serial
  }

  /** TV1: AddOffsetsToTxn for `groupId` (retried within `deadline`); an unanswered one stays in doubt for an abort. */
  private async addOffsets(groupId: string, deadline: number): Promise<void> {
    let errorCode: number
    try {
      errorCode = await this.coordinatorRequest('AddOffsetsToTxn', deadline, (node) => this.d.transport.addOffsetsToTxn(node, this.producer(), groupId), (c) => c)
    } catch (err) {
      if (err instanceof TimeoutError) this.inDoubtGroups.add(groupId)
      throw err
    }
    this.check('AddOffsetsToTxn', errorCode)
    this.inDoubtGroups.delete(groupId)
    this.started = true
  }

  /**
   * One request to the transaction coordinator, found first if unknown. Retries what Java retries
   * (coordinator moved or loading, CONCURRENT_TRANSACTIONS, lost connections) until `deadline`,
   * then rejects with TimeoutError; returns the response for any other answer.
   */
  private async coordinatorRequest<T>(api: string, deadline: number, send: (nodeId: number) => Promise<T>, errorOf: (res: T) => number): Promise<T> {
    return this.retrying(api, deadline, async () => {
      if (this.coordinator < 0) this.coordinator = await this.findCoordinator('transaction', this.d.transactionalId)
      const res = await send(this.coordinator)
      const c = errorOf(res)
      if (FIND_AGAIN.has(c)) this.coordinator = -1
      return { res, code: c }
    }, () => (this.coordinator = -1))
  }

  /** TxnOffsetCommit at the group's coordinator, found for each attempt's first try and after it moved. */
  private async groupRequest<T extends { errorCode: number }>(groupId: string, deadline: number, send: (nodeId: number) => Promise<T[]>): Promise<T[]> {
    let node = -1
    return this.retrying('TxnOffsetCommit', deadline, async () => {
      if (node < 0) node = await this.findCoordinator('group', groupId)
      const res = await send(node)
      const c = worstCode(res.map((r) => r.errorCode))
      // Java TxnOffsetCommitHandler also looks the group coordinator up again after REQUEST_TIMED_OUT.
      if (FIND_AGAIN.has(c) || c === E.REQUEST_TIMED_OUT) node = -1
      return { res, code: c }
    }, () => (node = -1))
  }

  private async retrying<T>(api: string, deadline: number, attempt: () => Promise<{ res: T; code: number }>, onConnectionLost: () => void): Promise<T> {
    for (let n = 1; ; n++) {
      if (this.closed) throw new ProducerClosedError(`the producer closed during ${api}`)
      let waitMs: number
      try {
        const { res, code: c } = await attempt()
        // Java re-sends any RetriableException answer in every transactional handler.
        if (c === 0 || (!FIND_AGAIN.has(c) && !RETRY_LATER.has(c) && !errorInfo(c).retriable)) return res
        waitMs = c === E.CONCURRENT_TRANSACTIONS ? CONCURRENT_TRANSACTIONS_BACKOFF_MS : backoffMs(n, this.d.retryBackoffMs, this.d.retryBackoffMaxMs)
        this.d.logger.debug(`${api}: retrying`, { error: errorInfo(c).name, attempt: n })
      } catch (err) {
        if (!coordinatorNotReady(err) && !(err instanceof NetworkError && err.retriable)) throw err
        onConnectionLost()
        waitMs = backoffMs(n, this.d.retryBackoffMs, this.d.retryBackoffMaxMs)
        this.d.logger.debug(`${api}: retrying (${err instanceof NetworkError ? 'connection failure' : 'coordinator not found yet'})`, { error: err, attempt: n })
      }
      if (Date.now() + waitMs > deadline) throw new TimeoutError('maxBlockMs', this.d.maxBlockMs, `${api} for transactional id ${JSON.stringify(this.d.transactionalId)} got no usable answer in time; its outcome is unknown`)
      await new Promise((r) => setTimeout(r, waitMs))
    }
  }

  private async findCoordinator(kind: 'transaction' | 'group', key: string): Promise<number> {
    const r = await this.d.transport.findCoordinator(kind, key)
    if (r.errorCode !== 0) {
      // Retried by `retrying` like the coordinator's own answers; anything else is refused for good.
      // Retried by `retrying` like a lost connection (see coordinatorNotReady).
      if (FIND_AGAIN.has(r.errorCode) || RETRY_LATER.has(r.errorCode)) throw new KafkaProtocolError(r.errorCode, `FindCoordinator(${kind}) for ${JSON.stringify(key)}`, r.errorMessage)
      this.check(`FindCoordinator(${kind})`, r.errorCode)
    }
    this.d.transport.addBroker(r.nodeId, r.host, r.port)
    return r.nodeId
  }

  /** Throws the error an answer code means for a transactional request (0 passes): fatal errors also end the producer. */
  private check(what: string, c: number, detail?: { topic: string; partition: number }, unexpectedIsAbortable = false): void {
    if (c === 0 || c === E.OPERATION_NOT_ATTEMPTED) return
    const where = detail !== undefined ? `${what} ${detail.topic}-${detail.partition}` : what
    if (FENCED.has(c)) {
      const late = this.stateValue !== 'initializing' && this.startedAtMs > 0 && Date.now() - this.startedAtMs > this.d.transactionTimeoutMs
      const hint = late ? `; the transaction was open ${Date.now() - this.startedAtMs} ms, longer than transactionTimeoutMs (${this.d.transactionTimeoutMs}): the coordinator most likely aborted it` : ''
      throw this.toFatal(new ProducerFencedError(`${where}: ${errorInfo(c).name} (${c}): another producer with transactional id ${JSON.stringify(this.d.transactionalId)} took over, or the coordinator ended this producer's epoch${hint}`))
    }
    if (FATAL.has(c)) {
      const late = c === E.INVALID_TXN_STATE && this.startedAtMs > 0 && Date.now() - this.startedAtMs > this.d.transactionTimeoutMs
      throw this.toFatal(brokerError(c, `${where} (transactional id ${JSON.stringify(this.d.transactionalId)})`, late ? `the transaction was open longer than transactionTimeoutMs (${this.d.transactionTimeoutMs} ms): the coordinator most likely aborted it` : null))
    }
    const e = brokerError(c, where)
    if (ABORTABLE.has(c) || unexpectedIsAbortable) {
      // UNKNOWN_PRODUCER_ID: the partition lost our producer state; under TV1 the abort bumps the
      // epoch (Java abortableErrorIfPossible).
      if (c === E.UNKNOWN_PRODUCER_ID && !this.tv2) this.d.idempotence.requireEpochBump()
      throw new TransactionAbortableError(`${where} failed`, e)
    }
    // Anything else is unexpected for a transactional request: fatal, as in Java's handlers.
    throw this.toFatal(e)
  }

  private toAbortable(err: Error): void {
    const s = this.stateValue
    if (this.fatal !== null || (s !== 'inTransaction' && s !== 'committing')) return
    this.lastError = err instanceof TransactionAbortableError && err.cause instanceof Error ? err.cause : err
    this.stateValue = 'abortableError'
    this.d.logger.warn('the transaction must be aborted', { transactionalId: this.d.transactionalId, error: err })
    this.d.failUnsent(new TransactionAbortableError('the transaction can only be aborted', this.lastError))
  }

  private toFatal(err: Error): Error {
    if (this.fatal === null) {
      this.fatal = err
      this.d.idempotence.fail(err)
      this.d.logger.error('the transactional producer cannot go on; close it', { transactionalId: this.d.transactionalId, error: err })
      this.d.wakeSender()
    }
    return this.fatal
  }
}

/** FindCoordinator answered that the coordinator is not there yet (thrown by findCoordinator). */
function coordinatorNotReady(err: unknown): boolean {
  return err instanceof KafkaProtocolError && (FIND_AGAIN.has(err.code) || RETRY_LATER.has(err.code))
}

/** The code a multi-partition answer stands for: a retriable one first, then the first error. */
function worstCode(codes: readonly number[]): number {
  let first = 0
  for (const c of codes) {
    if (FIND_AGAIN.has(c) || RETRY_LATER.has(c) || (c !== 0 && errorInfo(c).retriable)) return c
    if (first === 0 && c !== 0 && c !== E.OPERATION_NOT_ATTEMPTED) first = c
  }
  return first
}

