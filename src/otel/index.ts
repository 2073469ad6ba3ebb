/**
 * `kafka-wire/otel`: OpenTelemetry for the producer (optional peer `@opentelemetry/api`). Producer
 * spans per send following the messaging semantic conventions for Kafka, W3C `traceparent` in
 * record headers, and metrics from the producer's diagnostics channels.
 *
 * ```ts
 * import { instrumentProducer } from 'kafka-wire/otel'
 * const instrumentation = instrumentProducer(producer, { clientId: 'app' })
 * ```
 */
export { instrumentProducer, traceHeadersInterceptor, INSTRUMENTATION_NAME } from './tracing.js'
export type { InstrumentationOptions, ProducerInstrumentation } from './tracing.js'
export { formatTraceparent, parseTraceparent, withHeaders } from './traceparent.js'
export { subscribeProducerMetrics } from './metrics.js'
export type { ProducerInstruments } from './metrics.js'
