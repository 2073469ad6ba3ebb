// Control records: the transaction markers (COMMIT/ABORT) a coordinator writes into control batches.
import { ProtocolError } from './errors.js'
import { Reader } from './reader.js'

/** ControlRecordType ids (Java `ControlRecordType`, kafka-clients 4.4.0). */
export const CONTROL_RECORD_TYPES: Readonly<Record<number, string>> = {
  0: 'ABORT',
  1: 'COMMIT',
  2: 'LEADER_CHANGE',
  3: 'SNAPSHOT_HEADER',
  4: 'SNAPSHOT_FOOTER',
  5: 'KRAFT_VERSION',
  6: 'KRAFT_VOTERS',
}

/** A control record's key: `version` int16 and `type` int16 (ControlRecordTypeSchema.json). */
export interface ControlRecordKey {
  /** Key schema version (0 today). */
  readonly version: number
  /** 0 ABORT, 1 COMMIT, others are KRaft records. */
  readonly type: number
  /** The type's name, or `UNKNOWN`. */
  readonly typeName: string
}

/** The value of a COMMIT/ABORT marker (EndTxnMarker.json): `version` int16, `coordinator_epoch` int32. */
export interface EndTransactionMarker {
  /** Value schema version (0 today). */
  readonly version: number
  /** Epoch of the coordinator that wrote the marker. */
  readonly coordinatorEpoch: number
}

/**
 * Reads a control record key. Java `ControlRecordType.parseTypeId` requires at least 4 bytes and a
 * non-negative version, and reads newer versions as version 0.
 */
export function decodeControlRecordKey(key: Uint8Array | null): ControlRecordKey {
  if (key === null) throw new ProtocolError('a control record must have a key', 'key')
  if (key.length < 4) throw new ProtocolError(`control record key needs 4 bytes, got ${key.length}`, 'key')
  const r = new Reader(key)
  const version = r.int16('key.version')
  if (version < 0) throw new ProtocolError(`negative control record key version ${version}`, 'key.version')
  const type = r.int16('key.type')
  return { version, type, typeName: CONTROL_RECORD_TYPES[type] ?? 'UNKNOWN' }
}

/**
 * Reads the value of a COMMIT or ABORT marker. Java `EndTransactionMarker.deserializeValue`: at
 * least 6 bytes, a non-negative version; newer versions are read as version 0.
 */
export function decodeEndTransactionMarker(value: Uint8Array | null): EndTransactionMarker {
  if (value === null) throw new ProtocolError('a transaction marker must have a value', 'value')
  if (value.length < 6) throw new ProtocolError(`transaction marker value needs 6 bytes, got ${value.length}`, 'value')
  const r = new Reader(value)
  const version = r.int16('value.version')
  if (version < 0) throw new ProtocolError(`negative transaction marker version ${version}`, 'value.version')
  const coordinatorEpoch = r.int32('value.coordinator_epoch')
  return { version, coordinatorEpoch }
}
