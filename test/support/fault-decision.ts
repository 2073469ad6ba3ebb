/**
 * The fault proxy's decisions: which fault, if any, the n-th Produce request gets under a seed, as a
 * pure function so a seed always yields the same decision sequence.
 */

/** The kinds of fault the proxy injects into Produce requests. */
export type FaultKind = 'corrupt' | 'swallowResponse' | 'dropBeforeForward' | 'delay'

/** Probability of each fault per Produce request (each in [0, 1], summing to at most 1). */
export type FaultRates = Partial<Readonly<Record<FaultKind, number>>>

/** What {@link decideFault} returns for one Produce request. */
export interface FaultDecision {
  /** the fault, or undefined for none */
  readonly kind: FaultKind | undefined
  /** a second uniform draw in [0, 1): delay length, or which batch to corrupt */
  readonly u1: number
  /** a third uniform draw in [0, 1): which byte to corrupt */
  readonly u2: number
}

const KINDS: readonly FaultKind[] = ['corrupt', 'swallowResponse', 'dropBeforeForward', 'delay']

/** lowbias32 (Chris Wellons): a well-mixed 32-bit hash, so decision n does not depend on n-1. */
function hash32(x: number): number {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  h ^= h >>> 15
  h = Math.imul(h, 0x846ca68b)
  h ^= h >>> 16
  return h >>> 0
}

function uniform(seed: number, ordinal: number, salt: number): number {
  return hash32(hash32(seed ^ Math.imul(salt, 0x9e3779b9)) ^ hash32(ordinal + 0x632be5ab)) / 2 ** 32
}

/**
 * The fault for the `ordinal`-th Produce request under `seed`: a pure function, so a seed gives the
 * same decision sequence in every run. (Which request gets which ordinal still depends on the order
 * requests of different connections reach the proxy.)
 */
export function decideFault(seed: number, ordinal: number, rates: FaultRates): FaultDecision {
  const u = uniform(seed, ordinal, 1)
  let acc = 0
  let kind: FaultKind | undefined
  for (const k of KINDS) {
    acc += rates[k] ?? 0
    if (u < acc) {
      kind = k
      break
    }
  }
  return { kind, u1: uniform(seed, ordinal, 2), u2: uniform(seed, ordinal, 3) }
}

/** Throws a RangeError unless every rate is in [0, 1] and they sum to at most 1. */
export function checkRates(rates: FaultRates): void {
  let sum = 0
  for (const k of KINDS) {
    const r = rates[k] ?? 0
    if (!(r >= 0 && r <= 1)) throw new RangeError(`fault rate ${k}=${r} is outside [0, 1]`)
    sum += r
  }
  if (sum > 1 + 1e-9) throw new RangeError(`fault rates sum to ${sum}, above 1`)
}

