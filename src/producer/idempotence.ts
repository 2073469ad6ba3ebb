/** The idempotent producer's sequence state machine: producer id and epoch, per-partition sequences, error decisions. */
import { errorCodeOf, KafkaProtocolError, errorInfo } from '../protocol/errors.js'
import { DeliveryOutcomeUnknownError, ProducerFencedError } from './errors.js'
import { ClusterAuthorizationFailedError } from '../protocol/authorization-errors.js'
import type { ProducerBatch } from './producer-batch.js'
import type { InitProducerIdResult } from './transport.js'

/** Sequence numbers wrap from INT32_MAX to 0 (the broker accepts next = 0 after INT32_MAX). */
export function incrementSequence(sequence: number, increment: number): number {
  return (sequence + increment) % 2147483648
}

/** Whether `seq` comes at or before `than` in the wrapping sequence space (within half of it). */
function sequenceAtOrBefore(seq: number, than: number): boolean {
  return (than - seq + 2147483648) % 2147483648 < 1073741824
}

const INT16_MAX = 32767

const code = errorCodeOf
/** Broker-side `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`. */
export const MAX_IN_FLIGHT_BATCHES_PER_PARTITION = 5

/** Error codes the state machine treats specially, by name from src/protocol/errors.ts. */
const ERR = {
  OUT_OF_ORDER_SEQUENCE_NUMBER: code('OUT_OF_ORDER_SEQUENCE_NUMBER'),
  DUPLICATE_SEQUENCE_NUMBER: code('DUPLICATE_SEQUENCE_NUMBER'),
  INVALID_PRODUCER_EPOCH: code('INVALID_PRODUCER_EPOCH'),
  UNKNOWN_PRODUCER_ID: code('UNKNOWN_PRODUCER_ID'),
  PRODUCER_FENCED: code('PRODUCER_FENCED'),
  CLUSTER_AUTHORIZATION_FAILED: code('CLUSTER_AUTHORIZATION_FAILED'),
  UNSUPPORTED_VERSION: code('UNSUPPORTED_VERSION'),
  CONCURRENT_TRANSACTIONS: code('CONCURRENT_TRANSACTIONS'),
} as const

/** Per-partition idempotence state (Java `TxnPartitionEntry`). */
export class PartitionSequenceState {
  /** Producer id/epoch the sequences below belong to. */
  producerId = -1n
  producerEpoch = -1
  nextSequence = 0
  lastAckedSequence = -1
  /** Batches that have a sequence and are not completed, ordered by base sequence (insertion order). */
  readonly inFlight: ProducerBatch[] = []
  /** Batches given a sequence so far (their `drainOrdinal`s are 1..assignedBatches). */
  assignedBatches = 0
  /** An expired batch may or may not have been written (Java `markSequenceUnresolved`). */
  unresolved = false
  /** The next sequence expected if the unresolved batch was written. */
  unresolvedNextSequence = -1
}

/** The outcome of an error response for one batch. */
export type BatchErrorAction = 'retry' | 'fail' | 'success' | 'fatal'

/**
 * What to do with a batch the broker answered with an error (see the decision table in
 * docs/producer.md). `error`, when present, is what the batch's records reject with.
 */
export type IdempotenceDecision =
  | { readonly action: 'success' }
  | { readonly action: 'fatal'; readonly error: Error }
  | { readonly action: 'retry'; readonly bump: boolean }
  | { readonly action: 'fail'; readonly bump: boolean; readonly error?: Error }

const SUCCESS: IdempotenceDecision = { action: 'success' }
const RETRY: IdempotenceDecision = { action: 'retry', bump: false }
const RETRY_BUMP: IdempotenceDecision = { action: 'retry', bump: true }
const FAIL: IdempotenceDecision = { action: 'fail', bump: false }
const FAIL_BUMP: IdempotenceDecision = { action: 'fail', bump: true }

/**
 * The idempotent producer's state machine (Java `TransactionManager` without transactions, KIP-98 and
 * KIP-360): producer id and epoch, per-partition sequences assigned when a batch is drained, in-flight
 * ordering, local epoch bumps and fencing.
 */
export class IdempotenceManager {
  producerId = -1n
  producerEpoch = -1
  private initializing: Promise<void> | null = null
  private aborted: Error | null = null
  /** The InitProducerId retry loop's backoff sleep, so `abort()` can end it. */
  private retryTimer: NodeJS.Timeout | undefined
  private retryWake: (() => void) | undefined
  private fatal: Error | null = null
  // Found by topic and partition once per partition (the sender then keeps the state on its
  // PartitionQueue); every later call passes the state object itself.
  private readonly partitions = new Map<string, PartitionSequenceState>()
  /** Partitions that asked for an epoch bump since the last bump (Java `partitionsToRewriteSequences`). */
  private readonly bumpRequests = new Set<PartitionSequenceState>()
  private bumpRequired = false

  /**
   * @param transactional a transactional producer bumps its epoch through its coordinator
   * (InitProducerId after an abort, or EndTxn v5), never locally: see {@link bumpEpochIfNeeded}
   */
  constructor(readonly transactional = false) {}

  /** The producer id is known and usable. */
  get hasProducerId(): boolean {
    return this.producerId >= 0n && this.fatal === null
  }

  /** The fatal error (fenced), once there is one. */
  get fatalError(): Error | null {
    return this.fatal
  }

  /** State of one partition, created on first use. */
  partition(topic: string, partition: number): PartitionSequenceState {
    const key = `${topic}\u0000${partition}`
    let s = this.partitions.get(key)
    if (s === undefined) {
      s = new PartitionSequenceState()
      this.partitions.set(key, s)
    }
    return s
  }

  /**
   * Gets a producer id once (InitProducerId with -1/-1, or with the current id/epoch after epoch
   * exhaustion), retrying retriable errors with backoff until `deadlineMs`. Concurrent callers share
   * the attempt.
   */
  ensureProducerId(init: (producerId: bigint, epoch: number) => Promise<InitProducerIdResult>, backoffMs: (attempt: number) => number, isRetriableFailure: (err: unknown) => boolean): Promise<void> {
    if (this.fatal !== null) return Promise.reject(this.fatal)
    if (this.producerId >= 0n) return Promise.resolve()
    if (this.initializing !== null) return this.initializing
    const run = async (): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        if (this.aborted !== null) throw this.aborted
        let res: InitProducerIdResult | undefined
        try {
          res = await init(-1n, -1)
        } catch (err) {
          if (!isRetriableFailure(err)) throw err
        }
        if (res !== undefined) {
          if (res.errorCode === 0) {
            this.setProducerIdAndEpoch(res.producerId, res.producerEpoch)
            return
          }
          const info = errorInfo(res.errorCode)
          if (res.errorCode === ERR.INVALID_PRODUCER_EPOCH || res.errorCode === ERR.PRODUCER_FENCED) {
            this.fatal = new ProducerFencedError(`InitProducerId failed: ${info.name} (${res.errorCode})`)
            throw this.fatal
          }
          if (res.errorCode === ERR.CLUSTER_AUTHORIZATION_FAILED) {
            this.fatal = new ClusterAuthorizationFailedError('InitProducerId', 'the producer is not authorized for idempotent writes (cluster permission IdempotentWrite)')
            throw this.fatal
          }
          // Java retries any retriable error, including COORDINATOR_LOAD_IN_PROGRESS and CONCURRENT_TRANSACTIONS.
          if (!info.retriable && res.errorCode !== ERR.CONCURRENT_TRANSACTIONS) throw new KafkaProtocolError(res.errorCode, 'InitProducerId')
        }
        // close() may have come while the request was in flight: start no timer after it.
        if (this.aborted !== null) throw this.aborted
        await new Promise<void>((r) => {
          this.retryWake = r
          this.retryTimer = setTimeout(r, backoffMs(attempt))
        })
        this.retryTimer = undefined
        this.retryWake = undefined
      }
    }
    this.initializing = run().finally(() => {
      this.initializing = null
    })
    return this.initializing
  }

  /** Installs a producer id and epoch (InitProducerId result or a test). */
  setProducerIdAndEpoch(producerId: bigint, epoch: number): void {
    this.producerId = producerId
    this.producerEpoch = epoch
  }

  /**
   * A transactional producer's coordinator gave it a new id or epoch (InitProducerId, or EndTxn v5
   * under TV2) with no batch in flight: pending bump requests and unresolved sequences are settled,
   * and every partition's sequences restart at 0 when it is next drained.
   */
  epochChanged(producerId: bigint, epoch: number): void {
    this.setProducerIdAndEpoch(producerId, epoch)
    this.bumpRequired = false
    this.bumpRequests.clear()
    for (const s of this.partitions.values()) {
      s.unresolved = false
      s.unresolvedNextSequence = -1
    }
  }

  /** Makes `err` the producer's fatal error (a transactional producer fenced or refused by its coordinator). */
  fail(err: Error): void {
    if (this.fatal === null) this.fatal = err
  }

  /**
   * Java `shouldStopDrainBatchesForPartition`, inverted: may the head batch of this partition be put
   * in a request now?
   */
  canDrain(s: PartitionSequenceState, head: ProducerBatch): boolean {
    if (!this.hasProducerId) return false
    if (head.baseSequence < 0) {
      // A new batch: never behind an unresolved sequence, and never with sequence 0 of a new epoch
      // while batches of the old epoch may still be written.
      if (s.unresolved) return false
      // The broker remembers the last 5 batches per producer (ProducerStateEntry.NUM_BATCHES_TO_RETAIN):
      // a batch whose answer may still be lost must stay among them, so at most 4 batches (acknowledged
      // or not) may follow the oldest unconfirmed one. Otherwise its retry would meet
      // OUT_OF_ORDER_SEQUENCE_NUMBER instead of its duplicate confirmation.
      const oldest = s.inFlight[0]
      if (oldest !== undefined && s.assignedBatches + 1 - oldest.drainOrdinal >= MAX_IN_FLIGHT_BATCHES_PER_PARTITION) return false
      if (s.inFlight.length > 0 && (s.producerId !== this.producerId || s.producerEpoch !== this.producerEpoch)) return false
      return true
    }
    // A retry goes only when it is the first in line; this keeps sequences in order on the broker.
    const first = s.inFlight[0]
    return first === undefined || first === head
  }

  /**
   * Stamps a newly drained batch with id, epoch and the partition's next sequence, advances the
   * sequence and registers the batch in flight (Java `RecordAccumulator.drainBatchesForOneNode`).
   * A batch that already has a sequence keeps it: changing it could create duplicates.
   */
  assignSequence(s: PartitionSequenceState, batch: ProducerBatch): void {
    if (batch.baseSequence >= 0) return
    if (s.producerId !== this.producerId || s.producerEpoch !== this.producerEpoch) {
      // Lazy move to the current id/epoch: sequences restart at 0 (Java maybeUpdateProducerIdAndEpoch).
      s.producerId = this.producerId
      s.producerEpoch = this.producerEpoch
      s.nextSequence = 0
      s.lastAckedSequence = -1
    }
    batch.producerId = this.producerId
    batch.producerEpoch = this.producerEpoch
    batch.baseSequence = s.nextSequence
    batch.drainOrdinal = ++s.assignedBatches
    s.nextSequence = incrementSequence(s.nextSequence, batch.recordCount)
    s.inFlight.push(batch)
  }

  /** A batch was acknowledged. */
  onSuccess(s: PartitionSequenceState, batch: ProducerBatch): void {
    this.removeInFlight(s, batch)
    if (batch.producerId === s.producerId && batch.producerEpoch === s.producerEpoch) {
      const last = batch.lastSequence
      if (s.lastAckedSequence < 0 || last > s.lastAckedSequence || s.lastAckedSequence - last > 1073741824) s.lastAckedSequence = last
    }
    this.maybeResolve(s)
  }

  /**
   * Step 1 of an error answer for a batch with a sequence: decides what to do, changing nothing
   * (Java `TransactionManager.canRetry` and `handleFailedBatch`, non-transactional). Rows R1-R7 are
   * the decision table of docs/producer.md. `canRetryOtherwise` says whether `retries` and the
   * delivery timeout still allow a retry.
   */
  classify(s: PartitionSequenceState, batch: ProducerBatch, errorCode: number, canRetryOtherwise: boolean): IdempotenceDecision {
    // R1: the broker has these exact sequences in its duplicate cache: a confirmation.
    if (errorCode === ERR.DUPLICATE_SEQUENCE_NUMBER) return SUCCESS
    // R2: Java's fatal set (maybeTransitionToErrorState): fencing, cluster authorization, unsupported version.
    if (errorCode === ERR.PRODUCER_FENCED) return { action: 'fatal', error: new ProducerFencedError(`the producer was fenced: PRODUCER_FENCED (${errorCode}) on ${batch.topic}-${batch.partition}`) }
    if (errorCode === ERR.CLUSTER_AUTHORIZATION_FAILED) return { action: 'fatal', error: new ClusterAuthorizationFailedError(`produce to ${batch.topic}-${batch.partition}`, 'the producer is not authorized for idempotent writes (cluster permission IdempotentWrite)') }
    if (errorCode === ERR.UNSUPPORTED_VERSION) return { action: 'fatal', error: new KafkaProtocolError(errorCode, `produce to ${batch.topic}-${batch.partition} (fatal for the idempotent producer)`) }
    const sameEpoch = batch.producerId === s.producerId && batch.producerEpoch === s.producerEpoch
    // R3: the broker already acknowledged a later sequence of this epoch and still refuses this
    // batch. It accepted the later records without it (a producer it had no state for may start at
    // any sequence: ProducerAppendInfo.checkSequence), or it wrote it and forgot it (state rebuilt
    // from a snapshot keeps one batch). Retrying can only be refused again, or be written out of
    // order: fail it, saying its outcome is unknown. No bump: later sequences are consistent.
    if (errorCode === ERR.OUT_OF_ORDER_SEQUENCE_NUMBER && sameEpoch && !batch.sequenceReset && s.lastAckedSequence >= 0 && sequenceAtOrBefore(batch.lastSequence, s.lastAckedSequence)) {
      return {
        action: 'fail',
        bump: false,
        error: new DeliveryOutcomeUnknownError(
          errorCode,
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `${batch.topic}-${batch.partition}: the broker refused sequences ${batch.baseSequence}..${batch.lastSequence} of producer ${batch.producerId} epoch ${batch.producerEpoch} after acknowledging sequence ${s.lastAckedSequence}; these ${batch.recordCount} record(s) were not confirmed and were most likely not written (not retried: a retry cannot succeed)`,
        ),
      }
    }
    if (canRetryOtherwise && (errorCode === ERR.UNKNOWN_PRODUCER_ID || errorCode === ERR.OUT_OF_ORDER_SEQUENCE_NUMBER)) {
      // R4: already rewritten by a bump, or sent under an older epoch: just retry with the new state.
      if (batch.sequenceReset || batch.producerEpoch !== this.producerEpoch || batch.producerId !== this.producerId) return RETRY
      if (errorCode === ERR.OUT_OF_ORDER_SEQUENCE_NUMBER) {
        const first = s.inFlight[0]
        const isNext = batch.baseSequence === incrementSequence(s.lastAckedSequence, 1) || (s.lastAckedSequence < 0 && batch.baseSequence === 0)
        // R5: Java TransactionManager.canRetry: an OOSN for a batch that is not the next expected
        // sequence is collateral damage of an earlier failure (or a stale answer); retry it in
        // sequence order without touching the epoch. A bump here could write the same records twice.
        if ((first !== undefined && first !== batch) || (!s.unresolved && !isNext)) return RETRY
        // With a batch of unknown fate before it, only the batch right after that one proves a gap;
        // any other waits until the unknown batch resolves (Java isNextSequenceForUnresolvedPartition).
        if (s.unresolved && batch.baseSequence !== s.unresolvedNextSequence) return RETRY
      }
      // R6: the next expected batch is refused (or the broker lost our producer state): bump the
      // epoch locally and restart this partition's sequences (KIP-360). A transactional producer
      // cannot bump locally: the batch fails, the transaction becomes abortable, the abort bumps.
      return this.transactional ? FAIL_BUMP : RETRY_BUMP
    }
    // R7: any other retriable error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, CORRUPT_MESSAGE,
    // timeouts, lost connections) while retries and time are left.
    if (canRetryOtherwise && errorInfo(errorCode).retriable) return RETRY
    // R8: final failure of a batch that had a sequence (INVALID_PRODUCER_EPOCH, KIP-588, included: not
    // fatal): the sequence chain has a hole, so bump (Java handleFailedBatch). Also when the batch
    // carries an older epoch (another partition bumped meanwhile): its partition's remaining
    // in-flight batches would otherwise be retried under the old epoch forever.
    return batch.baseSequence >= 0 ? FAIL_BUMP : FAIL
  }

  /** Step 2: applies a decision of {@link classify} to the state (in-flight list, epoch bump, fatal). */
  apply(s: PartitionSequenceState, batch: ProducerBatch, decision: IdempotenceDecision): void {
    switch (decision.action) {
      case 'success':
        this.onSuccess(s, batch)
        return
      case 'fatal':
        this.fatal = decision.error
        this.removeInFlight(s, batch)
        return
      case 'retry':
        if (decision.bump) this.requestEpochBump(s)
        return
      case 'fail':
        this.removeInFlight(s, batch)
        if (decision.bump) this.requestEpochBump(s)
        this.maybeResolve(s)
        return
    }
  }

  /** {@link classify} then {@link apply}; returns the action. */
  onError(s: PartitionSequenceState, batch: ProducerBatch, errorCode: number, canRetryOtherwise: boolean): BatchErrorAction {
    const d = this.classify(s, batch, errorCode, canRetryOtherwise)
    this.apply(s, batch, d)
    return d.action
  }

  /**
   * A batch that had been sent expired (delivery timeout) without an answer: we cannot know whether the
   * broker wrote it (Java `markSequenceUnresolved`).
   */
  onExpired(s: PartitionSequenceState, batch: ProducerBatch): void {
    const wasInFlight = s.inFlight.includes(batch)
    this.removeInFlight(s, batch)
    if (!wasInFlight || batch.producerEpoch !== this.producerEpoch || batch.producerId !== this.producerId) return
    s.unresolved = true
    const next = incrementSequence(batch.baseSequence, batch.recordCount)
    if (s.unresolvedNextSequence < 0 || next > s.unresolvedNextSequence) s.unresolvedNextSequence = next
    this.maybeResolve(s)
  }

  /** Marks the epoch for a bump at the next sender cycle and remembers the partition to rewrite. */
  requestEpochBump(s: PartitionSequenceState): void {
    this.bumpRequired = true
    this.bumpRequests.add(s)
  }

  /** An epoch bump is needed without a partition to rewrite (a transactional coordinator lost the producer id mapping). */
  requireEpochBump(): void {
    this.bumpRequired = true
  }

  /** True when `bumpEpochIfNeeded` has work to do. */
  get epochBumpRequired(): boolean {
    return this.bumpRequired
  }

  /**
   * KIP-360 for the idempotent producer: epoch + 1 locally (no request), then the partitions that asked
   * restart their in-flight batches at sequence 0, 1, … Returns the batches whose producer state
   * changed (their built bytes must be re-stamped), or `'reinit'` when the epoch is exhausted and a
   * new producer id is needed.
   */
  bumpEpochIfNeeded(): ProducerBatch[] | 'reinit' {
    // Transactional: the request stays pending; the transaction becomes abortable and the abort
    // bumps the epoch at the coordinator (Java TransactionManager.epochBumpRequired).
    if (!this.bumpRequired || this.transactional) return []
    this.bumpRequired = false
    if (this.producerEpoch >= INT16_MAX - 1) {
      this.producerId = -1n
      this.producerEpoch = -1
      // A new producer id starts every partition over; batches waiting for a retry get new sequences.
      for (const s of this.partitions.values()) {
        for (const b of s.inFlight) {
          b.baseSequence = -1
          b.producerId = -1n
          b.producerEpoch = -1
        }
        s.inFlight.length = 0
        s.producerId = -1n
        s.unresolved = false
      }
      this.bumpRequests.clear()
      return 'reinit'
    }
    this.producerEpoch++
    const rewritten: ProducerBatch[] = []
    for (const s of this.bumpRequests) {
      let seq = 0
      for (const b of s.inFlight) {
        b.producerId = this.producerId
        b.producerEpoch = this.producerEpoch
        b.baseSequence = seq
        b.sequenceReset = true
        seq = incrementSequence(seq, b.recordCount)
        rewritten.push(b)
      }
      s.producerId = this.producerId
      s.producerEpoch = this.producerEpoch
      s.nextSequence = seq
      s.lastAckedSequence = -1
      s.unresolved = false
      s.unresolvedNextSequence = -1
    }
    this.bumpRequests.clear()
    return rewritten
  }

  /**
   * A batch the broker refused as too large was split (Java `splitAndReenqueue`): the parts take over
   * its place in flight and its sequence range, so later batches stay valid.
   */
  replaceSplit(s: PartitionSequenceState, original: ProducerBatch, parts: ProducerBatch[]): void {
    let seq = original.baseSequence
    for (const p of parts) {
      p.producerId = original.producerId
      p.producerEpoch = original.producerEpoch
      p.baseSequence = seq
      seq = incrementSequence(seq, p.recordCount)
    }
    // The parts keep the original's place; later batches drain as if the parts were one batch, which
    // the broker's cache may count as more: a split is rare and only ever costs a retry's confirmation.
    for (const p of parts) p.drainOrdinal = original.drainOrdinal
    const i = s.inFlight.indexOf(original)
    if (i >= 0) s.inFlight.splice(i, 1, ...parts)
  }

  /** Stops a running InitProducerId retry loop (producer closing). */
  abort(err: Error): void {
    this.aborted = err
    // End a backoff sleep now, so close() leaves no timer behind; the loop then sees `aborted`.
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.retryWake?.()
  }

  // Java maybeResolveSequences: once nothing is in flight, an unresolved sequence is either proven
  // written (later batches were acknowledged after it) or needs an epoch bump.
  private maybeResolve(s: PartitionSequenceState): void {
    if (!s.unresolved || s.inFlight.length > 0) return
    if (s.lastAckedSequence >= 0 && incrementSequence(s.lastAckedSequence, 1) === s.nextSequence) {
      s.unresolved = false
      s.unresolvedNextSequence = -1
      return
    }
    this.requestEpochBump(s)
  }

  private removeInFlight(s: PartitionSequenceState, batch: ProducerBatch): void {
    const i = s.inFlight.indexOf(batch)
    if (i >= 0) s.inFlight.splice(i, 1)
  }
}
