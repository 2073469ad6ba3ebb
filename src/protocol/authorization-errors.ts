/**
 * Typed broker authorization errors (issue 13): the principal lacks an ACL. Never retriable; each
 * keeps Kafka's error name and code (via {@link KafkaProtocolError}).
 */
import { KafkaProtocolError } from './errors.js'

/** TOPIC_AUTHORIZATION_FAILED (29): no WRITE (or DESCRIBE) on the topic for this principal. */
export class TopicAuthorizationFailedError extends KafkaProtocolError {
  /** @param context where (API, topic-partition); @param brokerMessage the broker's text, if any */
  constructor(context?: string, brokerMessage?: string | null) {
    super(TOPIC_AUTHORIZATION_FAILED, context, brokerMessage)
    this.name = 'TopicAuthorizationFailedError'
  }
}

/** CLUSTER_AUTHORIZATION_FAILED (31): e.g. InitProducerId without IDEMPOTENT_WRITE (or WRITE on any topic). */
export class ClusterAuthorizationFailedError extends KafkaProtocolError {
  /** @param context where (API); @param brokerMessage the broker's text, if any */
  constructor(context?: string, brokerMessage?: string | null) {
    super(CLUSTER_AUTHORIZATION_FAILED, context, brokerMessage)
    this.name = 'ClusterAuthorizationFailedError'
  }
}

/** Kafka error code 29. */
export const TOPIC_AUTHORIZATION_FAILED = 29
/** Kafka error code 31. */
export const CLUSTER_AUTHORIZATION_FAILED = 31

/** The error for a broker error code: the typed authorization errors for 29 / 31, else {@link KafkaProtocolError}. */
export function brokerError(code: number, context?: string, brokerMessage?: string | null): KafkaProtocolError {
  if (code === TOPIC_AUTHORIZATION_FAILED) return new TopicAuthorizationFailedError(context, brokerMessage)
  if (code === CLUSTER_AUTHORIZATION_FAILED) return new ClusterAuthorizationFailedError(context, brokerMessage)
  return new KafkaProtocolError(code, context, brokerMessage)
}
