/** The APIs kafka-wire implements, by key: what the CLI can send and what `--dump` can decode. */
import type { ApiDefinition } from '../protocol/api.js'
import { ApiVersionsApi } from '../protocol/api-versions.js'
import { InitProducerIdApi } from '../protocol/init-producer-id.js'
import { MetadataApi } from '../protocol/metadata.js'
import { ProduceApi } from '../protocol/produce.js'
import { SaslAuthenticateApi } from '../protocol/sasl-authenticate.js'
import { SaslHandshakeApi } from '../protocol/sasl-handshake.js'

const APIS: ReadonlyMap<number, ApiDefinition<unknown, unknown>> = new Map(
  ([ProduceApi, MetadataApi, ApiVersionsApi, InitProducerIdApi, SaslHandshakeApi, SaslAuthenticateApi] as ApiDefinition<unknown, unknown>[]).map((a) => [a.apiKey, a]),
)

/** The definition of `apiKey`, if kafka-wire implements it. */
export function apiByKey(apiKey: number): ApiDefinition<unknown, unknown> | undefined {
  return APIS.get(apiKey)
}

/** Every implemented API, by key. */
export function implementedApis(): ReadonlyMap<number, ApiDefinition<unknown, unknown>> {
  return APIS
}
