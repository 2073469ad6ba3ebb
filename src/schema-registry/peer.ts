/** Loads an optional peer dependency on first use, with an error naming the package when it is missing. */
import { MissingPeerDependencyError } from './errors.js'

const cache = new Map<string, Promise<unknown>>()

/**
 * Imports `name` once (ESM `import()`, so CommonJS packages come as their namespace). Rejects with a
 * {@link MissingPeerDependencyError} naming the package and the feature that needs it.
 */
export function loadPeer<T>(name: string, feature: string): Promise<T> {
  let p = cache.get(name)
  if (p === undefined) {
    p = import(name).catch((err: unknown) => {
      cache.delete(name)
      throw new MissingPeerDependencyError(name, feature, err)
    })
    cache.set(name, p)
  }
  return p as Promise<T>
}
