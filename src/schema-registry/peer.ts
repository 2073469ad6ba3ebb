/** Loads an optional peer dependency on first use, with an error naming the package when it is missing. */
import { MissingPeerDependencyError } from './errors.js'

const cache = new Map<string, Promise<unknown>>()

/**
 * Imports `specifier` once (ESM `import()`, so CommonJS packages come as their namespace). Rejects
 * with a {@link MissingPeerDependencyError} naming the package (`packageName`, by default the
 * specifier itself) and the feature that needs it.
 */
export function loadPeer<T>(specifier: string, feature: string, packageName: string = specifier): Promise<T> {
  let p = cache.get(specifier)
  if (p === undefined) {
    p = import(specifier).catch((err: unknown) => {
      cache.delete(specifier)
      throw new MissingPeerDependencyError(packageName, feature, err)
    })
    cache.set(specifier, p)
  }
  return p as Promise<T>
}
