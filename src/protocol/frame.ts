import { InvalidArgumentError } from '../kafka-wire-error.js'
import type { ApiDefinition } from './api.js'
import { decodeResponseHeader, encodeRequestHeader, requestHeaderSize, responseHeaderVersion, type ResponseHeader } from './headers.js'
import { Reader } from './reader.js'
import { Writer } from './writer.js'

/**
 * Encodes a whole request frame — int32 size, request header, body — into one buffer sized from
 * the API's estimate. The size prefix is back-patched, so nothing is concatenated.
 */
export function encodeRequestFrame<Req, Res>(
  api: ApiDefinition<Req, Res>,
  version: number,
  correlationId: number,
  clientId: string | null,
  request: Req,
): Buffer {
  if (version < api.minVersion || version > api.maxVersion) {
    throw new InvalidArgumentError(`${api.name} v${version} is outside kafka-wire's v${api.minVersion}-v${api.maxVersion}`)
  }
  const flexible = version >= api.firstFlexibleVersion
  const estimate = 4 + requestHeaderSize(clientId, flexible) + (api.estimateRequestSize?.(request, version) ?? 256)
  const w = new Writer(estimate)
  const sizeAt = w.reserveInt32()
  encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId }, flexible)
  api.encodeRequest(w, request, version)
  w.patchInt32(sizeAt, w.length - 4)
  return w.finish()
}

/**
 * Decodes a response frame body (the bytes after the int32 size): header, then body. Bytes
 * left over after the body are an error, since they mean the version or layout is wrong.
 */
export function decodeResponseFrame<Req, Res>(
  api: ApiDefinition<Req, Res>,
  version: number,
  frame: Uint8Array,
  trace?: Reader['trace'],
): { header: ResponseHeader; response: Res } {
  const r = new Reader(frame)
  r.trace = trace
  const header = decodeResponseHeader(r, responseHeaderVersion(api.apiKey, version >= api.firstFlexibleVersion) === 1)
  const response = api.decodeResponse(r, version)
  if (r.remaining !== 0) r.fail(`${api.name}Response`, `${r.remaining} unread bytes after the v${version} body`)
  return { header, response }
}
