/**
 * The one exponential backoff of the client, as Java's `ExponentialBackoff`: batch retries,
 * InitProducerId and coordinator requests, metadata refreshes and authentication failures
 * (producer), reconnects (network). In the network layer so that both layers use it.
 */

/** Java `CommonClientConfigs.RETRY_BACKOFF_JITTER`: ±20 %. */
const JITTER = 0.2

/**
 * Delay before attempt `attempt + 1` after `attempt` (≥ 1) consecutive failures:
 * `baseMs * 2^(attempt-1)`, capped at `maxMs`, with ±20 % jitter, never above `maxMs`.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)))
  return Math.min(maxMs, exp * (1 - JITTER + random() * 2 * JITTER))
}
