/** The public `Producer`: send, flush and close, wiring preparation, accumulator, metadata and sender. */
import { InvalidArgumentError } from '../kafka-wire-error.js'
import { RecordAccumulator, type AppendResult, type PartitionQueue } from './accumulator.js'
import { BufferPool } from './buffer-pool.js'
import { resolveConfig, type ProducerOptions, type ResolvedConfig } from './config.js'
import { InvalidPartitionError, KafkaWireError, NotImplementedError, ProducerClosedError, SendBatchError, TimeoutError, TransactionStateError } from './errors.js'
import { backoffMs } from '../network/backoff.js'
import { IdempotenceManager } from './idempotence.js'
import { Interceptors, type ProducerInterceptor } from './interceptors.js'
import { ProducerLogger, defaultLogger } from './logger.js'
import { ProducerMetadata, type TopicMetadata } from './metadata.js'
import { ProducerMetrics, channels, sendTracing, type ProducerMetricsSnapshot, type SendTraceContext } from './metrics.js'
import { partitionForKey } from './partitioner.js'
import type { CompletionListener, ProducerBatch, RecordMetadata, SendCallback } from './producer-batch.js'
import { Sender } from './sender.js'
import { TransactionManager, type TransactionGroupMetadata, type TransactionOffset, type TransactionState } from './transaction-manager.js'
import { RecordClock } from './clock.js'
import { resolveSerializer } from './serializers.js'
import { PreparedRecord, RecordPreparation, type ProducerRecord } from './record-preparation.js'
import { SendQueue, type BlockedSend } from './send-queue.js'
import type { BatchFormat, HeaderPair, ProducerTransport } from './transport.js'

export type { ProducerRecord, RecordHeaders, HeaderValue } from './record-preparation.js'
export { normalizeHeaders } from './record-preparation.js'
import { createKafkaTransport } from './kafka-transport.js'
import { createBatchFormat } from './batch-format.js'
import type { TraceHook } from '../network/connection.js'

/** One partition as `partitionsFor()` reports it (Java `PartitionInfo`, the fields the producer knows). */
export interface PartitionInfo {
  topic: string
  partition: number
  /** The leader's node id, -1 while the partition has none. */
  leader: number
  /** The leader epoch the producer knows (KIP-320), -1 when unknown. */
  leaderEpoch: number
}

/** Options of `close()`. */
export interface CloseOptions {
  /** How long to wait for pending records before failing them. Default: wait until all settle (bounded by `deliveryTimeoutMs`). */
  timeoutMs?: number
}

const noop = (): void => {}

// The promise form's executor is one shared function that hands the resolving functions over in
// these two variables, instead of a closure and its context per send (issue 15: the promise form
// allocates per record what it keeps alive until the broker answers). The Promise constructor runs
// the executor synchronously, so nothing can run between it and send() reading them.
let capturedResolve: ((m: RecordMetadata) => void) | null = null
let capturedReject: ((e: Error) => void) | null = null
function captureResolvers(resolve: (m: RecordMetadata) => void, reject: (e: Error) => void): void {
  capturedResolve = resolve
  capturedReject = reject
}

/** The longest delay `setTimeout`/`setInterval` honour (2^31-1 ms); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2147483647

/**
 * A snapshot of the producer's internal queues (see {@link Producer.debugState}); for diagnosing a
 * flush() or close() that does not finish, not a stable API.
 */
export interface ProducerDebugState {
  state: 'open' | 'closing' | 'closed'
  /** Batches created so far (ids are 1..batchCounter). */
  batchCounter: number
  /** Batches not yet completed, and the smallest id among them (Infinity when none). */
  incompleteBatches: number
  oldestIncompleteId: number
  /** Incomplete batches waiting in partition queues. */
  queuedBatches: number
  /** Incomplete batches inside requests awaiting a response, and those requests. */
  inFlightBatches: number
  inFlightRequests: number
  /** Incomplete batches neither queued nor in flight: nothing would ever complete them (a bug). */
  orphanBatches: number
  /** Sends waiting for metadata or memory, and the topics they wait in. */
  blockedSends: number
  blockedTopics: number
  /** Allocations waiting for buffer memory, and the free bytes. */
  poolWaiters: number
  bufferAvailable: number
  flushWaiters: number
  earlyCallbacksPending: number
  /** Whether the sender loop has a wake-up scheduled. */
  senderImmediatePending: boolean
  senderTimerInMs: number
}

/** Internal seams for tests: replace the transport or batch format. */
export interface ProducerInternals {
  transport?: ProducerTransport
  format?: BatchFormat
  /** Called with every frame the real transport sends and receives (the CLI's `--dump`). */
  trace?: TraceHook
}

/**
 * A Kafka producer (Java `KafkaProducer`): records are serialized, partitioned and appended to
 * per-partition batches; a sender loop sends ready batches per leader broker.
 *
 * Ordering: records of one partition are delivered in send order. Without idempotence and with more
 * than one request in flight (`maxInFlightRequestsPerConnection` > 1), a retried batch may land after
 * a later one. With idempotence (the default) order is kept with up to 5 requests in flight.
 *
 * @typeParam K - key type the caller passes (anything when a `keySerializer` is configured)
 * @typeParam V - value type
 */
export class Producer<K = Buffer | Uint8Array | string | null, V = Buffer | Uint8Array | string | null> {
  /** The validated configuration. */
  readonly config: Readonly<ResolvedConfig>
  private readonly logger: ProducerLogger
  private readonly preparation: RecordPreparation<K, V>
  private readonly interceptors: Interceptors<ProducerRecord<K, V>, RecordMetadata>
  private readonly customPartitioner: ProducerOptions['partitioner']
  private readonly transport: ProducerTransport
  private readonly pool: BufferPool
  private readonly accumulator: RecordAccumulator
  private readonly metadata: ProducerMetadata
  private readonly sender: Sender
  private readonly metricsState = new ProducerMetrics()
  private readonly idempotence: IdempotenceManager | null
  private readonly txn: TransactionManager | null
  private readonly listener: CompletionListener
  /** Sends waiting for metadata or buffer memory. */
  private readonly blocked = new Set<Promise<void>>()
  /**
   * Per topic: sends waiting for metadata or memory, in arrival order, served by one loop per topic
   * (no promise chain per record). Later sends of the topic queue behind them, so per-partition send
   * order survives waiting; other topics are not held up.
   */
  private readonly blockedByTopic = new Map<string, SendQueue>()
  private blockedCount = 0
  private flushWaiters: Array<{ upTo: number; resolve: () => void }> = []
  /** Callbacks of sends rejected before reaching a batch, not yet run (they run on the next tick). */
  private earlyCallbacksPending = 0
  private earlyCallbackWaiters: Array<() => void> = []
  private batchCounter = 0
  private readonly clock = new RecordClock()
  private state: 'open' | 'closing' | 'closed' = 'open'
  private closePromise: Promise<void> | null = null

  /**
   * Creates a producer. Throws `ConfigError` naming the option for an unknown key, a wrong type, a
   * value out of range, or idempotence with acks other than 'all'. Nothing connects until the first send.
   */
  constructor(options: ProducerOptions<NoInfer<K>, NoInfer<V>>, internals?: ProducerInternals) {
    const config = resolveConfig(options)
    this.config = Object.freeze(config)
    this.logger = new ProducerLogger(options.logger ?? defaultLogger)
    this.interceptors = new Interceptors((options.interceptors ?? []) as ReadonlyArray<ProducerInterceptor<ProducerRecord<K, V>, RecordMetadata>>, this.logger)
    this.customPartitioner = options.partitioner
    this.transport = internals?.transport ?? createKafkaTransport(config, this.logger, internals?.trace)
    const format = internals?.format ?? createBatchFormat(config)
    this.pool = new BufferPool(config.bufferMemory, config.maxBlockMs)
    this.accumulator = new RecordAccumulator(config.batchSize, format, this.pool)
    const accumulator = this.accumulator
    this.preparation = new RecordPreparation<K, V>(
      resolveSerializer(options.keySerializer as never),
      resolveSerializer(options.valueSerializer as never),
      this.interceptors,
      { maxRequestSize: config.maxRequestSize, bufferMemory: config.bufferMemory, maxBlockMs: config.maxBlockMs, batchBytesFor: (size) => accumulator.batchBytesFor(size) },
      (r) => this.onPrepared(r),
      (err, sink) => this.failEarly(err, sink.callback, sink.reject),
    )
    this.idempotence = config.enableIdempotence ? new IdempotenceManager(config.transactionalId !== undefined) : null
    this.metadata = new ProducerMetadata(this.transport, { maxAgeMs: config.metadataMaxAgeMs, maxIdleMs: config.metadataMaxIdleMs, retryBackoffMs: config.retryBackoffMs, retryBackoffMaxMs: config.retryBackoffMaxMs, maxBlockMs: config.maxBlockMs }, this.logger, () => this.sender.wakeup())
    const interceptors = this.interceptors
    const logger = this.logger
    this.listener = {
      onRecordComplete: interceptors.hasAck || logger.debugEnabled
        ? (md, err) => {
            if (err !== null) logger.debug('record failed', { error: err })
            if (interceptors.hasAck) interceptors.onAcknowledgement(md, err)
          }
        : noop,
      onCallbackError: (err) => logger.error('a send() callback threw; the error is ignored', { error: err }),
    }
    this.txn = null
    if (config.transactionalId !== undefined && this.idempotence !== null) {
      const transactions = this.transport.transactions
      if (transactions === undefined) throw new NotImplementedError('this transport cannot send transaction coordinator requests (option transactionalId)')
      this.txn = new TransactionManager({
        transactionalId: config.transactionalId,
        transactionTimeoutMs: config.transactionTimeoutMs,
        maxBlockMs: config.maxBlockMs,
        retryBackoffMs: config.retryBackoffMs,
        retryBackoffMaxMs: config.retryBackoffMaxMs,
        transport: transactions,
        idempotence: this.idempotence,
        logger: this.logger,
        wakeSender: () => this.sender.wakeup(),
        flush: () => this.flush(),
        failUnsent: (err) => this.sender.failUnsent(err),
      })
    }
    this.sender = new Sender({
      config,
      accumulator: this.accumulator,
      metadata: this.metadata,
      transport: this.transport,
      format,
      idempotence: this.idempotence,
      transactions: this.txn,
      metrics: this.metricsState,
      logger: this.logger,
      listener: this.listener,
      onBatchesCompleted: () => this.checkFlushWaiters(),
    })
  }

  /**
   * Sends one record. Without a callback, returns a promise of its `RecordMetadata` (an ignored
   * rejection is never unhandled). With a callback, returns nothing and calls it once.
   */
  send(record: ProducerRecord<K, V>): Promise<RecordMetadata>
  send(record: ProducerRecord<K, V>, callback: SendCallback): void
  send(record: ProducerRecord<K, V>, callback?: SendCallback): Promise<RecordMetadata> | void {
    if (callback !== undefined && typeof callback !== 'function') throw new InvalidArgumentError('send(record, callback): callback must be a function')
    // One boolean when nobody traces: the traced path allocates its context and wrappers only then.
    if (sendTracing.hasSubscribers) return this.tracedSend(record, callback)
    if (callback !== undefined) {
      this.doSend(record, callback, null, null, null)
      return
    }
    const p = new Promise<RecordMetadata>(captureResolvers)
    const resolve = capturedResolve
    const reject = capturedReject
    capturedResolve = null
    capturedReject = null
    // Fire-and-forget must never crash the process: mark the promise handled; awaiting still rejects.
    p.catch(noop)
    this.doSend(record, null, resolve, reject, null)
    return p
  }

  /**
   * Sends several records; one promise for all of them, no promise per record. Resolves with each
   * record's metadata in the order given once all are acknowledged; if any fails, rejects with
   * `SendBatchError`, whose `results` say for every record whether it was acknowledged (its
   * metadata) or failed (its error). Records of one partition keep their order.
   */
  sendBatch(records: ReadonlyArray<ProducerRecord<K, V>>): Promise<RecordMetadata[]> {
    if (!Array.isArray(records)) return Promise.reject(new InvalidArgumentError('sendBatch(records): expected an array of records'))
    const n = records.length
    if (n === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      const results = new Array<RecordMetadata | Error>(n)
      let pending = n
      let failed = 0
      let first: Error | null = null
      // Traced like send(): one TracingChannel context per record when someone subscribes.
      const traced = sendTracing.hasSubscribers
      for (let i = 0; i < n; i++) {
        const done: SendCallback = (err, md) => {
          if (err !== null) {
            results[i] = err
            failed++
            first ??= err
          } else results[i] = md as RecordMetadata
          if (--pending > 0) return
          if (first === null) resolve(results as RecordMetadata[])
          else reject(new SendBatchError<RecordMetadata>(results, failed, first))
        }
        const record = records[i] as ProducerRecord<K, V>
        if (traced) this.tracedSend(record, done)
        else this.doSend(record, done, null, null, null)
      }
    })
  }

  /**
   * Optional fail-fast start (KafkaJS `connect()`): reaches a bootstrap server (TLS, SASL, ApiVersions)
   * and reads the cluster's brokers with Metadata, retrying connection failures with backoff for up
   * to `maxBlockMs`. Rejects at once with a non-retriable reason (authentication, TLS), or with
   * `TimeoutError` whose `cause` is the last failure. Without it the first `send()` connects.
   */
  async connect(): Promise<void> {
    const c = this.config
    const deadline = Date.now() + c.maxBlockMs
    for (let attempt = 1; ; attempt++) {
      if (this.state !== 'open') throw new ProducerClosedError('connect(): the producer is closed or closing')
      try {
        const md = await this.transport.metadata([])
        this.transport.updateBrokers(md.brokers, true)
        return
      } catch (err) {
        if (!(err instanceof KafkaWireError) || !err.retriable) throw err
        const waitMs = backoffMs(attempt, c.retryBackoffMs, c.retryBackoffMaxMs)
        if (Date.now() + waitMs > deadline) throw new TimeoutError('maxBlockMs', c.maxBlockMs, `connect(): no broker of ${c.bootstrapServers.join(',')} could be reached: ${err.message}`, err)
        await new Promise((r) => setTimeout(r, waitMs))
      }
    }
  }

  /**
   * The partitions of `topic` and their leaders (Java `partitionsFor`), from the producer's metadata;
   * asks the broker (which may auto-create the topic) when unknown, waiting up to `maxBlockMs`.
   */
  async partitionsFor(topic: string): Promise<PartitionInfo[]> {
    if (typeof topic !== 'string' || topic === '') throw new InvalidArgumentError('partitionsFor(topic): expected a non-empty topic name')
    if (this.state !== 'open') throw new ProducerClosedError('partitionsFor(): the producer is closed or closing')
    const t = this.metadata.get(topic) ?? (await this.metadata.waitFor(topic))
    const out: PartitionInfo[] = []
    for (let p = 0; p < t.numPartitions; p++) out.push({ topic, partition: p, leader: t.leaders[p] as number, leaderEpoch: t.leaderEpochs[p] as number })
    return out
  }

  /** `send()` under the `kafka-wire:producer:send` TracingChannel (start/end/asyncStart/asyncEnd/error). */
  private tracedSend(record: ProducerRecord<K, V>, callback: SendCallback | undefined): Promise<RecordMetadata> | void {
    const ctx: SendTraceContext = { record, producer: this, clientId: this.config.clientId }
    const settle = (err: Error | null, md: RecordMetadata | null, then: () => void): void => {
      if (err !== null) {
        ctx.error = err
        sendTracing.error.publish(ctx)
      } else if (md !== null) ctx.result = md
      sendTracing.asyncStart.publish(ctx)
      try {
        then()
      } finally {
        sendTracing.asyncEnd.publish(ctx)
      }
    }
    sendTracing.start.publish(ctx)
    try {
      // A start subscriber may have replaced the record (SendTraceContext): send what it left.
      const sent = ctx.record as ProducerRecord<K, V>
      if (callback !== undefined) {
        this.doSend(sent, (err, md) => settle(err, md, () => callback(err, md)), null, null, ctx)
        return
      }
      const p = new Promise<RecordMetadata>((resolve, reject) => {
        this.doSend(sent, (err, md) => settle(err, md, () => (err !== null ? reject(err) : resolve(md as RecordMetadata))), null, null, ctx)
      })
      p.catch(noop)
      return p
    } finally {
      sendTracing.end.publish(ctx)
    }
  }

  private failEarly(err: Error, callback: SendCallback | null, reject: ((e: Error) => void) | null): void {
    this.metricsState.countErrors(1)
    this.logger.debug('send rejected', { error: err })
    if (this.interceptors.hasAck) this.interceptors.onAcknowledgement(null, err)
    if (callback !== null) {
      // Callbacks always run asynchronously, never inside send(); flush() waits for them.
      this.earlyCallbacksPending++
      process.nextTick(() => {
        try {
          callback(err, null)
        } catch (e) {
          this.listener.onCallbackError(e)
        } finally {
          if (--this.earlyCallbacksPending === 0 && this.earlyCallbackWaiters.length > 0) {
            const waiters = this.earlyCallbackWaiters
            this.earlyCallbackWaiters = []
            for (const w of waiters) w()
          }
        }
      })
    } else reject?.(err)
  }

  // send() never throws: an internal step that throws (a bug, or an interceptor/partitioner the
  // guards below missed) rejects this record instead of escaping to the caller.
  private doSend(input: ProducerRecord<K, V>, callback: SendCallback | null, resolve: ((m: RecordMetadata) => void) | null, reject: ((e: Error) => void) | null, trace: SendTraceContext | null): void {
    try {
      this.trySend(input, callback, resolve, reject, trace)
    } catch (err) {
      this.logger.error('internal error in send(); failing the record', { error: err })
      this.failEarly(err instanceof KafkaWireError ? err : new KafkaWireError(`internal error in send(): ${err instanceof Error ? err.message : String(err)}`, { cause: err }), callback, reject)
    }
  }

  private trySend(input: ProducerRecord<K, V>, callback: SendCallback | null, resolve: ((m: RecordMetadata) => void) | null, reject: ((e: Error) => void) | null, trace: SendTraceContext | null): void {
    const startMs = this.clock.now()
    if (this.state !== 'open') return this.failEarly(new ProducerClosedError('cannot send: the producer is closed or closing'), callback, reject)
    const fatal = this.idempotence?.fatalError
    if (fatal !== null && fatal !== undefined) return this.failEarly(fatal, callback, reject)
    if (this.txn !== null) {
      const refused = this.txn.sendError()
      if (refused !== null) return this.failEarly(refused, callback, reject)
    }
    this.preparation.prepare(input, new PreparedRecord(startMs, callback, resolve, reject, trace))
  }

  /** A record left preparation (in send order): partition it and append it, or wait for metadata/memory. */
  private onPrepared(r: PreparedRecord): void {
    if (this.state === 'closed') return this.failEarly(new ProducerClosedError('the producer closed before the record could be buffered'), r.callback, r.reject)
    if (this.txn !== null) {
      const refused = this.txn.appendError()
      if (refused !== null) return this.failEarly(refused, r.callback, r.reject)
    }
    this.metricsState.recordSize.record(r.size)
    if (channels.send.hasSubscribers) channels.send.publish({ topic: r.topic, partition: r.explicitPartition, key: r.key, value: r.value, headers: r.headers })
    const t = this.metadata.get(r.topic)
    if (t !== undefined) t.lastUsedMs = r.startMs
    // Fast path: metadata known, nobody blocked ahead of us (per-partition order), memory available.
    if (t !== undefined && !this.blockedByTopic.has(r.topic)) {
      const partition = this.choosePartition(t, r.topic, r.explicitPartition, r.key, r.value)
      if (partition instanceof Error) return this.failEarly(partition, r.callback, r.reject)
      if (this.appendNow(t, partition, r.topic, r.key, r.value, r.headers, r.timestamp, r.size, r.startMs, r.callback, r.resolve, r.reject)) return
    }
    this.sendBlocked(r)
  }

  private choosePartition(t: TopicMetadata, topic: string, explicit: number | undefined, key: Buffer | null, value: Buffer | null): number | Error {
    const n = t.numPartitions
    if (explicit !== undefined) return explicit < n ? explicit : new InvalidPartitionError(topic, explicit, n)
    if (this.customPartitioner !== undefined) {
      let p: number | undefined
      try {
        p = this.customPartitioner({ topic, key, value, numPartitions: n, availablePartitions: t.available })
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err))
      }
      if (p !== undefined && p !== -1) {
        if (!Number.isInteger(p) || p < 0) return new InvalidPartitionError(topic, p)
        if (p >= n) return new InvalidPartitionError(topic, p, n)
        return p
      }
    }
    if (key !== null && !this.config.partitionerIgnoreKeys) return partitionForKey(key, n)
    return -1 // sticky, chosen at append
  }

  /** Appends if it can be done without waiting; false when memory must be waited for. */
  private appendNow(t: TopicMetadata, partition: number, topic: string, key: Buffer | null, value: Buffer | null, headers: HeaderPair[] | null, timestamp: number, size: number, nowMs: number, callback: SendCallback | null, resolve: ((m: RecordMetadata) => void) | null, reject: ((e: Error) => void) | null): boolean {
    const acc = this.accumulator
    const sticky = partition < 0
    const p = sticky ? acc.sticky(topic).current(t.numPartitions, t.available) : partition
    const q = acc.queue(topic, p)
    const before = sticky ? openBatchBytes(q) : 0
    const r = acc.append(q, timestamp, key, value, headers, size, nowMs, callback, resolve, reject)
    if (r === null) return false
    if (this.txn !== null) this.txn.addPartition(q)
    if (r.batch !== null) this.onBatchCreated(r, nowMs)
    if (sticky) this.afterStickyAppend(t, q, p, appendedBytes(q, r, before))
    return true
  }

  /** Numbers a new batch and wakes the sender now (a batch is full) or when its linger ends. */
  private onBatchCreated(r: AppendResult, nowMs: number): void {
    if (r.batch !== null) r.batch.id = ++this.batchCounter
    if (r.batchFull) this.sender.wakeup()
    else this.sender.wakeAt(nowMs + this.config.lingerMs)
  }

  /** `bytes`: what the append grew the partition's batches by (see {@link appendedBytes}). */
  private afterStickyAppend(t: TopicMetadata, q: PartitionQueue, p: number, size: number): void {
    const last = q.batches[q.batches.length - 1]
    this.accumulator.sticky(q.topic).update(p, size, last === undefined || last.full, t.numPartitions, t.available)
  }

  // The slow path: wait for metadata and/or buffer memory, each send bounded by maxBlockMs from its
  // own send() call.
  private sendBlocked(s: PreparedRecord): void {
    this.blockedCount++
    const queue = this.blockedByTopic.get(s.topic)
    if (queue !== undefined) {
      queue.push(s)
      return
    }
    const q = new SendQueue(s.topic)
    q.push(s)
    this.blockedByTopic.set(s.topic, q)
    const loop = this.serveBlocked(s.topic, q).finally(() => {
      this.blocked.delete(loop)
      if (this.blockedByTopic.get(s.topic) === q) this.blockedByTopic.delete(s.topic)
    })
    this.blocked.add(loop)
  }

  private async serveBlocked(topic: string, q: SendQueue): Promise<void> {
    while (q.length > 0) {
      const s = q.head() as BlockedSend
      try {
        // Most queued sends need no waiting once memory for their batch was granted to the send
        // before them: append those synchronously (no promise or microtask per record).
        const quick = this.state === 'closed' ? undefined : this.appendQueuedNow(s)
        if (quick !== true) await this.appendBlocked(s, quick)
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err))
        if (e instanceof TimeoutError) this.logger.debug('send blocked past maxBlockMs', { topic, error: e })
        this.failEarly(e, s.callback, s.reject)
      }
      q.shift()
      this.blockedCount--
      if (q.length === 0) this.blockedByTopic.delete(topic)
    }
  }

  /**
   * A queued send's append when nothing needs waiting for: true when appended, the chosen
   * partition when memory must be waited for, undefined when metadata is missing. Throws for a
   * send that must fail (e.g. its partition does not exist).
   */
  private appendQueuedNow(s: BlockedSend): true | { t: TopicMetadata; partition: number } | undefined {
    const t = this.metadata.get(s.topic)
    if (t === undefined) return undefined
    const partition = this.choosePartition(t, s.topic, s.explicitPartition, s.key, s.value)
    if (partition instanceof Error) throw partition
    if (this.appendNow(t, partition, s.topic, s.key, s.value, s.headers, s.timestamp, s.size, this.clock.now(), s.callback, s.resolve, s.reject)) return true
    return { t, partition }
  }

  /** Waits for metadata (unless `known`) and memory, then appends. */
  private async appendBlocked(s: BlockedSend, known?: { t: TopicMetadata; partition: number }): Promise<void> {
    if (this.state === 'closed') throw new ProducerClosedError('the producer closed before the record could be buffered')
    const refused = this.txn?.appendError()
    if (refused !== null && refused !== undefined) throw refused
    let t: TopicMetadata
    let partition: number
    if (known !== undefined) {
      t = known.t
      partition = known.partition
    } else {
      t = this.metadata.get(s.topic) ?? (await this.metadata.waitFor(s.topic, Date.now() - s.startMs))
      const chosen = this.choosePartition(t, s.topic, s.explicitPartition, s.key, s.value)
      if (chosen instanceof Error) throw chosen
      partition = chosen
      if (this.appendNow(t, partition, s.topic, s.key, s.value, s.headers, s.timestamp, s.size, Date.now(), s.callback, s.resolve, s.reject)) return
    }
    const bytes = this.accumulator.batchBytesFor(s.size)
    await this.pool.allocate(bytes, Date.now() - s.startMs)
    if (this.isClosed()) {
      this.pool.release(bytes)
      throw new ProducerClosedError('the producer closed before the record could be buffered')
    }
    // Memory granted: the record may fit an open batch after all; else the new batch uses it.
    const p = partition < 0 ? this.accumulator.sticky(s.topic).current(t.numPartitions, t.available) : partition
    const q = this.accumulator.queue(s.topic, p)
    const now = Date.now()
    const before = openBatchBytes(q)
    const late = this.txn?.appendError()
    if (late !== null && late !== undefined) {
      this.pool.release(bytes)
      throw late
    }
    const r = this.accumulator.append(q, s.timestamp, s.key, s.value, s.headers, s.size, now, s.callback, s.resolve, s.reject, bytes)
    if (r !== null && this.txn !== null) this.txn.addPartition(q)
    if (r !== null && r.batch !== null) this.onBatchCreated(r, now)
    if (r !== null && partition < 0) this.afterStickyAppend(t, q, p, appendedBytes(q, r, before))
  }

  /**
   * Resolves once every record sent before this call is settled (delivered or failed). Batches are
   * sent without waiting for `lingerMs` while a flush is in progress.
   */
  async flush(): Promise<void> {
    const nothingPending = this.preparation.waiting === 0 && this.blockedByTopic.size === 0 && this.accumulator.incomplete.size === 0 && this.earlyCallbacksPending === 0
    if (nothingPending) return
    const watchdog = this.watchStuck('flush()')
    try {
      // Records still in an asynchronous serializer first (only those sent before this call).
      if (this.preparation.waiting > 0) await this.preparation.drained()
      // Sends still waiting for metadata or memory first (only those made before this call).
      if (this.blockedByTopic.size > 0) await Promise.all([...this.blockedByTopic.values()].map((q) => q.waitServed(q.pushed)))
      const upTo = this.batchCounter
      if (this.oldestIncompleteId() <= upTo) {
        this.sender.flushing++
        this.sender.wakeup()
        try {
          await new Promise<void>((resolve) => this.flushWaiters.push({ upTo, resolve }))
        } finally {
          this.sender.flushing--
        }
      }
      // Sends rejected before reaching a batch call back on the next tick: settle those too.
      if (this.earlyCallbacksPending > 0) await new Promise<void>((resolve) => this.earlyCallbackWaiters.push(resolve))
    } finally {
      clearInterval(watchdog)
    }
  }

  /**
   * Every wait behind flush() is bounded (a blocked send by maxBlockMs, a batch by deliveryTimeoutMs,
   * a request by requestTimeoutMs), so a flush still waiting past their sum is a bug: say so, with
   * the internal counts, instead of hanging silently. Never resolves anything falsely.
   */
  private watchStuck(what: string): NodeJS.Timeout {
    const c = this.config
    const limitMs = Math.min(c.maxBlockMs + c.deliveryTimeoutMs + c.requestTimeoutMs, MAX_TIMER_MS)
    const started = Date.now()
    const timer = setInterval(() => {
      this.logger.error(`${what} has waited ${Date.now() - started} ms, past maxBlockMs + deliveryTimeoutMs + requestTimeoutMs (${limitMs} ms); please report this kafka-wire bug with this state`, { state: this.debugState() })
    }, limitMs)
    // A diagnostic must not keep the process alive by itself.
    timer.unref()
    return timer
  }

  private isClosed(): boolean {
    return this.state === 'closed'
  }

  // Split batches are added late to the set, so take the minimum (only while a flush waits).
  private oldestIncompleteId(): number {
    let min = Infinity
    for (const b of this.accumulator.incomplete) if (b.id < min) min = b.id
    return min
  }

  private checkFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return
    const oldest = this.oldestIncompleteId()
    const still: typeof this.flushWaiters = []
    for (const w of this.flushWaiters) {
      if (oldest > w.upTo) w.resolve()
      else still.push(w)
    }
    this.flushWaiters = still
  }

  /**
   * Stops accepting records (new sends reject with `ProducerClosedError`), sends what is buffered and
   * waits up to `timeoutMs` for it to settle; whatever is still pending then fails with
   * `ProducerClosedError`. Connections and timers are released. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closePromise !== null) return this.closePromise
    const timeoutMs = options.timeoutMs
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 0)) throw new InvalidArgumentError(`close({ timeoutMs }): expected a non-negative integer, got ${String(timeoutMs)}`)
    this.state = 'closing'
    this.sender.closing = true
    this.closePromise = this.doClose(timeoutMs)
    return this.closePromise
  }

  private async doClose(timeoutMs: number | undefined): Promise<void> {
    const closedError = new ProducerClosedError('the producer was closed before the record was delivered')
    if (timeoutMs !== 0) {
      let timer: NodeJS.Timeout | undefined
      const drained = this.flush().then(() => true)
      // Node runs a delay above 2^31-1 ms after 1 ms: such a limit means "no limit".
      const limit = timeoutMs === undefined || timeoutMs > MAX_TIMER_MS ? null : new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))
      const ok = limit === null ? await drained : await Promise.race([drained, limit])
      if (timer !== undefined) clearTimeout(timer)
      if (!ok) this.logger.warn('close() timed out; failing pending records', { timeoutMs })
    }
    this.state = 'closed'
    this.txn?.close()
    this.idempotence?.abort(closedError)
    this.preparation.failAll(closedError)
    this.pool.failAll(closedError)
    this.metadata.close(closedError)
    this.sender.failEverything(closedError)
    this.sender.stop()
    for (const w of this.flushWaiters) w.resolve()
    this.flushWaiters = []
    // Blocked sends settle now (metadata and memory waits were failed above).
    if (this.blocked.size > 0) await Promise.allSettled([...this.blocked])
    await this.transport.close()
  }

  /**
   * Counts of the internal queues (batches, blocked sends, memory waiters, flush waiters): what a
   * stuck `flush()` is waiting for. Cheap enough to call from a test or a watchdog, not per record.
   */
  debugState(): ProducerDebugState {
    const acc = this.accumulator
    const queued = new Set<ProducerBatch>()
    for (const q of acc.nonEmpty) for (const b of q.batches) queued.add(b)
    const inFlight = this.sender.inFlightBatches()
    let queuedBatches = 0
    let inFlightBatches = 0
    let orphanBatches = 0
    for (const b of acc.incomplete) {
      if (queued.has(b)) queuedBatches++
      else if (inFlight.has(b)) inFlightBatches++
      else orphanBatches++
    }
    const wake = this.sender.wakeState
    return {
      state: this.state,
      batchCounter: this.batchCounter,
      incompleteBatches: acc.incomplete.size,
      oldestIncompleteId: this.oldestIncompleteId(),
      queuedBatches,
      inFlightBatches,
      inFlightRequests: this.sender.requestsInFlight,
      orphanBatches,
      blockedSends: this.blockedCount,
      blockedTopics: this.blockedByTopic.size,
      poolWaiters: this.pool.queued,
      bufferAvailable: this.pool.availableMemory,
      flushWaiters: this.flushWaiters.length,
      earlyCallbacksPending: this.earlyCallbacksPending,
      senderImmediatePending: wake.immediatePending,
      senderTimerInMs: wake.timerAtMs === Infinity ? Infinity : wake.timerAtMs - Date.now(),
    }
  }

  // ---- transactions (issue 14; docs/transactions.md) ----------------------------------------------

  private transactional(method: string): TransactionManager {
    if (this.txn === null) throw new TransactionStateError('none', `${method} needs a transactional producer (option transactionalId, Java transactional.id)`)
    return this.txn
  }

  /** Where the transactional producer is (see {@link TransactionState}); `'none'` without `transactionalId`. */
  get transactionState(): TransactionState | 'none' {
    return this.txn?.state ?? 'none'
  }

  /**
   * Java `initTransactions()`: once, before the first transaction. Finds the transaction coordinator
   * and gets the producer id of `transactionalId`, fencing any older producer with the same id (its
   * open transaction is aborted). Rejects with `TimeoutError` after `maxBlockMs` (call it again),
   * `ProducerFencedError` or an authorization error (fatal).
   */
  async initTransactions(): Promise<void> {
    return this.transactional('initTransactions()').initTransactions()
  }

  /** Java `beginTransaction()`: opens a transaction; `send()` is allowed until it is committed or aborted. Throws `TransactionStateError` in the wrong state. */
  beginTransaction(): void {
    this.transactional('beginTransaction()').beginTransaction()
  }

  /**
   * Java `sendOffsetsToTransaction()`: commits the consumer group's offsets with the transaction
   * (consume-transform-produce). `offset` is the next offset to consume. Rejects with
   * `TransactionAbortableError` (abort, then go on) or a fatal error.
   */
  async sendOffsetsToTransaction(offsets: readonly TransactionOffset[], group: TransactionGroupMetadata): Promise<void> {
    return this.transactional('sendOffsetsToTransaction()').sendOffsetsToTransaction(offsets, group)
  }

  /**
   * Java `commitTransaction()`: sends every buffered record of the transaction, waits for them, then
   * commits. Rejects with `TransactionAbortableError` if a record failed (call `abortTransaction()`),
   * `TimeoutError` after `maxBlockMs` (the commit goes on: call it again to learn its outcome), or a
   * fatal error (`ProducerFencedError`, …).
   */
  async commitTransaction(): Promise<void> {
    return this.transactional('commitTransaction()').commitTransaction()
  }

  /**
   * Java `abortTransaction()`: records not yet sent fail with `TransactionAbortedError`, records in
   * flight are waited for, then the transaction is aborted: read_committed consumers never see it.
   */
  async abortTransaction(): Promise<void> {
    return this.transactional('abortTransaction()').abortTransaction()
  }

  /** A plain snapshot of the producer's metrics, under the Java producer's metric names. */
  metrics(): ProducerMetricsSnapshot {
    return this.metricsState.snapshot({
      bufferTotal: this.pool.totalMemory,
      bufferAvailable: this.pool.availableMemory,
      waiting: this.blockedCount,
      pending: this.accumulator.incomplete.size + this.blockedCount,
      inFlight: this.sender.requestsInFlight,
      metadataAgeMs: this.metadata.ageMs(),
    })
  }
}

/** Bytes of the partition's open batch so far (0 when none). */
function openBatchBytes(q: PartitionQueue): number {
  return q.openBatch?.sizeInBytes ?? 0
}

/**
 * What one append added to the partition, counted like Java's RecordAccumulator for the sticky
 * partitioner: the open batch's growth, or a new batch's whole size (header included,
 * `appendNewBatch` → `batch.estimatedSizeInBytes()`). Not the record's upper-bound estimate, which
 * would switch partitions after fewer bytes than Java.
 */
function appendedBytes(q: PartitionQueue, r: AppendResult, before: number): number {
  if (r.batch !== null) return r.batch.sizeInBytes
  return openBatchBytes(q) - before
}
