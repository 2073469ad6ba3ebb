/** SASL/PLAIN (RFC 4616): one message `authzid NUL authcid NUL passwd`; the broker answers with an empty token. */
import type { SaslCredential } from '../security-options.js'
import { resolveCredential, SaslMechanismError, type SaslSession } from './session.js'

/** One PLAIN exchange. */
export class PlainMechanism implements SaslSession {
  readonly mechanism = 'PLAIN'
  private sent = false

  constructor(
    private readonly username: SaslCredential,
    private readonly password: SaslCredential,
    private readonly authzid: string,
  ) {}

  async start(): Promise<Uint8Array> {
    const user = await resolveCredential(this.username, 'username')
    const pass = await resolveCredential(this.password, 'password')
    // Kafka's PlainSaslServer splits on NUL: a NUL inside a field would shift the fields.
    if (user.includes('\0') || this.authzid.includes('\0')) throw new SaslMechanismError('the username must not contain a NUL character')
    if (pass.includes('\0')) throw new SaslMechanismError('the password must not contain a NUL character')
    this.sent = true
    return Buffer.from(`${this.authzid}\0${user}\0${pass}`, 'utf8')
  }

  async next(serverToken: Uint8Array): Promise<Uint8Array | null> {
    if (!this.sent) throw new SaslMechanismError('PLAIN: server token before the client message')
    // PlainSaslServer answers success with an empty challenge (apache/kafka PlainSaslServer.evaluateResponse).
    if (serverToken.length !== 0) throw new SaslMechanismError(`PLAIN: unexpected ${serverToken.length}-byte server token after authentication`)
    return null
  }
}
