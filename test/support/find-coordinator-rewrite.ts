/**
 * Rewrites the coordinator addresses of a FindCoordinator response (key 10, v0-v6) for the fault
 * proxy, copying every other byte through unchanged, tagged fields included. Layout from
 * apache/kafka clients/src/main/resources/common/message/FindCoordinatorResponse.json: one
 * node_id/host/port up to v3, a `coordinators` array from v4 (KIP-699), flexible from v3.
 */
import { readNullableString, readString, writeArrayLength, writeNullableString, writeString } from '../../src/protocol/fields.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'

/** FindCoordinator's api key. */
export const FIND_COORDINATOR_KEY = 10
/** Highest FindCoordinator version this rewriter knows the layout of. */
export const FIND_COORDINATOR_MAX_VERSION = 6

/** Maps a broker address to the proxy port fronting it. */
export type AddressMap = (host: string, port: number) => Promise<number>

/** Copies the tagged-field section at `r` to `w` byte for byte. */
function copyTaggedFields(r: Reader, w: Writer): void {
  const start = r.pos
  r.taggedFields()
  w.raw(r.buf.subarray(start, r.pos))
}

/**
 * Returns the response frame body (after the size prefix) with every coordinator's host and port
 * replaced by `127.0.0.1` and the proxy port `map` gives. Throws (a ProtocolError or RangeError)
 * for versions it does not know or bytes that do not parse.
 */
export async function rewriteFindCoordinator(frame: Uint8Array, version: number, map: AddressMap): Promise<Buffer> {
  if (version < 0 || version > FIND_COORDINATOR_MAX_VERSION) throw new RangeError(`FindCoordinator v${version} is not known to the proxy (v0-v${FIND_COORDINATOR_MAX_VERSION})`)
  const flex = version >= 3
  const r = new Reader(frame)
  const w = new Writer(frame.length + 64)
  w.int32(r.int32('correlation_id'))
  if (flex) copyTaggedFields(r, w)
  if (version >= 1) w.int32(r.int32('throttle_time_ms'))
  const address = async (): Promise<void> => {
    w.int32(r.int32('node_id'))
    const host = readString(r, 'host', flex)
    const port = r.int32('port')
    // A coordinator that is not found comes as node -1, host "", port -1: leave it as it is.
    if (host === '' || port < 0) {
      writeString(w, host, flex)
      w.int32(port)
    } else {
      writeString(w, '127.0.0.1', flex)
      w.int32(await map(host, port))
    }
  }
  if (version <= 3) {
    w.int16(r.int16('error_code'))
    if (version >= 1) writeNullableString(w, readNullableString(r, 'error_message', flex), flex)
    await address()
  } else {
    const count = flex ? r.uvarint('coordinators') - 1 : r.int32('coordinators')
    if (count < 0 || count > r.remaining) r.fail('coordinators', `bad array length ${count}`)
    writeArrayLength(w, count, flex)
    for (let i = 0; i < count; i++) {
      writeString(w, readString(r, 'key', flex), flex)
      await address()
      w.int16(r.int16('error_code'))
      writeNullableString(w, readNullableString(r, 'error_message', flex), flex)
      if (flex) copyTaggedFields(r, w)
    }
  }
  if (flex) copyTaggedFields(r, w)
  if (r.remaining !== 0) r.fail('FindCoordinatorResponse', `${r.remaining} unread bytes`)
  return w.finish()
}
