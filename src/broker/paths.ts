import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The folder that holds the harness's git-ignored state (`.kafka/`): jar caches, data dirs, logs
 * and PID files. `KAFKA_WIRE_HOME` overrides it; otherwise it is the kafka-wire package root, found
 * by walking up from this file (which lives in `src/broker` or `dist/broker`).
 */
export function harnessHome(): string {
  const fromEnv = process.env.KAFKA_WIRE_HOME
  if (fromEnv !== undefined && fromEnv !== '') return join(resolve(fromEnv), '.kafka')
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && /"name"\s*:\s*"kafka-wire"/.test(readFileSync(pkg, 'utf8'))) return join(dir, '.kafka')
    const parent = dirname(dir)
    if (parent === dir) return join(process.cwd(), '.kafka')
    dir = parent
  }
}

/** Where the jars of one Kafka version are cached. */
export function libsDir(version: string): string {
  return join(harnessHome(), 'dist', version, 'libs')
}
