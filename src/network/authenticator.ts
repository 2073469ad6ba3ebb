/** The hook a {@link Connection} calls to authenticate after ApiVersions, and again to re-authenticate (KIP-368). */
import type { ApiDefinition } from '../protocol/api.js'
import type { VersionRange } from '../protocol/versions.js'

/** What an authenticator may use on the connection being authenticated. */
export interface AuthenticationContext {
  /** The broker label used in errors. */
  readonly broker: string
  /** Version ranges the broker advertised in ApiVersions. */
  readonly versions: ReadonlyMap<number, VersionRange>
  /** True for a KIP-368 re-authentication of an established session. */
  readonly reauthentication: boolean
  /**
   * Sends one request and waits for its response. Nothing else is written on the connection
   * until the authenticator settles (no request interleaves with the SASL exchange).
   */
  send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, version: number): Promise<Res>
}

/**
 * Authenticates the connection; resolves with the session lifetime in ms the broker granted
 * (KIP-368 `session_lifetime_ms`, 0 = unlimited) or rejects with a non-retriable error.
 */
export type Authenticator = (context: AuthenticationContext) => Promise<number>
