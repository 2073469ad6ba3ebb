/**
 * Array-backed FIFO with a moving head: O(1) push and shift without `Array#shift`'s copying,
 * compacted when the dead prefix dominates. Used for queued and in-flight requests.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = []
  private head = 0

  /** Number of queued items. */
  get length(): number {
    return this.items.length - this.head
  }

  /** Appends at the tail. */
  push(item: T): void {
    this.items.push(item)
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head++
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Removes every item matching `pred`, keeping order; returns the removed items. */
  removeWhere(pred: (item: T) => boolean): T[] {
    const removed: T[] = []
    const kept: (T | undefined)[] = []
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T
      if (pred(item)) removed.push(item)
      else kept.push(item)
    }
    if (removed.length > 0) {
      this.items = kept
      this.head = 0
    }
    return removed
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const all = this.items.slice(this.head) as T[]
    this.items = []
    this.head = 0
    return all
  }

  /** Visits every item, oldest first. */
  forEach(fn: (item: T) => void): void {
    for (let i = this.head; i < this.items.length; i++) fn(this.items[i] as T)
  }
}
