import type { Reader } from './reader.js'
import type { Writer } from './writer.js'

/**
 * One Kafka API (e.g. Produce, key 0) as data: its key, the versions kafka-wire implements, the
 * first "flexible" version (KIP-482: compact strings, tagged fields, request header v2 and
 * response header v1), and symmetric codecs for its request and response bodies.
 *
 * The network layer only ever sees this shape, so adding an API never touches the connection.
 */
export interface ApiDefinition<Req, Res> {
  /** The api_key of the request header. */
  readonly apiKey: number
  /** The Kafka name of the API, e.g. `Produce`. */
  readonly name: string
  /** Lowest version kafka-wire can encode. */
  readonly minVersion: number
  /** Highest version kafka-wire can encode. */
  readonly maxVersion: number
  /** First flexible version; `Infinity` if the API has none in our range. */
  readonly firstFlexibleVersion: number
  /** Writes the request body (after the request header) for `version`. */
  encodeRequest(w: Writer, request: Req, version: number): void
  /** Reads a request body back (tests, `dump`). */
  decodeRequest(r: Reader, version: number): Req
  /** Writes a response body (tests and the fake server only). */
  encodeResponse(w: Writer, response: Res, version: number): void
  /** Reads the response body (after the response header) for `version`. */
  decodeResponse(r: Reader, version: number): Res
  /**
   * Upper-bound estimate of the request body size in bytes for `version`, so the network layer can
   * allocate the frame once (the Writer still grows if an estimate is short).
   */
  estimateRequestSize?(request: Req, version: number): number
}
