/** What a dumped frame is made of, before rendering: annotated fields and section headings. */

/** One decoded field: where it lies, its bytes, its path and its decoded value. */
export interface FieldRow {
  readonly kind: 'field'
  /** Offset of the first byte within its space (the frame, or a decompressed records section). */
  readonly offset: number
  /** The field's bytes, prefixes included. */
  readonly bytes: Uint8Array
  /** Field path in Kafka JSON spec names, e.g. `topic_data[0].partition_data[0].records.batch.crc`. */
  readonly path: string
  /** Decoded value as text. */
  readonly value: string
  /** Extra meaning (error code name, compression, CRC check), rendered dimmed. */
  readonly note?: string
  /** A check on this field: true passed (e.g. CRC matches), false failed. */
  readonly check?: boolean
  /** Show the bytes only as a length (the field is expanded by the rows after it). */
  readonly expanded?: boolean
  /** The offset is within a decompressed records section, not the frame. */
  readonly decompressed?: boolean
}

/** A heading inside a frame, e.g. `body` or `records decompressed with lz4`. */
export interface HeadingRow {
  readonly kind: 'heading'
  readonly text: string
}

/** A row of a dumped frame. */
export type DumpRow = FieldRow | HeadingRow

/** One frame, decoded. */
export interface DumpFrame {
  readonly direction: 'send' | 'receive'
  /** E.g. `Produce v11 request`. */
  readonly title: string
  readonly correlationId: number
  /** Broker address (`host:port`) the frame went to or came from. */
  readonly broker: string | undefined
  /** Whole frame size, size prefix included. */
  readonly size: number
  readonly rows: DumpRow[]
}
