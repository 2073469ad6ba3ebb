/** The APIs kafka-wire implements, by key: what the CLI can send and what `--dump` can decode. */
import type { ApiDefinition } from '../protocol/api.js'
import { ApiVersionsApi } from '../protocol/api-versions.js'
import { InitProducerIdApi } from '../protocol/init-producer-id.js'
import { MetadataApi } from '../protocol/metadata.js'
import { ProduceApi } from '../protocol/produce.js'
import { AddOffsetsToTxnApi } from '../protocol/add-offsets-to-txn.js'
import { AddPartitionsToTxnApi } from '../protocol/add-partitions-to-txn.js'
import { EndTxnApi } from '../protocol/end-txn.js'
import { FindCoordinatorApi } from '../protocol/find-coordinator.js'
import { TxnOffsetCommitApi } from '../protocol/txn-offset-commit.js'
import { SaslAuthenticateApi } from '../protocol/sasl-authenticate.js'
import { SaslHandshakeApi } from '../protocol/sasl-handshake.js'

// The transaction APIs (issue 14), so `--dump` decodes them field by field.
const TRANSACTION_APIS: ApiDefinition<unknown, unknown>[] = [FindCoordinatorApi, AddPartitionsToTxnApi, AddOffsetsToTxnApi, EndTxnApi, TxnOffsetCommitApi]

const APIS: ReadonlyMap<number, ApiDefinition<unknown, unknown>> = new Map(
  ([ProduceApi, MetadataApi, ApiVersionsApi, InitProducerIdApi, SaslHandshakeApi, SaslAuthenticateApi] as ApiDefinition<unknown, unknown>[]).concat(TRANSACTION_APIS).map((a) => [a.apiKey, a]),
)

/** The definition of `apiKey`, if kafka-wire implements it. */
export function apiByKey(apiKey: number): ApiDefinition<unknown, unknown> | undefined {
  return APIS.get(apiKey)
}

/** Every implemented API, by key. */
export function implementedApis(): ReadonlyMap<number, ApiDefinition<unknown, unknown>> {
  return APIS
}
