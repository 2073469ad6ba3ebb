/**
 * SASL/SCRAM-SHA-256 and -512 (RFC 5802, RFC 7677) as Kafka speaks them (apache/kafka
 * `ScramSaslClient`, `ScramMessages`, `ScramFormatter`): no channel binding (`n,,`), the user name
 * escaped (`=` → `=3D`, `,` → `=2C`), the password as UTF-8 without SASLprep (like Java), the
 * server's nonce checked to extend ours, the client-final message echoing the server's full
 * nonce (Kafka 4.0 enforces it: CVE-2024-56128) and the server signature verified before success.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import type { SaslCredential } from '../security-options.js'
import { resolveCredential, SaslMechanismError, type SaslSession } from './session.js'

/** Kafka's minimum (`ScramMechanism.minIterations`, 4096 for both hashes). */
const MIN_ITERATIONS = 4096
/**
 * A hostile server could ask for billions of PBKDF2 rounds; Kafka itself stores at most 16384
 * (`ScramMechanism.maxIterations`), so a generous ceiling costs no real deployment anything.
 */
const MAX_ITERATIONS = 1_000_000
/** GS2 header "n,," (no channel binding, no authzid), base64 = "biws". */
const GS2_HEADER = 'n,,'
const CHANNEL_BINDING = Buffer.from(GS2_HEADER).toString('base64')

/** `saslname` escaping of RFC 5802 §5.1 (Java `ScramFormatter.saslName`). */
export function scramSaslName(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

/** Parsed server-first-message (RFC 5802 §7; Java `ScramMessages.ServerFirstMessage`). */
export interface ScramServerFirst {
  readonly nonce: string
  readonly salt: Buffer
  readonly iterations: number
}

const VALUE_CHARS = '[\\x21-\\x2b\\x2d-\\x7e]+' // printable ASCII except ','
const SERVER_FIRST = new RegExp(`^(?:m=[^,]*,)?r=(${VALUE_CHARS}),s=([A-Za-z0-9+/]+={0,2}),i=([0-9]+)(?:,[a-z]=[^,]*)*$`)
const SERVER_FINAL = /^(?:e=([^,]*)|v=([A-Za-z0-9+/]+={0,2}))(?:,[a-z]=[^,]*)*$/

/** Parses a server-first-message; throws SaslMechanismError naming what is wrong. */
export function parseServerFirst(text: string): ScramServerFirst {
  const m = SERVER_FIRST.exec(text)
  if (m === null) throw new SaslMechanismError(`invalid SCRAM server-first-message (${text.length} bytes)`)
  if (text.startsWith('m=')) throw new SaslMechanismError('SCRAM server-first-message has a mandatory extension (m=) the client does not support')
  const iterations = Number(m[3])
  return { nonce: m[1] as string, salt: Buffer.from(m[2] as string, 'base64'), iterations }
}

function pbkdf2Async(password: Buffer, salt: Buffer, iterations: number, keyLength: number, hash: string): Promise<Buffer> {
  return new Promise((resolve, reject) => pbkdf2(password, salt, iterations, keyLength, hash, (err, key) => (err === null ? resolve(key) : reject(err))))
}

/** One SCRAM exchange: client-first, server-first, client-final, server-final. */
export class ScramMechanism implements SaslSession {
  readonly mechanism: string
  private state: 'new' | 'sent-first' | 'sent-final' | 'done' = 'new'
  private clientNonce = ''
  private clientFirstBare = ''
  private expectedServerSignature: Buffer | undefined
  private readonly keyLength: number

  /**
   * @param hash `sha256` or `sha512`
   * @param nonceForTests fixed client nonce (RFC 7677 test vector only)
   */
  constructor(
    private readonly hash: 'sha256' | 'sha512',
    private readonly username: SaslCredential,
    private readonly password: SaslCredential,
    private readonly nonceForTests?: string,
  ) {
    this.mechanism = hash === 'sha256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512'
    this.keyLength = hash === 'sha256' ? 32 : 64
  }

  async start(): Promise<Uint8Array> {
    if (this.state !== 'new') throw new SaslMechanismError('SCRAM session already started')
    const user = await resolveCredential(this.username, 'username')
    // base64url never contains ',' (the attribute separator); 32 random bytes as Java's 130-bit string.
    this.clientNonce = this.nonceForTests ?? randomBytes(32).toString('base64url')
    this.clientFirstBare = `n=${scramSaslName(user)},r=${this.clientNonce}`
    this.state = 'sent-first'
    return Buffer.from(GS2_HEADER + this.clientFirstBare, 'utf8')
  }

  async next(serverToken: Uint8Array): Promise<Uint8Array | null> {
    const text = Buffer.from(serverToken).toString('utf8')
    if (this.state === 'sent-first') return this.onServerFirst(text)
    if (this.state === 'sent-final') {
      this.onServerFinal(text)
      return null
    }
    throw new SaslMechanismError(`unexpected SCRAM server message in state ${this.state}`)
  }

  private async onServerFirst(text: string): Promise<Uint8Array> {
    const first = parseServerFirst(text)
    // Java ScramSaslClient: the server nonce must extend ours (RFC 5802 §5.1 "r=").
    if (!first.nonce.startsWith(this.clientNonce) || first.nonce.length <= this.clientNonce.length) {
      throw new SaslMechanismError('invalid SCRAM server nonce: it does not extend the client nonce')
    }
    if (first.iterations < MIN_ITERATIONS) throw new SaslMechanismError(`requested SCRAM iterations ${first.iterations} is less than the minimum ${MIN_ITERATIONS} for ${this.mechanism}`)
    if (first.iterations > MAX_ITERATIONS) throw new SaslMechanismError(`requested SCRAM iterations ${first.iterations} exceed the client's limit ${MAX_ITERATIONS}`)
    const password = await resolveCredential(this.password, 'password')
    const salted = await pbkdf2Async(Buffer.from(password, 'utf8'), first.salt, first.iterations, this.keyLength, this.hash)
    const clientKey = this.hmac(salted, 'Client Key')
    const storedKey = createHash(this.hash).update(clientKey).digest()
    // CVE-2024-56128: the client-final nonce is the server's full nonce.
    const finalWithoutProof = `c=${CHANNEL_BINDING},r=${first.nonce}`
    const authMessage = `${this.clientFirstBare},${text},${finalWithoutProof}`
    const clientSignature = this.hmac(storedKey, authMessage)
    const proof = Buffer.alloc(clientKey.length)
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] as number) ^ (clientSignature[i] as number)
    this.expectedServerSignature = this.hmac(this.hmac(salted, 'Server Key'), authMessage)
    this.state = 'sent-final'
    return Buffer.from(`${finalWithoutProof},p=${proof.toString('base64')}`, 'utf8')
  }

  private onServerFinal(text: string): void {
    const m = SERVER_FINAL.exec(text)
    if (m === null) throw new SaslMechanismError(`invalid SCRAM server-final-message (${text.length} bytes)`)
    if (m[1] !== undefined) throw new SaslMechanismError(`the server reported SCRAM error "${m[1]}"`)
    const got = Buffer.from(m[2] as string, 'base64')
    const want = this.expectedServerSignature as Buffer
    // The server proves it knows the password too (RFC 5802 §9): never accept without this check.
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw new SaslMechanismError('the SCRAM server signature does not verify: the server does not know the credentials')
    this.state = 'done'
  }

  private hmac(key: Buffer, data: string): Buffer {
    return createHmac(this.hash, key).update(data, 'utf8').digest()
  }
}
