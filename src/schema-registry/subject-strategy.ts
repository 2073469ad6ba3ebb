/** Subject name strategies: which registry subject a topic's keys or values are registered under (Confluent `SubjectNameStrategy`). */
import { ConfigError } from '../producer/errors.js'

/**
 * Computes the subject for a record. `recordName` is the schema's fully qualified record name
 * (Avro `namespace.name`, Protobuf `package.Message`, JSON Schema `title`), or undefined when the
 * schema has none.
 */
export type SubjectNameStrategy = (topic: string, isKey: boolean, recordName: string | undefined) => string

function needName(strategy: string, recordName: string | undefined): string {
  if (recordName === undefined || recordName === '') throw new ConfigError('subjectNameStrategy', `${strategy} needs a schema with a record name (Avro named type, Protobuf message, JSON Schema title)`)
  return recordName
}

/** `<topic>-key` / `<topic>-value` (the default; Confluent `TopicNameStrategy`). */
export const topicNameStrategy: SubjectNameStrategy = (topic, isKey) => `${topic}-${isKey ? 'key' : 'value'}`

/** The record's fully qualified name (Confluent `RecordNameStrategy`): one subject per type across topics. */
export const recordNameStrategy: SubjectNameStrategy = (_topic, _isKey, recordName) => needName('RecordNameStrategy', recordName)

/** `<topic>-<fully qualified record name>` (Confluent `TopicRecordNameStrategy`). */
export const topicRecordNameStrategy: SubjectNameStrategy = (topic, _isKey, recordName) => `${topic}-${needName('TopicRecordNameStrategy', recordName)}`
