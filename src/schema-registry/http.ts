/** The registry client's HTTP layer: one JSON request with a timeout, retried with backoff on 5xx, 429 and network errors. */
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaWireError } from '../kafka-wire-error.js'
import { ConfigError } from '../producer/errors.js'
import {
  IncompatibleSchemaError,
  InvalidSchemaError,
  RegistryAuthError,
  RegistryUnavailableError,
  SchemaNotFoundError,
  SchemaRegistryError,
  SubjectNotFoundError,
  VersionNotFoundError,
} from './errors.js'

/** TLS options for an `https://` registry (passed to Node's TLS layer). */
export interface RegistryTlsOptions {
  /** Trusted CA certificates (PEM). */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** Client certificate (PEM) for mutual TLS. */
  cert?: string | Buffer
  /** Client private key (PEM) for mutual TLS. */
  key?: string | Buffer
  /** Passphrase of `key`. */
  passphrase?: string
  /** Default true. False accepts any certificate: for tests only. */
  rejectUnauthorized?: boolean
  /** TLS server name (SNI) when it differs from the URL's host. */
  servername?: string
}

/** Credentials sent with every request. Never logged and never part of an error message. */
export type RegistryAuth =
  | { readonly username: string; readonly password: string }
  | { readonly bearerToken: string | (() => string | Promise<string>) }

/** Retry and timeout policy. */
export interface RetryPolicy {
  /** Per-attempt timeout in ms (connect + answer). */
  readonly requestTimeoutMs: number
  /** Retries after the first attempt. */
  readonly retries: number
  /** First backoff in ms; doubles each retry (full jitter), capped by `retryBackoffMaxMs`. */
  readonly retryBackoffMs: number
  readonly retryBackoffMaxMs: number
}

/** An answer as the client needs it. */
export interface HttpAnswer {
  readonly status: number
  readonly body: string
  readonly retryAfter: string | null
}

/** One HTTP exchange; rejects only when no answer arrived. */
export type HttpExchange = (method: string, url: URL, headers: Record<string, string>, body: string | undefined, timeoutMs: number) => Promise<HttpAnswer>

/** Largest registry answer read (schemas are small; a larger body is refused, never buffered whole). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024

/** A registry answer above {@link MAX_ANSWER_BYTES}. */
export class AnswerTooLargeError extends KafkaWireError {}

function tooLarge(size: number | string): AnswerTooLargeError {
  return new AnswerTooLargeError(`answer of ${size} bytes exceeds the ${MAX_ANSWER_BYTES}-byte limit`)
}

/** The default exchange: Node's built-in `fetch`, reading at most {@link MAX_ANSWER_BYTES}. */
export const fetchExchange: HttpExchange = async (method, url, headers, body, timeoutMs) => {
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' })
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > MAX_ANSWER_BYTES) {
    await res.body?.cancel()
    throw tooLarge(declared)
  }
  const chunks: Uint8Array[] = []
  let total = 0
  if (res.body !== null) {
    const reader = res.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > MAX_ANSWER_BYTES) {
        await reader.cancel()
        throw tooLarge(`more than ${total}`)
      }
      chunks.push(value)
    }
  }
  return { status: res.status, body: Buffer.concat(chunks, total).toString('utf8'), retryAfter: res.headers.get('retry-after') }
}

/**
 * An exchange over `node:https` with TLS options: the built-in `fetch` takes no CA or client
 * certificate without the `undici` package, so TLS options switch to this one.
 */
export function httpsExchange(tls: RegistryTlsOptions): HttpExchange {
  const agent = new HttpsAgent({
    keepAlive: true,
    ca: tls.ca === undefined ? undefined : Array.isArray(tls.ca) ? [...tls.ca] : (tls.ca as string | Buffer),
    cert: tls.cert,
    key: tls.key,
    passphrase: tls.passphrase,
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
    servername: tls.servername,
  })
  return (method, url, headers, body, timeoutMs) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, agent, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
        const chunks: Buffer[] = []
        let total = 0
        res.on('data', (c: Buffer) => {
          total += c.length
          if (total > MAX_ANSWER_BYTES) {
            req.destroy(tooLarge(`more than ${total}`))
            return
          }
          chunks.push(c)
        })
        res.on('end', () => {
          const ra = res.headers['retry-after']
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: typeof ra === 'string' ? ra : null })
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body)
    })
}

/** The registry's error body (`{"error_code": 40401, "message": "..."}`), or nothing when it is not one. */
function parseErrorBody(body: string): { code: number | undefined; message: string } {
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed !== null && typeof parsed === 'object') {
      const code = 'error_code' in parsed && typeof parsed.error_code === 'number' ? parsed.error_code : undefined
      const message = 'message' in parsed && typeof parsed.message === 'string' ? parsed.message : ''
      return { code, message }
    }
  } catch {
    // not JSON: keep a bounded excerpt
  }
  return { code: undefined, message: body.slice(0, 500) }
}

/** Maps a registry error answer to its typed error (Confluent `RestClient` error codes). */
export function registryError(method: string, path: string, status: number, body: string): SchemaRegistryError {
  const { code, message } = parseErrorBody(body)
  const errorCode = code ?? status
  const text = `schema registry ${method} ${path}: HTTP ${status}${code !== undefined ? ` error ${code}` : ''}${message !== '' ? `: ${message}` : ''}`
  if (errorCode === 40401) return new SubjectNotFoundError(text, status, errorCode, message)
  if (errorCode === 40402) return new VersionNotFoundError(text, status, errorCode, message)
  if (errorCode === 40403 || (status === 404 && code === undefined)) return new SchemaNotFoundError(text, status, errorCode, message)
  if (status === 409) return new IncompatibleSchemaError(text, status, errorCode, message)
  if (errorCode === 42201 || errorCode === 42202 || (status === 422 && code === undefined)) return new InvalidSchemaError(text, status, errorCode, message)
  if (status === 401 || status === 403) return new RegistryAuthError(text, status, errorCode, message)
  if (status >= 500 || status === 429) return new RegistryUnavailableError(text, status, errorCode, message)
  return new SchemaRegistryError(text, status, errorCode, message)
}

/** A short reason for a failed exchange; `fetch` hides the socket error (ECONNREFUSED...) in `cause`. */
function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err)
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`
  const cause: unknown = err.cause
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined
    return `${err.message}: ${code ?? cause.message}`
  }
  return err.message
}

/** Whether an answer's status is worth another attempt (server trouble or rate limiting). */
function retriableStatus(status: number): boolean {
  return status >= 500 || status === 429
}

/** Backoff before retry `attempt` (1-based): full jitter over an exponential ceiling, or the server's Retry-After (capped). */
export function backoffMs(attempt: number, policy: RetryPolicy, retryAfter: string | null, random: () => number = Math.random): number {
  if (retryAfter !== null) {
    const secs = Number(retryAfter)
    if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, policy.retryBackoffMaxMs)
  }
  const ceiling = Math.min(policy.retryBackoffMaxMs, policy.retryBackoffMs * 2 ** (attempt - 1))
  return Math.floor(random() * ceiling)
}

/** The URL without credentials (`user:pass@` is dropped), for messages. */
export function redactUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href
  const copy = new URL(url.href)
  copy.username = ''
  copy.password = ''
  return copy.href
}

/** Resolves the Authorization header value (never logged). */
export async function authorization(auth: RegistryAuth | undefined, url: URL): Promise<string | undefined> {
  if (auth === undefined) {
    if (url.username !== '' || url.password !== '') return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    return undefined
  }
  if ('username' in auth) return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
  const token = typeof auth.bearerToken === 'function' ? await auth.bearerToken() : auth.bearerToken
  if (typeof token !== 'string' || token === '') throw new ConfigError('auth.bearerToken', 'the token provider returned no token')
  return `Bearer ${token}`
}

/**
 * Sends one request and returns the parsed JSON body of a 2xx answer. Network errors, timeouts, 5xx
 * and 429 are retried with backoff; when attempts run out the error is a
 * {@link RegistryUnavailableError}. Other 4xx answers map to their typed error at once.
 */
export async function requestJson(
  exchange: HttpExchange,
  policy: RetryPolicy,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  displayPath: string,
): Promise<unknown> {
  let last: SchemaRegistryError | undefined
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    let retryAfter: string | null = null
    try {
      const answer = await exchange(method, url, headers, body, policy.requestTimeoutMs)
      if (answer.status >= 200 && answer.status < 300) {
        if (answer.body === '') return null
        try {
          return JSON.parse(answer.body)
        } catch (err) {
          throw new SchemaRegistryError(`schema registry ${method} ${displayPath}: answer is not JSON`, answer.status, answer.status, answer.body.slice(0, 200), { cause: err })
        }
      }
      const err = registryError(method, displayPath, answer.status, answer.body)
      if (!retriableStatus(answer.status)) throw err
      last = err
      retryAfter = answer.retryAfter
    } catch (err) {
      if (err instanceof SchemaRegistryError && !(err instanceof RegistryUnavailableError)) throw err
      // Asking again would only fetch the same oversized answer.
      if (err instanceof AnswerTooLargeError) throw new SchemaRegistryError(`schema registry ${method} ${displayPath}: ${err.message}`, 0, 0, '', { cause: err })
      if (err instanceof RegistryUnavailableError) last = err
      else {
        const reason = describeNetworkError(err, policy.requestTimeoutMs)
        last = new RegistryUnavailableError(`schema registry ${method} ${displayPath} at ${redactUrl(new URL(url.origin))} failed: ${reason}`, 0, 0, '', err)
      }
    }
    if (attempt < policy.retries) await sleep(backoffMs(attempt + 1, policy, retryAfter))
  }
  const final = last ?? new RegistryUnavailableError(`schema registry ${method} ${displayPath}: no attempt made`, 0, 0, '')
  if (policy.retries === 0) throw final
  throw new RegistryUnavailableError(`${final.message} (after ${policy.retries + 1} attempts)`, final.status, final.errorCode, final.registryMessage, final.cause ?? final)
}
