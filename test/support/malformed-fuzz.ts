/**
 * The issue-18 fuzz loop: fresh idempotent producers against {@link ReplayBroker}s that mutate one
 * response per connection, checking after each run every property the issue asks for. Shared by
 * the bounded CI test (test/integration/malformed-responses.test.ts) and the soak
 * (`npm run soak:malformed`).
 *
 * One iteration = one producer's life: 1-2 connections each get one mutated response while three
 * records are sent; then the replay broker turns sane and one more record must be acknowledged;
 * then `close()`. Every iteration has its own replay broker seeded from (seed, iteration), so a
 * violation is reproduced by running that seed and iteration alone.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type Logger, Producer } from '../../src/index.js'
import { KafkaWireError } from '../../src/kafka-wire-error.js'
import { type AppliedMutation, type MutationKind, type Recording, ReplayBroker, rng } from './replay-broker.js'

/** What went wrong in one iteration. */
export type ViolationKind =
  /** A send did not settle within its timeouts (plus a generous margin). */
  | 'unsettled'
  /** An exception or rejection nobody handled. */
  | 'uncaught'
  /** A send rejected with something that is not a KafkaWireError. */
  | 'untyped-rejection'
  /** The send after the broker became sane failed. */
  | 'no-recovery'
  /** `close()` rejected or did not return. */
  | 'close-failed'
  /** A socket, timer or other handle outlived `close()`. */
  | 'handles-after-close'

/** One violation with what is needed to reproduce it. */
export interface Violation {
  /** The property broken. */
  readonly kind: ViolationKind
  /** Seed of the run. */
  readonly seed: number
  /** Iteration within the seed. */
  readonly iteration: number
  /** What was seen. */
  readonly detail: string
  /** The mutations the replay broker applied in that iteration. */
  readonly mutations: readonly AppliedMutation[]
}

/** Totals of a fuzz run. */
export interface FuzzReport {
  /** Iterations run. */
  iterations: number
  /** Mutations applied. */
  mutations: number
  /** Mutations applied by kind. */
  readonly byKind: Record<string, number>
  /** Sends made (mutating phase and recovery). */
  sends: number
  /** Sends acknowledged. */
  acked: number
  /** Rejections by error class name. */
  readonly rejections: Record<string, number>
  /** Everything that broke a property. */
  readonly violations: Violation[]
  /** RSS after the warm-up iterations, bytes. */
  rssStart: number
  /** RSS at the end, bytes. */
  rssEnd: number
  /** Highest RSS sampled, bytes. */
  rssMax: number
  /** Memory still reachable after a full GC (V8 heap + ArrayBuffers) after the warm-up, bytes. */
  retainedStart: number
  /** The same at the end, after every producer closed, bytes. */
  retainedEnd: number
  /** Wall time, ms. */
  elapsedMs: number
}

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** The responses recorded from the real broker. */
  readonly recording: Recording
  /** Topic the recording was made for. */
  readonly topic: string
  /** Seed of this run. */
  readonly seed: number
  /** Iterations to run. */
  readonly iterations: number
  /** Iterations running at once (1 = each checked for leaked handles on its own). */
  readonly concurrency?: number
  /** Called every `progressEvery` iterations. */
  readonly onProgress?: (report: FuzzReport) => void
  /** Default 1000. */
  readonly progressEvery?: number
  /** Iterations before the RSS baseline is taken (default 5). */
  readonly warmup?: number
  /** First iteration to run (default 0): reproduce one iteration with `from: i, iterations: i + 1`. */
  readonly from?: number
  /** Producer logger (default silent), for reproducing a violation. */
  readonly logger?: Logger
  /** Probability of keeping each mutation kind when its turn comes (default 1 for all). */
  readonly kindWeights?: Partial<Record<MutationKind, number>>
}

/** Producer timeouts: short so runs are quick, generous enough for a loaded 2-core machine. */
export const FUZZ_PRODUCER_TIMEOUTS = {
  requestTimeoutMs: 1500,
  deliveryTimeoutMs: 6000,
  maxBlockMs: 5000,
  socketConnectionSetupTimeoutMs: 1500,
  retryBackoffMs: 5,
  retryBackoffMaxMs: 100,
  lingerMs: 0,
} as const

/** Margin on top of a send's own bound before it counts as unsettled (noisy shared machines). */
const SETTLE_MARGIN_MS = 20_000

/** Resource types of `process.getActiveResourcesInfo()`, counted. */
function resources(): Map<string, number> {
  const m = new Map<string, number>()
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1)
  return m
}

/** Resource types with more entries now than in `before`. */
function grown(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = []
  for (const [k, n] of after) if (n > (before.get(k) ?? 0)) out.push(`${k} +${n - (before.get(k) ?? 0)}`)
  return out
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

type Outcome = { ok: true } | { ok: false; error: unknown } | { ok: false; unsettled: true }

/** Settles `p` or gives up after `ms` (the give-up timer is cleared either way). */
function within(p: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, unsettled: true }), ms)
  })
  const settled = p.then(
    (): Outcome => ({ ok: true }),
    (error: unknown): Outcome => ({ ok: false, error }),
  )
  return Promise.race([settled, limit]).finally(() => clearTimeout(timer))
}

let fullGc: (() => void) | undefined

/**
 * Memory still reachable after two full GCs: V8 heap in use plus ArrayBuffer/Buffer bytes. A leak
 * (a closed producer, its sockets, timers or metadata kept reachable) shows here; RSS does not tell
 * one apart from V8 keeping the heap it grew to while decoding 100,000-partition Metadata responses.
 * `gc` is made available at run time (`--expose-gc` as a V8 flag, then read from a new context).
 */
export function retainedBytes(): number {
  if (fullGc === undefined) {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    if (typeof gc !== 'function') throw new Error('cannot reach V8 gc() for the retained-memory check')
    fullGc = () => void gc()
  }
  fullGc()
  fullGc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}(${e.name}): ${e.message}` : String(e)
}

/** Runs the fuzz loop and returns its report; never throws for a violation (they are in the report). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const concurrency = options.concurrency ?? 1
  const report: FuzzReport = { iterations: 0, mutations: 0, byKind: {}, sends: 0, acked: 0, rejections: {}, violations: [], rssStart: 0, rssEnd: 0, rssMax: 0, retainedStart: 0, retainedEnd: 0, elapsedMs: 0 }
  const started = Date.now()
  const uncaught: string[] = []
  const onUncaught = (e: unknown): void => {
    uncaught.push(describeError(e))
  }
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  const warmup = options.warmup ?? 5
  let next = options.from ?? 0
  try {
    const lane = async (): Promise<void> => {
      for (;;) {
        const iteration = next++
        if (iteration >= options.iterations) return
        await runOne(options, iteration, concurrency === 1, report, uncaught)
        report.iterations++
        const rss = process.memoryUsage.rss()
        if (report.iterations === warmup) {
          report.rssStart = rss
          report.retainedStart = retainedBytes()
        }
        if (rss > report.rssMax) report.rssMax = rss
        if (options.onProgress !== undefined && report.iterations % (options.progressEvery ?? 1000) === 0) options.onProgress(report)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, () => lane()))
    if (concurrency > 1) {
      // Concurrent iterations share the process: check for leftovers once all have closed.
      await tick()
      await tick()
      const left = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout')
      if (left.length > 0) report.violations.push({ kind: 'handles-after-close', seed: options.seed, iteration: -1, detail: `after all iterations: ${left.join(', ')}`, mutations: [] })
    }
  } finally {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onUncaught)
  }
  if (report.rssStart === 0) report.rssStart = process.memoryUsage.rss()
  if (report.retainedStart === 0) report.retainedStart = retainedBytes()
  report.rssEnd = process.memoryUsage.rss()
  report.retainedEnd = retainedBytes()
  report.elapsedMs = Date.now() - started
  return report
}

async function runOne(options: FuzzOptions, iteration: number, checkHandles: boolean, report: FuzzReport, uncaught: string[]): Promise<void> {
  const { seed, topic } = options
  const random = rng((seed * 1_000_003 + iteration) >>> 0)
  const replay = await ReplayBroker.start(options.recording, { seed: Math.floor(random() * 2 ** 32), kindOffset: iteration * 2 + seed, ...(options.kindWeights !== undefined ? { kindWeights: options.kindWeights } : {}) })
  const violations: Omit<Violation, 'seed' | 'iteration' | 'mutations'>[] = []
  const uncaughtBefore = uncaught.length
  try {
    replay.mutateConnections(1 + Math.floor(random() * 2))
    await tick()
    const before = resources()
    const producer = new Producer({
      bootstrapServers: [replay.address],
      clientId: `malformed-${seed}-${iteration}`,
      acks: 'all',
      enableIdempotence: true,
      ...FUZZ_PRODUCER_TIMEOUTS,
      // Warnings (refused addresses) are expected here; the pool tests check their content.
      logger: options.logger ?? {},
    })
    const bound = FUZZ_PRODUCER_TIMEOUTS.deliveryTimeoutMs + FUZZ_PRODUCER_TIMEOUTS.maxBlockMs + SETTLE_MARGIN_MS
    const check = (o: Outcome, phase: string): boolean => {
      report.sends++
      if (o.ok) {
        report.acked++
        return true
      }
      if ('unsettled' in o) {
        violations.push({ kind: 'unsettled', detail: `${phase}: a send did not settle within ${bound} ms` })
        return false
      }
      const name = o.error instanceof Error ? o.error.name : typeof o.error
      report.rejections[name] = (report.rejections[name] ?? 0) + 1
      if (!(o.error instanceof KafkaWireError)) violations.push({ kind: 'untyped-rejection', detail: `${phase}: ${describeError(o.error)}` })
      return false
    }
    const first = await Promise.all([0, 1, 2].map((i) => within(producer.send({ topic, value: `m-${seed}-${iteration}-${i}` }), bound)))
    for (const o of first) check(o, 'mutating phase')
    await replay.sane()
    const recovery = await within(producer.send({ topic, value: `r-${seed}-${iteration}` }), bound)
    if (!check(recovery, 'after the broker became sane') && !recovery.ok && 'error' in recovery) {
      violations.push({ kind: 'no-recovery', detail: describeError(recovery.error) })
    }
    const closed = await within(producer.close({ timeoutMs: 5000 }), 5000 + SETTLE_MARGIN_MS)
    if (!closed.ok) violations.push({ kind: 'close-failed', detail: 'unsettled' in closed ? 'close() did not return' : describeError(closed.error) })
    if (checkHandles) {
      // Destroyed sockets release their handles on the next loop turns; the broker side closes
      // once the client's FIN arrives. Timers must be gone right away.
      await tick()
      await tick()
      const timersNow = grown(before, resources()).filter((g) => g.startsWith('Timeout'))
      const serverLeft = await replay.waitForSocketsClosed(3000)
      await tick()
      const left = [...timersNow, ...grown(before, resources()).filter((g) => !g.startsWith('Timeout'))]
      if (left.length > 0 || serverLeft > 0) {
        violations.push({ kind: 'handles-after-close', detail: `${left.join(', ')}${serverLeft > 0 ? `; ${serverLeft} socket(s) still open at the broker` : ''}` })
      }
    }
  } finally {
    await replay.close()
  }
  for (let i = uncaughtBefore; i < uncaught.length; i++) violations.push({ kind: 'uncaught', detail: uncaught[i] as string })
  report.mutations += replay.applied.length
  for (const m of replay.applied) report.byKind[m.kind] = (report.byKind[m.kind] ?? 0) + 1
  for (const v of violations) report.violations.push({ ...v, seed, iteration, mutations: replay.applied })
}

/** One line per violation kind with its first examples, for test messages and the soak output. */
export function summarizeViolations(violations: readonly Violation[], kinds?: readonly ViolationKind[], examples = 3): string {
  const selected = kinds === undefined ? violations : violations.filter((v) => kinds.includes(v.kind))
  const byKind = new Map<ViolationKind, Violation[]>()
  for (const v of selected) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v])
  const lines: string[] = []
  for (const [kind, list] of byKind) {
    lines.push(`${kind}: ${list.length}`)
    for (const v of list.slice(0, examples)) {
      lines.push(`  seed ${v.seed} iteration ${v.iteration}: ${v.detail} [${v.mutations.map((m) => `conn ${m.connection} ${m.api} ${m.kind} (${m.detail})`).join('; ')}]`)
    }
  }
  return lines.join('\n')
}
