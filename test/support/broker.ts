import { inject } from 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap servers of the main (newest) test broker, comma separated. */
    kafkaBootstrap: string
    /** Bootstrap servers of the compatibility (3.9.x) broker, or '' when none runs. */
    kafkaBootstrap39: string
    /** Data directory (`log.dirs`) of the main test broker, or '' when unknown (external broker). */
    kafkaDataDir: string
    /** Data directory of the 3.9.x compatibility broker, or '' when none. */
    kafkaDataDir39: string
  }
}

function split(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/** Bootstrap servers of the main test broker: `KAFKA_BOOTSTRAP` if set, else the one globalSetup started. */
export function bootstrapServers(): string[] {
  const fromEnv = process.env.KAFKA_BOOTSTRAP
  const list = fromEnv !== undefined && fromEnv !== '' ? fromEnv : inject('kafkaBootstrap')
  const servers = split(list)
  if (servers.length === 0) throw new Error('no test broker: set KAFKA_BOOTSTRAP or let globalSetup start one')
  return servers
}

/** Bootstrap servers of the 3.9.x compatibility broker, or `undefined` when none is available. */
export function bootstrapServers39(): string[] | undefined {
  const fromEnv = process.env.KAFKA_BOOTSTRAP_39
  const list = fromEnv !== undefined ? fromEnv : inject('kafkaBootstrap39')
  const servers = split(list ?? '')
  return servers.length > 0 ? servers : undefined
}

/** Data directory of the main test broker (segment files), or `undefined` for an external broker without `KAFKA_DATA_DIR`. */
export function brokerDataDir(): string | undefined {
  const dir = process.env.KAFKA_DATA_DIR ?? inject('kafkaDataDir')
  return dir !== undefined && dir !== '' ? dir : undefined
}

/** Data directory of the 3.9.x compatibility broker, or `undefined`. */
export function brokerDataDir39(): string | undefined {
  const dir = process.env.KAFKA_DATA_DIR_39 ?? inject('kafkaDataDir39')
  return dir !== undefined && dir !== '' ? dir : undefined
}
