/**
 * A millisecond clock for the per-record path. `Date.now()` costs a call into the runtime that
 * showed up as several percent of CPU at a million records per second; this reads it at most once
 * per 32 calls and never across a turn of the event loop (a microtask marks the cached reading
 * stale), so a reading is never older than one synchronous burst of 32 sends.
 */
export class RecordClock {
  private cached = 0
  private calls = 0
  private fresh = false
  private readonly expire = (): void => {
    this.fresh = false
  }

  /** Milliseconds since the epoch, as `Date.now()`, at most a few dozen records stale. */
  now(): number {
    if (!this.fresh || (++this.calls & 31) === 0) {
      this.cached = Date.now()
      if (!this.fresh) {
        this.fresh = true
        queueMicrotask(this.expire)
      }
    }
    return this.cached
  }
}
