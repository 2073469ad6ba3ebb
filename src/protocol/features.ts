// Finalized broker features (ApiVersions v3+ tagged fields) that change how a client speaks, starting with `transaction.version`.
import type { ApiVersionsResponse, FeatureRange } from './api-versions.js'

/** The feature that selects the transaction protocol (KIP-890, KIP-1022). */
export const TRANSACTION_VERSION_FEATURE = 'transaction.version'

/** First `transaction.version` level with the new protocol ("TV2", KIP-890 part 2). */
export const TRANSACTION_VERSION_2 = 2

/**
 * Highest Produce version a client may send inside a transaction while TV2 is off: v12 means "this
 * client speaks TV2" and adds partitions implicitly (ProduceRequest.json v12 note).
 */
export const PRODUCE_MAX_VERSION_TV1 = 11

/**
 * The finalized level of `name` (its max version level), or 0 when the broker does not finalize it:
 * Kafka treats an absent feature as level 0 (Java `ApiVersions.FinalizedFeaturesInfo` keeps the max level).
 */
export function finalizedFeatureLevel(features: readonly FeatureRange[], name: string): number {
  for (const f of features) if (f.name === name) return f.maxVersion
  return 0
}

/** The broker's finalized `transaction.version`: 0 before ApiVersions v3 or when absent (3.9 and older). */
export function transactionVersion(res: Pick<ApiVersionsResponse, 'finalizedFeatures'>): number {
  return finalizedFeatureLevel(res.finalizedFeatures, TRANSACTION_VERSION_FEATURE)
}

/**
 * Whether a transactional producer uses the new protocol (Produce v12+ without AddPartitionsToTxn,
 * TxnOffsetCommit v5 without AddOffsetsToTxn, EndTxn v5 bumping the epoch). Port of Java
 * `TransactionManager.maybeUpdateTransactionV2Enabled` (kafka-clients 4.4.0): level ≥ 2. Java keeps
 * the answer from the response with the highest `finalized_features_epoch`; so should the caller.
 */
export function isTransactionV2Enabled(res: Pick<ApiVersionsResponse, 'finalizedFeatures'>): boolean {
  return transactionVersion(res) >= TRANSACTION_VERSION_2
}
