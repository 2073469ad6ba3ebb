/**
 * Splits a TCP byte stream into Kafka frames (`int32 size` + `size` bytes, protocol guide
 * "Common Request and Response Structure").
 *
 * Each byte is copied at most once: a frame that lies wholly inside one chunk is handed out as a
 * view of that chunk (zero copy); a frame spread over several chunks is assembled into one buffer
 * allocated exactly once, after its size prefix was checked against the limit. There is no
 * growing accumulation buffer, so many small frames per chunk and one large frame in many chunks
 * are both linear.
 */
import { KafkaWireError } from '../errors.js'

/** Thrown by {@link FrameReader.push} when a size prefix is negative, too small, or above the limit. */
export class FrameSizeError extends KafkaWireError {
  override readonly name = 'FrameSizeError'
  /**
   * @param size the size prefix as read from the wire
   * @param max the configured maximum frame size
   */
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`frame size prefix ${size} outside 4..${max}`)
  }
}

/** Smallest valid response body: the int32 correlation id of the response header. */
const MIN_FRAME_BYTES = 4

/** Incremental frame splitter; feed it socket chunks with {@link push}. */
export class FrameReader {
  /** Size prefix bytes when the prefix itself straddles chunks. */
  private readonly prefix = Buffer.allocUnsafe(4)
  private prefixFilled = 0
  /** The frame being assembled across chunks, or undefined between frames. */
  private partial: Buffer | undefined
  private partialFilled = 0

  /**
   * @param maxFrameBytes largest frame body accepted; checked before allocating
   * @param onFrame called with each complete frame body (without its size prefix). A view may
   *   point into the socket chunk, so consume it synchronously or copy it.
   */
  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {}

  /** Bytes of an incomplete frame (prefix included) currently held. */
  get bufferedBytes(): number {
    return this.partial !== undefined ? 4 + this.partialFilled : this.prefixFilled
  }

  /**
   * Consumes one chunk, emitting every frame it completes.
   * @throws FrameSizeError on an invalid size prefix; the reader is then unusable.
   */
  push(chunk: Buffer): void {
    const len = chunk.length
    let pos = 0
    while (pos < len) {
      if (this.partial !== undefined) {
        const want = this.partial.length - this.partialFilled
        const take = Math.min(want, len - pos)
        chunk.copy(this.partial, this.partialFilled, pos, pos + take)
        this.partialFilled += take
        pos += take
        if (this.partialFilled === this.partial.length) {
          const frame = this.partial
          this.partial = undefined
          this.partialFilled = 0
          this.onFrame(frame)
        }
        continue
      }
      let size: number
      if (this.prefixFilled === 0 && len - pos >= 4) {
        size = chunk.readInt32BE(pos)
        pos += 4
      } else {
        const take = Math.min(4 - this.prefixFilled, len - pos)
        chunk.copy(this.prefix, this.prefixFilled, pos, pos + take)
        this.prefixFilled += take
        pos += take
        if (this.prefixFilled < 4) return
        this.prefixFilled = 0
        size = this.prefix.readInt32BE(0)
      }
      // Check before allocating: a peer's claim is not a reason to reserve memory.
      if (size < MIN_FRAME_BYTES || size > this.maxFrameBytes) throw new FrameSizeError(size, this.maxFrameBytes)
      if (len - pos >= size) {
        const frame = chunk.subarray(pos, pos + size)
        pos += size
        this.onFrame(frame)
      } else {
        this.partial = Buffer.allocUnsafe(size)
        this.partialFilled = 0
      }
    }
  }

  /** Drops any partly received frame (after the connection closed). */
  reset(): void {
    this.partial = undefined
    this.partialFilled = 0
    this.prefixFilled = 0
  }
}
