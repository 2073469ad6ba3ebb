/**
 * The public `Producer` constructor type: infers the key and value types from `keySerializer` /
 * `valueSerializer` (`'json'` → `JsonValue`, a function → its parameter type), so callers never
 * write `new Producer<K, V>`; the runtime value is the `Producer` class itself.
 */
import type { ProducerOptions } from './config.js'
import { Producer as ProducerClass, type ProducerInternals, type ProducerRecord } from './producer.js'
import type { RecordMetadata } from './producer-batch.js'
import type { ProducerInterceptor } from './interceptors.js'
import type { BuiltInSerializerName, RawValue, Serializer } from './serializers.js'

/** A value `JSON.stringify` writes as it is (what the `'json'` serializer accepts). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject

/**
 * A JSON object. Like every index-signature type it accepts object literals and type aliases, not
 * values typed by an `interface` (TypeScript gives interfaces no implicit index signature): for
 * those, pass a function serializer, e.g. `(order: Order) => Buffer.from(JSON.stringify(order))`.
 */
export interface JsonObject {
  [key: string]: JsonValue | undefined
}

/** Any `keySerializer` / `valueSerializer` option value. */
export type SerializerOption = BuiltInSerializerName | Serializer<never>

/**
 * The type a serializer option accepts: `'json'` → `JsonValue`, `'string'` → `string | null`,
 * `'bytes'` or no serializer → `RawValue`, a function → its first parameter's type. An option whose
 * type is not one of these (e.g. the whole union, from a spread `Partial<ProducerOptions>`) gives
 * `RawValue`, which every serializer accepts. Not distributive on purpose: a union is "not known".
 */
export type SerializedType<S> = [S] extends [undefined]
  ? RawValue
  : [S] extends ['json']
    ? JsonValue
    : [S] extends ['string']
      ? string | null
      : [S] extends ['bytes']
        ? RawValue
        : [S] extends [(data: infer T, topic: string) => Buffer | null]
          ? T
          : RawValue

/** `ProducerOptions` with the serializers as written, and interceptors typed for what they imply. */
export type InferringProducerOptions<KS extends SerializerOption | undefined, VS extends SerializerOption | undefined> = Omit<
  ProducerOptions<SerializedType<KS>, SerializedType<VS>>,
  'keySerializer' | 'valueSerializer' | 'interceptors'
> & {
  /** `key.serializer`: `'string' | 'bytes' | 'json'` or a function; the key type follows from it. */
  keySerializer?: KS
  /** `value.serializer`: `'string' | 'bytes' | 'json'` or a function; the value type follows from it. */
  valueSerializer?: VS
  /** `interceptor.classes`, typed for the records this producer sends. */
  interceptors?: ReadonlyArray<ProducerInterceptor<ProducerRecord<SerializedType<KS>, SerializedType<VS>>, RecordMetadata>>
}

/** The construct signatures of `Producer`. */
export interface ProducerConstructor {
  /**
   * Creates a producer whose key and value types follow from `keySerializer` / `valueSerializer`.
   * Throws `ConfigError` naming the option for an unknown key, a wrong type or a value out of range.
   */
  // No defaults on purpose: a missing serializer infers the constraint, which SerializedType maps to
  // RawValue; and with three required type parameters this signature is skipped for `Producer<K, V>`
  // and `extends Producer`, which then see only the explicit one (one return type: subclassing works).
  new <KS extends SerializerOption | undefined, VS extends SerializerOption | undefined, _Inferred extends 'inferred'>(
    options: InferringProducerOptions<KS, VS>,
    internals?: ProducerInternals,
  ): ProducerClass<SerializedType<KS>, SerializedType<VS>>
  /** Creates a producer with explicit key and value types (`new Producer<K, V>(options)`). */
  new <K = RawValue, V = RawValue>(options: ProducerOptions<K, V>, internals?: ProducerInternals): ProducerClass<K, V>
  readonly prototype: ProducerClass<unknown, unknown>
}

/**
 * A Kafka producer (Java `KafkaProducer`); see the class in `producer.ts` for its behaviour. This
 * export is the same class, with construct signatures that infer key and value types.
 */
// The class's own constructor takes NoInfer'd options; this only widens its signatures for callers.
export const Producer: ProducerConstructor = ProducerClass as ProducerConstructor

/** A producer sending keys of type `K` and values of type `V`. */
export type Producer<K = RawValue, V = RawValue> = ProducerClass<K, V>
