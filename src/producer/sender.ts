/** The sender loop: ready → drain → send → complete, with retries, expiry and idempotence decisions. */
import { errorCodeOf, KafkaProtocolError, errorInfo } from '../protocol/errors.js'
import { brokerError } from '../protocol/authorization-errors.js'
import { NetworkError, RequestTimeoutError } from '../network/errors.js'
import type { PartitionQueue, RecordAccumulator } from './accumulator.js'
import type { ResolvedConfig } from './config.js'
import { backoffMs } from '../network/backoff.js'
import { TimeoutError } from './errors.js'
import type { IdempotenceManager, PartitionSequenceState } from './idempotence.js'
import type { ProducerLogger } from './logger.js'
import type { ProducerMetadata } from './metadata.js'
import type { TransactionManager } from './transaction-manager.js'
import { channels, type ProducerMetrics } from './metrics.js'
import type { CompletionListener, ProducerBatch } from './producer-batch.js'
import { splitBatch } from './batch-split.js'
import type { BatchFormat, PartitionResult, ProduceData, ProduceResult, ProducerTransport } from './transport.js'

interface InFlightRequest {
  readonly nodeId: number
  readonly batches: ProducerBatch[]
  readonly queues: PartitionQueue[]
  readonly sentMs: number
}

// Error codes by name (src/protocol/errors.ts); the first two stand for a whole request failing
// below the protocol (Java maps them the same way).
const REQUEST_TIMED_OUT = errorCodeOf('REQUEST_TIMED_OUT')
const NETWORK_EXCEPTION = errorCodeOf('NETWORK_EXCEPTION')
const MESSAGE_TOO_LARGE = errorCodeOf('MESSAGE_TOO_LARGE')


/** Dependencies of the sender, wired by `Producer`. */
export interface SenderDeps {
  config: ResolvedConfig
  accumulator: RecordAccumulator
  metadata: ProducerMetadata
  transport: ProducerTransport
  format: BatchFormat
  idempotence: IdempotenceManager | null
  /** The transactional producer's state machine, else null. */
  transactions: TransactionManager | null
  metrics: ProducerMetrics
  logger: ProducerLogger
  listener: CompletionListener
  /** Called after batches complete (flush bookkeeping). */
  onBatchesCompleted: () => void
}

/**
 * The sender loop (Java `Sender.runOnce`), driven by events instead of a thread: an append that fills
 * a batch, a response, a metadata update, flush or close wake it (coalesced into one `setImmediate`),
 * and one timer covers the nearest linger, backoff or delivery deadline. No per-record or per-batch
 * timers.
 */
export class Sender {
  /** While > 0 every batch is ready regardless of linger (flush in progress). */
  flushing = 0
  /** Close began: drain everything now. */
  closing = false
  private stopped = false
  private immediate: NodeJS.Immediate | null = null
  private timer: NodeJS.Timeout | null = null
  private timerAt = Infinity
  private readonly inFlightPerNode = new Map<number, number>()
  private readonly inFlight = new Set<InFlightRequest>()
  private readonly drainIndex = new Map<number, number>()
  /**
   * Partitions with a batch in flight, when `maxInFlightRequestsPerConnection` is 1 (Java
   * `guaranteeMessageOrder` mutes them): their next batch waits even if the leader moved, so a
   * retry can never land after a later batch sent to the new leader.
   */
  private readonly muted = new Set<PartitionQueue>()
  private readonly guaranteeOrder: boolean
  private initInProgress = false
  /** A batch failed while draining (could not be built): flush waiters need a look. */
  private failedOutsideResponse = false
  private readonly d: SenderDeps

  constructor(deps: SenderDeps) {
    this.d = deps
    this.guaranteeOrder = deps.config.maxInFlightRequestsPerConnection === 1
  }

  /** Requests currently awaiting a response. */
  get requestsInFlight(): number {
    return this.inFlight.size
  }

  /** Batches inside requests awaiting a response (diagnostics of a stuck flush). */
  inFlightBatches(): Set<ProducerBatch> {
    const out = new Set<ProducerBatch>()
    for (const req of this.inFlight) for (const b of req.batches) out.add(b)
    return out
  }

  /** Timer and immediate state (diagnostics of a stuck flush). */
  get wakeState(): { immediatePending: boolean; timerAtMs: number; stopped: boolean } {
    return { immediatePending: this.immediate !== null, timerAtMs: this.timerAt, stopped: this.stopped }
  }

  /** Runs the loop soon (coalesced). */
  wakeup(): void {
    if (this.immediate !== null || this.stopped) return
    this.immediate = setImmediate(() => {
      this.immediate = null
      this.runOnce()
    })
  }

  /** Makes sure the loop runs by `atMs` (one timer for all deadlines). */
  wakeAt(atMs: number): void {
    if (this.stopped || atMs >= this.timerAt) return
    if (this.timer !== null) clearTimeout(this.timer)
    this.timerAt = atMs
    this.timer = setTimeout(
      () => {
        this.timer = null
        this.timerAt = Infinity
        this.runOnce()
      },
      Math.max(0, atMs - Date.now()),
    )
  }

  /** Stops timers; pending work is the producer's to fail. */
  stop(): void {
    this.stopped = true
    if (this.immediate !== null) clearImmediate(this.immediate)
    if (this.timer !== null) clearTimeout(this.timer)
    this.immediate = null
    this.timer = null
    this.timerAt = Infinity
  }

  /** One pass: producer id, readiness per leader, drain, send, expire, and the next wake-up. */
  runOnce(): void {
    if (this.stopped) return
    const d = this.d
    const now = Date.now()
    let nextWake = Infinity
    const tm = d.idempotence

    if (tm !== null) {
      if (tm.fatalError !== null) {
        this.failEverything(tm.fatalError)
        return
      }
      const bumped = tm.bumpEpochIfNeeded()
      if (bumped === 'reinit') d.logger.info('producer epoch exhausted; requesting a new producer id')
      else if (bumped.length > 0) d.logger.info('bumped the producer epoch (KIP-360)', { producerId: tm.producerId.toString(), epoch: tm.producerEpoch, batches: bumped.length })
      if (!tm.hasProducerId) {
        // A transactional producer's id comes from initTransactions() (its coordinator), never from here.
        if (d.accumulator.incomplete.size > 0 && d.transactions === null) this.initProducerId()
        nextWake = this.expire(now)
        if (nextWake < Infinity) this.wakeAt(nextWake)
        return
      }
    }

    d.metadata.maybeRefresh(now)
    nextWake = Math.min(nextWake, this.expire(now))

    const ready = d.accumulator.ready(d.metadata, now, d.config.lingerMs, this.expedite)
    nextWake = Math.min(nextWake, ready.nextReadyMs)
    if (ready.unknownLeaderTopics.size > 0) {
      for (const topic of ready.unknownLeaderTopics) if (d.metadata.get(topic) === undefined) d.metadata.want(topic)
      d.metadata.requestUpdate()
      nextWake = Math.min(nextWake, now + d.config.retryBackoffMs)
    }

    for (const [nodeId, queues] of ready.byLeader) {
      while ((this.inFlightPerNode.get(nodeId) ?? 0) < d.config.maxInFlightRequestsPerConnection) {
        const drained = this.drain(nodeId, queues, now)
        if (drained.batches.length === 0) break
        this.send(nodeId, drained.batches, drained.queues, now)
      }
    }
    if (this.failedOutsideResponse) {
      this.failedOutsideResponse = false
      d.onBatchesCompleted()
      this.wakeup()
    }
    if (nextWake < Infinity) this.wakeAt(nextWake)
  }

  /** A flush or close is waiting: lingering batches go now (Java `flushInProgress` / closing). */
  private get expedite(): boolean {
    return this.flushing > 0 || this.closing
  }

  /**
   * Takes at most one batch per partition for `nodeId`, round-robin from the node's drain index, up to
   * `maxRequestSize` (Java `drainBatchesForOneNode`). Sequences are assigned here, not at append.
   */
  private drain(nodeId: number, queues: PartitionQueue[], now: number): { batches: ProducerBatch[]; queues: PartitionQueue[] } {
    const d = this.d
    const tm = d.idempotence
    const batches: ProducerBatch[] = []
    const used: PartitionQueue[] = []
    const n = queues.length
    if (n === 0) return { batches, queues: used }
    const start = (this.drainIndex.get(nodeId) ?? 0) % n
    let size = 0
    for (let i = 0; i < n; i++) {
      const q = queues[(start + i) % n] as PartitionQueue
      const head = q.batches[0]
      if (head === undefined || d.accumulator.readyAt(q, head, d.config.lingerMs, this.expedite) > now) continue
      if (this.guaranteeOrder && this.muted.has(q)) continue
      if (tm !== null && !tm.canDrain(this.seq(tm, q), head)) continue
      if (d.transactions !== null && !d.transactions.isSendAllowed(q, head)) continue
      const estimate = head.sizeInBytes
      if (batches.length > 0 && size + estimate > d.config.maxRequestSize) break
      d.accumulator.pollHead(q)
      if (tm !== null) tm.assignSequence(this.seq(tm, q), head)
      try {
        this.finish(head, now)
      } catch (err) {
        // A batch that cannot be built (e.g. a codec failed) fails alone; it has left its queue,
        // so leaving it unfailed would orphan it (flush() would wait for it forever).
        d.logger.error('could not build a batch; failing its records', { topic: head.topic, partition: head.partition, error: err })
        if (tm !== null && head.baseSequence >= 0) tm.onError(this.seq(tm, q), head, -1, false)
        this.failBatch(head, err instanceof Error ? err : new Error(String(err)))
        this.failedOutsideResponse = true
        continue
      }
      size += head.sizeInBytes
      head.inFlight = true
      batches.push(head)
      used.push(q)
      this.drainIndex.set(nodeId, (start + i + 1) % n)
    }
    return { batches, queues: used }
  }

  // Builds the batch once (compression + CRC), or re-stamps it after an epoch bump. Only done here,
  // while the batch is not in a request, so bytes being written to a socket never change.
  private finish(batch: ProducerBatch, now: number): void {
    const d = this.d
    if (batch.built === null && batch.builder !== null) {
      const uncompressed = batch.builder.sizeInBytes
      batch.built = d.format.build(batch.builder, batch.producerId, batch.producerEpoch, batch.baseSequence)
      d.metrics.recordBatchCompression(batch.topic, batch.built.length, uncompressed)
      batch.full = true
      d.metrics.batchSize.record(batch.built.length)
      d.metrics.queueTime.record(now - batch.createdMs)
      if (channels.batchReady.hasSubscribers) channels.batchReady.publish({ topic: batch.topic, partition: batch.partition, recordCount: batch.recordCount, sizeInBytes: batch.built.length, uncompressedBytes: uncompressed })
    } else if (batch.built !== null && (batch.stampedProducerId !== batch.producerId || batch.stampedEpoch !== batch.producerEpoch || batch.stampedSequence !== batch.baseSequence)) {
      d.format.restamp(batch.built, batch.producerId, batch.producerEpoch, batch.baseSequence)
    }
    batch.stampedProducerId = batch.producerId
    batch.stampedEpoch = batch.producerEpoch
    batch.stampedSequence = batch.baseSequence
    batch.sequenceReset = false
  }

  /** One Produce request to one broker with every drained batch, grouped by topic. */
  private send(nodeId: number, batches: ProducerBatch[], queues: PartitionQueue[], now: number): void {
    const d = this.d
    const byTopic = new Map<string, ProduceData['topics'][number]>()
    let records = 0
    let bytes = 0
    for (const b of batches) {
      let t = byTopic.get(b.topic)
      if (t === undefined) byTopic.set(b.topic, (t = { topic: b.topic, partitions: [] }))
      t.partitions.push({ partition: b.partition, records: b.built as Buffer })
      records += b.recordCount
      bytes += (b.built as Buffer).length
    }
    const data: ProduceData = { acks: d.config.acks, timeoutMs: d.config.requestTimeoutMs, topics: [...byTopic.values()] }
    if (d.transactions !== null) {
      const f = d.transactions.produceFields
      data.transactionalId = f.transactionalId
      if (f.maxVersion !== undefined) data.maxVersion = f.maxVersion
    }
    const req: InFlightRequest = { nodeId, batches, queues, sentMs: now }
    this.inFlight.add(req)
    if (this.guaranteeOrder) for (const q of queues) this.muted.add(q)
    this.inFlightPerNode.set(nodeId, (this.inFlightPerNode.get(nodeId) ?? 0) + 1)
    d.metrics.countRequest()
    d.metrics.recordNodeRequest(nodeId, bytes)
    d.metrics.recordsPerRequest.record(records)
    if (channels.requestSent.hasSubscribers) channels.requestSent.publish({ nodeId, batches: batches.length, records, bytes })
    let p: Promise<ProduceResult | null>
    try {
      p = d.transport.produce(nodeId, data)
    } catch (err) {
      p = Promise.reject(err)
    }
    p.then(
      (res) => this.onResponse(req, res),
      (err: unknown) => this.onRequestFailure(req, err),
    ).catch((err: unknown) => d.logger.error('internal error while handling a produce response', { error: err }))
  }

  private endRequest(req: InFlightRequest): boolean {
    if (!this.inFlight.delete(req)) return false
    for (const b of req.batches) if (b.releaseWhenRequestEnds) this.d.accumulator.requestEnded(b)
    if (this.guaranteeOrder) for (const q of req.queues) this.muted.delete(q)
    const c = (this.inFlightPerNode.get(req.nodeId) ?? 1) - 1
    if (c <= 0) this.inFlightPerNode.delete(req.nodeId)
    else this.inFlightPerNode.set(req.nodeId, c)
    return true
  }

  private onResponse(req: InFlightRequest, res: ProduceResult | null): void {
    if (!this.endRequest(req)) return
    const d = this.d
    const now = Date.now()
    const latency = now - req.sentMs
    d.metrics.requestLatency.record(latency)
    if (res !== null) {
      d.metrics.throttleTime.record(res.throttleTimeMs)
      d.metrics.recordNodeResponse(req.nodeId, res.receivedBytes ?? 0, latency)
    }
    if (channels.responseReceived.hasSubscribers) channels.responseReceived.publish({ nodeId: req.nodeId, latencyMs: latency, throttleTimeMs: res?.throttleTimeMs ?? 0, error: null })
    if (res === null) {
      // acks=0: nothing comes back; Java reports offset -1.
      req.batches.forEach((b, i) => this.succeed(b, req.queues[i] as PartitionQueue, -1, -1))
    } else {
      if (res.nodeEndpoints.length > 0) d.transport.updateBrokers(res.nodeEndpoints)
      const results = new Map<string, PartitionResult>()
      for (const t of res.topics) for (const p of t.partitions) results.set(`${t.topic}\u0000${p.partition}`, p)
      for (let i = 0; i < req.batches.length; i++) {
        const b = req.batches[i] as ProducerBatch
        const q = req.queues[i] as PartitionQueue
        const r = results.get(q.key)
        this.guarded(b, () => {
          if (r === undefined) {
            this.onBatchError(b, q, NETWORK_EXCEPTION, 'the broker did not answer for this partition', null, now)
          } else if (r.errorCode === 0) {
            this.succeed(b, q, Number(r.baseOffset), Number(r.logAppendTimeMs))
          } else {
            this.onBatchError(b, q, r.errorCode, r.errorMessage ?? undefined, r, now)
          }
        })
      }
    }
    d.onBatchesCompleted()
    this.wakeup()
  }

  /**
   * Runs the completion of one batch of a response. The request has already left `inFlight`, so a
   * batch whose handling threw would be neither queued nor in flight: nothing would ever complete
   * it and flush() would wait forever. Fail it instead, and go on with the other batches.
   */
  private guarded(b: ProducerBatch, handle: () => void): void {
    try {
      handle()
    } catch (err) {
      this.d.logger.error('internal error while completing a batch; failing it', { topic: b.topic, partition: b.partition, error: err })
      this.failBatch(b, err instanceof Error ? err : new Error(String(err)))
    }
  }

  private onRequestFailure(req: InFlightRequest, err: unknown): void {
    if (!this.endRequest(req)) return
    const d = this.d
    const now = Date.now()
    if (channels.responseReceived.hasSubscribers) channels.responseReceived.publish({ nodeId: req.nodeId, latencyMs: now - req.sentMs, throttleTimeMs: 0, error: err })
    const retriable = err instanceof NetworkError && err.retriable
    d.logger.debug('produce request failed', { nodeId: req.nodeId, error: err })
    for (let i = 0; i < req.batches.length; i++) {
      const b = req.batches[i] as ProducerBatch
      const q = req.queues[i] as PartitionQueue
      this.guarded(b, () => {
        if (retriable) this.onBatchError(b, q, err instanceof RequestTimeoutError ? REQUEST_TIMED_OUT : NETWORK_EXCEPTION, err.message, null, now, err)
        else {
          // Not retriable (e.g. an unsupported version): the batch's sequence leaves a hole, which the
          // idempotence state machine turns into an epoch bump.
          if (d.idempotence !== null && b.baseSequence >= 0 && !b.done) d.idempotence.onError(this.seq(d.idempotence, q), b, -1, false)
          this.failBatch(b, err instanceof Error ? err : new Error(String(err)))
        }
      })
    }
    // A lost connection may mean a moved leader (Java requests a metadata update on disconnect).
    if (retriable) d.metadata.requestUpdate()
    d.onBatchesCompleted()
    this.wakeup()
  }

  // The partition's sequence state lives on its queue (one object per partition), created on first use.
  private seq(tm: IdempotenceManager, q: PartitionQueue): PartitionSequenceState {
    return (q.sequence ??= tm.partition(q.topic, q.partition))
  }

  private succeed(b: ProducerBatch, q: PartitionQueue, baseOffset: number, logAppendTimeMs: number): void {
    const d = this.d
    b.inFlight = false
    if (d.idempotence !== null && b.baseSequence >= 0) d.idempotence.onSuccess(this.seq(d.idempotence, q), b)
    if (b.done) return
    d.metrics.countSent(b.recordCount)
    d.metrics.recordTopicSend(b.topic, b.recordCount, b.built?.length ?? 0)
    try {
      b.succeed(baseOffset, logAppendTimeMs, d.listener)
    } finally {
      // Even if a listener threw: a done batch left in `incomplete` would block flush() forever.
      d.accumulator.completed(b)
    }
  }

  private failBatch(b: ProducerBatch, err: Error, errorFor?: (i: number) => Error): void {
    const d = this.d
    b.inFlight = false
    if (b.done) return
    d.metrics.countErrors(b.recordCount)
    d.metrics.recordTopicError(b.topic, b.recordCount)
    try {
      b.fail(err, d.listener, errorFor)
    } finally {
      d.accumulator.completed(b)
      // A record of the transaction is lost: it can only be aborted now.
      d.transactions?.onBatchFailed(err)
    }
  }

  /** Fails the queued batches never sent (a transaction aborted or became abortable). */
  failUnsent(err: Error): void {
    const batches = this.d.accumulator.drainUnsent()
    for (const b of batches) this.failBatch(b, err)
    if (batches.length > 0) this.d.onBatchesCompleted()
  }

  /** Java `Sender.completeBatch` for an error: retry, success (duplicate), fail, or fatal. */
  private onBatchError(b: ProducerBatch, q: PartitionQueue, code: number, message: string | undefined, r: PartitionResult | null, now: number, cause?: unknown): void {
    const d = this.d
    const info = errorInfo(code)
    if (b.done) {
      // Already expired by the delivery timeout; only the sequence bookkeeping still matters.
      if (d.idempotence !== null) d.idempotence.onExpired(this.seq(d.idempotence, q), b)
      return
    }
    if (code === MESSAGE_TOO_LARGE && b.recordCount > 1 && b.built !== null && !this.stopped) {
      this.splitAndReenqueue(b, q)
      return
    }
    const canRetry = !this.stopped && b.attempts < d.config.retries && now - b.createdMs < d.config.deliveryTimeoutMs
    let action: 'retry' | 'fail' | 'success' | 'fatal'
    let decidedError: Error | undefined
    if (d.idempotence !== null && b.baseSequence >= 0) {
      const tm = d.idempotence
      const s = this.seq(tm, q)
      const decision = tm.classify(s, b, code, canRetry)
      tm.apply(s, b, decision)
      action = decision.action
      if (decision.action === 'fail' || decision.action === 'fatal') decidedError = decision.error
    } else action = canRetry && info.retriable ? 'retry' : 'fail'

    if (info.refreshMetadata || code === NETWORK_EXCEPTION) {
      const hint = r?.currentLeader
      if (hint !== null && hint !== undefined && hint.leaderId >= 0 && d.metadata.updateLeader(b.topic, b.partition, hint.leaderId, hint.leaderEpoch)) {
        d.logger.debug('KIP-951 leader hint applied', { topic: b.topic, partition: b.partition, leader: hint.leaderId })
      } else if (info.refreshMetadata) {
        d.metadata.invalidateLeader(b.topic, b.partition)
        d.metadata.requestUpdate()
      }
    }

    switch (action) {
      case 'retry': {
        b.attempts++
        b.retryAtMs = now + backoffMs(b.attempts, d.config.retryBackoffMs, d.config.retryBackoffMaxMs)
        d.metrics.countRetries(b.recordCount)
        d.metrics.recordTopicRetry(b.topic, b.recordCount)
        d.logger.debug('retrying batch', { topic: b.topic, partition: b.partition, error: info.name, attempt: b.attempts })
        if (channels.retry.hasSubscribers) channels.retry.publish({ topic: b.topic, partition: b.partition, recordCount: b.recordCount, attempt: b.attempts, error: info.name, backoffMs: b.retryAtMs - now })
        d.accumulator.reenqueue(q, b, d.idempotence !== null)
        return
      }
      case 'success':
        this.succeed(b, q, -1, -1)
        return
      case 'fatal': {
        const fatal = d.idempotence?.fatalError ?? brokerError(code, `produce to ${b.topic}-${b.partition}`, message)
        this.failEverything(fatal)
        return
      }
      case 'fail': {
        // Issue 13: TOPIC/CLUSTER_AUTHORIZATION_FAILED surface as their typed errors.
        let err: Error = decidedError ?? (cause instanceof Error ? cause : brokerError(code, `produce to ${b.topic}-${b.partition}`, message))
        if (code === MESSAGE_TOO_LARGE) err = new KafkaProtocolError(code, `produce to ${b.topic}-${b.partition}: a single record of ${b.sizeInBytes} bytes (batch included) is larger than the topic allows (max.message.bytes)`, message)
        const recordErrors = r?.recordErrors ?? []
        if (recordErrors.length > 0) {
          // Produce v8+: only the listed records are bad; the others fail with a generic error (Java).
          const byIndex = new Map(recordErrors.map((e) => [e.batchIndex, e.message]))
          this.failBatch(b, err, (i) => (byIndex.has(i) ? new KafkaProtocolError(code, `produce to ${b.topic}-${b.partition}, record ${i}`, byIndex.get(i) ?? message) : new KafkaProtocolError(code, `produce to ${b.topic}-${b.partition}: another record of the batch was invalid`, message)))
        } else this.failBatch(b, err)
        return
      }
    }
  }

  /**
   * MESSAGE_TOO_LARGE for a batch of several records: read its records back, split it in two and put
   * both halves back in its place (Java `splitAndReenqueue`); halves still too large split again.
   */
  private splitAndReenqueue(b: ProducerBatch, q: PartitionQueue): void {
    const d = this.d
    let records
    try {
      records = d.format.decode(b.built as Buffer)
    } catch (err) {
      this.failBatch(b, err instanceof Error ? err : new Error(String(err)))
      return
    }
    const parts = splitBatch(b, records, d.format)
    const tm = d.idempotence
    const sequenced = tm !== null && b.baseSequence >= 0
    if (sequenced) tm.replaceSplit(this.seq(tm, q), b, parts)
    d.accumulator.splitAndReenqueue(q, b, parts, sequenced)
    d.metrics.countSplit()
    d.logger.debug('split a batch the broker found too large', { topic: b.topic, partition: b.partition, records: records.length })
  }

  /**
   * Fails batches past `deliveryTimeoutMs` (queued and in flight, Java `expiredBatches` and
   * `getExpiredInflightBatches`). Returns the nearest future expiry.
   */
  private expire(now: number): number {
    const d = this.d
    const limit = d.config.deliveryTimeoutMs
    const queued = d.accumulator.expiredBatches(now, limit)
    let next = queued.nextMs
    let expired = queued.expired.length
    for (const [q, b] of queued.expired) this.expireBatch(q, b, now)
    for (const req of this.inFlight) {
      for (let i = 0; i < req.batches.length; i++) {
        const b = req.batches[i] as ProducerBatch
        if (b.done) continue
        if (now - b.createdMs >= limit) {
          this.expireBatch(req.queues[i] as PartitionQueue, b, now)
          expired++
        } else next = Math.min(next, b.createdMs + limit)
      }
    }
    if (expired > 0) d.onBatchesCompleted()
    return next
  }

  private expireBatch(q: PartitionQueue, b: ProducerBatch, now: number): void {
    const d = this.d
    // Its request may still be writing the batch's bytes: keep them reserved until it ends.
    if (b.inFlight) b.releaseWhenRequestEnds = true
    if (d.idempotence !== null && b.baseSequence >= 0) d.idempotence.onExpired(this.seq(d.idempotence, q), b)
    const where = b.inFlight ? 'while awaiting the broker response' : b.attempts > 0 ? 'while waiting to be retried' : 'before it could be sent'
    this.failBatch(b, new TimeoutError('deliveryTimeoutMs', d.config.deliveryTimeoutMs, `expiring ${b.recordCount} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms passed since batch creation ${where}`))
  }

  private initProducerId(): void {
    const d = this.d
    const tm = d.idempotence
    if (tm === null || this.initInProgress) return
    this.initInProgress = true
    const backoff = (attempt: number): number => backoffMs(attempt, d.config.retryBackoffMs, d.config.retryBackoffMaxMs)
    tm.ensureProducerId((id, epoch) => d.transport.initProducerId(id, epoch), backoff, (err) => err instanceof NetworkError && err.retriable).then(
      () => {
        this.initInProgress = false
        d.logger.debug('got producer id', { producerId: tm.producerId.toString(), epoch: tm.producerEpoch })
        this.wakeup()
      },
      (err: unknown) => {
        this.initInProgress = false
        if (this.stopped) return
        const e = err instanceof Error ? err : new Error(String(err))
        if (tm.fatalError !== null) {
          // Fenced or not authorized (set by ensureProducerId): Java's fatal set; runOnce fails everything.
          d.logger.error('InitProducerId failed; the idempotent producer cannot send', { error: e })
          this.wakeup()
          return
        }
        // Issue 18: any other refusal (e.g. an error code the broker never sends for InitProducerId,
        // from a corrupted answer) fails the records waiting for a producer id with that typed error,
        // and the next send asks again: one bad answer must not end the producer for good.
        d.logger.error('InitProducerId failed; the waiting records fail, the next send asks again', { error: e })
        for (const b of d.accumulator.drainAll()) this.failBatch(b, e)
        d.onBatchesCompleted()
        this.wakeup()
      },
    )
  }

  /** Fails every queued and in-flight batch (fatal error or forced close). */
  failEverything(err: Error): void {
    const d = this.d
    for (const req of this.inFlight) for (const b of req.batches) this.failBatch(b, err)
    for (const b of d.accumulator.drainAll()) this.failBatch(b, err)
    for (const b of [...d.accumulator.incomplete]) this.failBatch(b, err)
    d.onBatchesCompleted()
  }
}
