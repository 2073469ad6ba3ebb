/** Turns the network layer's frame trace into annotated dump text on an output stream. */
import type { FrameMeta, TraceHook } from '../../network/connection.js'
import type { Style, TextOut } from '../io.js'
import { type ApiLookup, decodeFrame } from './frame.js'
import { renderFrame } from './render.js'

/** Options of {@link DumpPrinter}. */
export interface DumpPrinterOptions {
  readonly out: TextOut
  readonly style: Style
  readonly lookup: ApiLookup
  /** Only frames of these api keys (all when undefined). */
  readonly apiKeys?: ReadonlySet<number>
  /** Only requests (`send`) or responses (`receive`) (both when undefined). */
  readonly direction?: 'send' | 'receive'
}

/** Prints every traced frame as it passes. */
export class DumpPrinter {
  /** Frames printed so far. */
  frames = 0

  constructor(private readonly options: DumpPrinterOptions) {}

  /**
   * A trace hook for connections to `broker` (unnamed when one hook serves a whole pool). Frames
   * are decoded at once: their buffers may be reused.
   */
  hook(broker?: string): TraceHook {
    return (direction: 'send' | 'receive', frame: Uint8Array, meta: FrameMeta) => {
      const o = this.options
      if (o.apiKeys !== undefined && !o.apiKeys.has(meta.apiKey)) return
      if (o.direction !== undefined && o.direction !== direction) return
      const decoded = decodeFrame({ direction, frame, broker, apiKey: meta.apiKey, apiVersion: meta.apiVersion, correlationId: meta.correlationId }, o.lookup)
      o.out.write(`${renderFrame(decoded, o.style)}\n`)
      this.frames++
    }
  }
}
