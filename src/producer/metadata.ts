/** The producer's metadata cache: topics on demand, leaders with their epochs, refresh policy. */
import { ERROR_BY_NAME, errorInfo } from '../protocol/errors.js'
import { backoffMs } from '../network/backoff.js'
import { TimeoutError, TopicMetadataError } from './errors.js'
import { NetworkError } from '../network/errors.js'
import { TOPIC_AUTHORIZATION_FAILED, TopicAuthorizationFailedError } from '../protocol/authorization-errors.js'
import type { ProducerLogger } from './logger.js'
import type { MetadataResult, ProducerTransport } from './transport.js'

/** What the producer knows about one topic. */
export class TopicMetadata {
  readonly topic: string
  readonly numPartitions: number
  /** Leader node id per partition, -1 when unknown. */
  readonly leaders: Int32Array
  readonly leaderEpochs: Int32Array
  /** Partitions with a known leader (the sticky partitioner picks among these). */
  available: number[]
  /** KIP-516 topic id, '' when unknown. */
  topicId = ''
  /** When a record was last sent to the topic (Java `metadata.max.idle.ms` expiry). */
  lastUsedMs = 0

  constructor(topic: string, numPartitions: number) {
    this.topic = topic
    this.numPartitions = numPartitions
    this.leaders = new Int32Array(numPartitions).fill(-1)
    this.leaderEpochs = new Int32Array(numPartitions).fill(-1)
    this.available = []
  }

  recomputeAvailable(): void {
    const a: number[] = []
    for (let p = 0; p < this.numPartitions; p++) if ((this.leaders[p] as number) >= 0) a.push(p)
    this.available = a
  }
}

interface Waiter {
  resolve: (m: TopicMetadata) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
}

// Topic errors that no retry fixes (Java: InvalidTopicException, TopicAuthorizationException).
const FATAL_TOPIC_ERRORS = new Set([ERROR_BY_NAME.INVALID_TOPIC_EXCEPTION?.code ?? 17, ERROR_BY_NAME.TOPIC_AUTHORIZATION_FAILED?.code ?? 29])

/** Refresh policy of {@link ProducerMetadata} (from the producer's configuration). */
export interface MetadataPolicy {
  /** `metadataMaxAgeMs`: periodic refresh. */
  readonly maxAgeMs: number
  /** `metadataMaxIdleMs`: a topic not sent to for this long is dropped from refreshes. */
  readonly maxIdleMs: number
  /** First refresh backoff, and the minimum spacing of refreshes. */
  readonly retryBackoffMs: number
  /** Cap of the exponential refresh backoff after consecutive failed refreshes. */
  readonly retryBackoffMaxMs: number
  /** Bound of a wait for an unknown topic. */
  readonly maxBlockMs: number
  /** Clock (tests). */
  readonly now?: () => number
}
/** Cap of the back-off after authentication failures (Java `reconnect.backoff.max.ms` default). */
const AUTH_FAILURE_BACKOFF_MAX_MS = 1000

/**
 * The producer's metadata cache (Java `ProducerMetadata`): topics are fetched on demand, refreshed on
 * errors and every `metadataMaxAgeMs`. Waiters for an unknown topic are bounded by `maxBlockMs`.
 */
export class ProducerMetadata {
  private readonly topics = new Map<string, TopicMetadata>()
  private readonly wanted = new Set<string>()
  private readonly waiters = new Map<string, Waiter[]>()
  private readonly lastErrors = new Map<string, string>()
  private inProgress = false
  private pending = false
  private retryTimer: NodeJS.Timeout | null = null
  private lastRefreshMs = 0
  private lastAttemptMs = 0
  /** Consecutive refreshes that failed or left something missing (exponential backoff). */
  private failures = 0
  private closed = false
  private readonly maxAgeMs: number
  private readonly maxIdleMs: number
  private readonly retryBackoffMs: number
  private readonly retryBackoffMaxMs: number
  private readonly maxBlockMs: number
  private readonly now: () => number
  /**
   * Issue 13: the last authentication failure (SASL, TLS). Sends arriving before `untilMs` fail
   * with it at once instead of opening a new connection each (no reconnect storm); the back-off
   * doubles per consecutive failure, and a successful refresh clears it.
   */
  private authFailure: { error: Error; untilMs: number; count: number } | undefined

  constructor(
    private readonly transport: ProducerTransport,
    policy: MetadataPolicy,
    private readonly logger: ProducerLogger,
    /** Called after each successful update (the sender wakes up). */
    private readonly onUpdate: () => void,
  ) {
    this.maxAgeMs = policy.maxAgeMs
    this.maxIdleMs = policy.maxIdleMs
    this.retryBackoffMs = policy.retryBackoffMs
    this.retryBackoffMaxMs = policy.retryBackoffMaxMs
    this.maxBlockMs = policy.maxBlockMs
    this.now = policy.now ?? Date.now
  }

  /** Consecutive refreshes that failed or left a leader or topic missing. */
  get refreshFailures(): number {
    return this.failures
  }

  /** Topics refreshed by the next update. */
  get refreshedTopics(): string[] {
    return [...this.wanted]
  }

  /**
   * Keeps `topic` in the refreshes (the sender has batches for it): a topic dropped as idle while
   * records still wait is fetched again.
   */
  want(topic: string): void {
    if (this.wanted.has(topic)) return
    this.wanted.add(topic)
    this.requestUpdate()
  }

  /** Cached metadata of a topic, if any. */
  get(topic: string): TopicMetadata | undefined {
    return this.topics.get(topic)
  }

  /** Milliseconds since the last successful refresh. */
  ageMs(now = Date.now()): number {
    return this.lastRefreshMs === 0 ? 0 : now - this.lastRefreshMs
  }

  /**
   * Waits for metadata of `topic` (auto-created by the broker if allowed), up to `maxBlockMs` minus
   * what the caller already waited. Rejects with `TimeoutError` naming the topic and `maxBlockMs`, or
   * at once with `TopicMetadataError` for an invalid or unauthorized topic.
   */
  waitFor(topic: string, alreadyWaitedMs = 0): Promise<TopicMetadata> {
    const known = this.topics.get(topic)
    if (known !== undefined) {
      known.lastUsedMs = this.now()
      return Promise.resolve(known)
    }
    if (this.authFailure !== undefined && this.now() < this.authFailure.untilMs) return Promise.reject(this.authFailure.error)
    this.wanted.add(topic)
    return new Promise<TopicMetadata>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const list = this.waiters.get(topic)
          if (list !== undefined) {
            const i = list.indexOf(waiter)
            if (i >= 0) list.splice(i, 1)
            if (list.length === 0) this.waiters.delete(topic)
          }
          const last = this.lastErrors.get(topic)
          reject(new TimeoutError('maxBlockMs', this.maxBlockMs, `topic "${topic}" not present in metadata after maxBlockMs${last !== undefined ? ` (last error: ${last})` : ''}`))
        }, Math.max(0, this.maxBlockMs - alreadyWaitedMs)),
      }
      let list = this.waiters.get(topic)
      if (list === undefined) this.waiters.set(topic, (list = []))
      list.push(waiter)
      this.requestUpdate()
    })
  }

  /** Asks for a refresh of every known topic (coalesced; at most one per `retryBackoffMs`). */
  requestUpdate(): void {
    if (this.closed) return
    this.pending = true
    if (this.inProgress || this.retryTimer !== null) return
    // After consecutive failures the spacing grows exponentially (Java ExponentialBackoff).
    const spacing = this.failures === 0 ? this.retryBackoffMs : backoffMs(this.failures, this.retryBackoffMs, Math.max(this.retryBackoffMs, this.retryBackoffMaxMs))
    const wait = this.lastAttemptMs + spacing - this.now()
    if (wait > 0) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null
        void this.refresh()
      }, wait)
      return
    }
    void this.refresh()
  }

  /** Refreshes when the cache is older than `metadataMaxAgeMs` (called from the sender loop). */
  maybeRefresh(now: number): void {
    if (this.topics.size > 0 && now - this.lastRefreshMs >= this.maxAgeMs) this.requestUpdate()
  }

  /** KIP-951: the broker told us the new leader with NOT_LEADER_OR_FOLLOWER; use it without a refresh. */
  updateLeader(topic: string, partition: number, leaderId: number, leaderEpoch: number): boolean {
    const t = this.topics.get(topic)
    if (t === undefined || partition >= t.numPartitions) return false
    if (leaderEpoch < (t.leaderEpochs[partition] as number)) return false
    t.leaders[partition] = leaderId
    t.leaderEpochs[partition] = leaderEpoch
    t.recomputeAvailable()
    return true
  }

  /** Forgets the leader of a partition (so nothing is sent to it until the next refresh). */
  invalidateLeader(topic: string, partition: number): void {
    const t = this.topics.get(topic)
    if (t === undefined || partition >= t.numPartitions) return
    t.leaders[partition] = -1
    t.recomputeAvailable()
  }

  /** Stops timers and fails waiters. */
  close(err: Error): void {
    this.closed = true
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    for (const list of this.waiters.values()) {
      for (const w of list) {
        clearTimeout(w.timer)
        w.reject(err)
      }
    }
    this.waiters.clear()
  }

  private async refresh(): Promise<void> {
    if (this.closed || this.inProgress) return
    this.inProgress = true
    this.pending = false
    this.lastAttemptMs = this.now()
    this.expireIdle(this.lastAttemptMs)
    const topics = [...this.wanted]
    let again = false
    try {
      const res = await this.transport.metadata(topics)
      if (this.closed) return
      again = this.apply(res)
      this.lastRefreshMs = this.now()
      this.failures = again ? this.failures + 1 : 0
      this.authFailure = undefined
    } catch (err) {
      if (err instanceof NetworkError && !err.retriable) {
        // Issue 13: an authentication failure (SASL, TLS) will not go away by retrying: every
        // waiting send fails with it now; a later send asks again (one attempt, no storm).
        this.logger.error('metadata request failed with a non-retriable error', { error: err.message })
        const count = (this.authFailure?.count ?? 0) + 1
        const backoff = backoffMs(count, Math.max(1, this.retryBackoffMs), AUTH_FAILURE_BACKOFF_MAX_MS)
        this.authFailure = { error: err, untilMs: this.now() + backoff, count }
        for (const t of topics) this.lastErrors.set(t, `${err.name}: ${err.message}`)
        for (const t of [...this.waiters.keys()]) this.failWaiters(t, err)
        return
      }
      again = true
      this.failures++
      this.logger.debug('metadata request failed; will retry', { topics, error: err })
      for (const t of topics) this.lastErrors.set(t, err instanceof Error ? `${err.name}: ${err.message}` : String(err))
    } finally {
      this.inProgress = false
    }
    this.onUpdate()
    if (again || this.pending || this.waiters.size > 0) this.requestUpdate()
  }

  // Java ProducerMetadata.retainTopic: a topic nobody sent to for metadataMaxIdleMs, and that nobody
  // waits for, is no longer refreshed (it comes back on the next send).
  private expireIdle(now: number): void {
    for (const topic of this.wanted) {
      const t = this.topics.get(topic)
      if (t === undefined || this.waiters.has(topic) || now - t.lastUsedMs <= this.maxIdleMs) continue
      this.wanted.delete(topic)
      this.topics.delete(topic)
      this.logger.debug('topic idle past metadataMaxIdleMs; no longer refreshed', { topic, idleMs: now - t.lastUsedMs })
    }
  }

  /** Applies a response; true when another refresh is needed (missing leaders, retriable errors). */
  private apply(res: MetadataResult): boolean {
    this.transport.updateBrokers(res.brokers, true)
    let again = false
    for (const t of res.topics) {
      if (t.errorCode !== 0) {
        const info = errorInfo(t.errorCode)
        this.lastErrors.set(t.topic, `${info.name} (${t.errorCode})`)
        if (FATAL_TOPIC_ERRORS.has(t.errorCode)) {
          this.wanted.delete(t.topic)
          this.topics.delete(t.topic)
          this.failWaiters(t.topic, t.errorCode === TOPIC_AUTHORIZATION_FAILED ? new TopicAuthorizationFailedError(`metadata for topic "${t.topic}"`) : new TopicMetadataError(t.topic, `${info.name} (${t.errorCode})`))
        } else again = true
        continue
      }
      if (t.partitions.length === 0) {
        again = true
        continue
      }
      const prev = this.topics.get(t.topic)
      // A recreated topic (new id) starts over: its leader epochs restart.
      const old = prev !== undefined && (t.topicId === undefined || prev.topicId === '' || prev.topicId === t.topicId) ? prev : undefined
      const n = Math.max(t.partitions.length, old?.numPartitions ?? 0)
      const md = old !== undefined && old.numPartitions === n ? old : new TopicMetadata(t.topic, n)
      if (t.topicId !== undefined) md.topicId = t.topicId
      md.lastUsedMs = prev?.lastUsedMs ?? this.now()
      for (const p of t.partitions) {
        if (p.partition < 0 || p.partition >= n) continue
        // KIP-320/951: a response from a broker with older metadata must not undo a newer leader.
        // Java (Metadata.updateLatestMetadata, apache/kafka clients/src/main/java/org/apache/kafka/
        // clients/Metadata.java) takes a partition when no epoch was seen, when the topic id changed,
        // when the epoch is >= the last seen one, or when it carries no epoch (that forgets the last
        // seen one); otherwise it keeps its cached partition, leader included. Java never forgets a
        // leader on its own; we do (invalidateLeader after NOT_LEADER_OR_FOLLOWER or a connection
        // failure to it), so "keep the cached partition" would keep no leader, and one corrupt
        // (bit-flipped) huge epoch would reject every later response: the partition would never be
        // sent to again (issue 18). So the epoch only protects a leader we still have; with none,
        // the response is the broker's current view and is taken, epoch included. That is safe:
        // Produce carries no leader epoch, a broker that is not the leader refuses the write
        // (NOT_LEADER_OR_FOLLOWER, KIP-951 hint), so the worst case is one more round trip.
        const known = old !== undefined && p.partition < old.numPartitions ? (old.leaderEpochs[p.partition] as number) : -1
        const kept = old !== undefined && p.partition < old.numPartitions ? (old.leaders[p.partition] as number) : -1
        if (p.leaderEpoch >= 0 && known > p.leaderEpoch && kept >= 0) {
          if (md !== old) {
            md.leaders[p.partition] = kept
            md.leaderEpochs[p.partition] = known
          }
          continue
        }
        const leader = p.errorCode === 0 || p.leaderId >= 0 ? p.leaderId : -1
        md.leaders[p.partition] = leader
        md.leaderEpochs[p.partition] = p.leaderEpoch
        if (leader < 0) again = true
      }
      md.recomputeAvailable()
      this.topics.set(t.topic, md)
      this.lastErrors.delete(t.topic)
      const list = this.waiters.get(t.topic)
      if (list !== undefined) {
        this.waiters.delete(t.topic)
        for (const w of list) {
          clearTimeout(w.timer)
          w.resolve(md)
        }
      }
    }
    return again
  }

  private failWaiters(topic: string, err: Error): void {
    const list = this.waiters.get(topic)
    if (list === undefined) return
    this.waiters.delete(topic)
    for (const w of list) {
      clearTimeout(w.timer)
      w.reject(err)
    }
  }
}
