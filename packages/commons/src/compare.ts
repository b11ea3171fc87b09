/**
 * Comparison of option sets, for registries that share one instance per name (a warm pool, a breaker):
 * a second registration with the same options may share; one with other options must be told.
 */
import { describeValue, isPlainObject } from './guards.js'

/** One option that differs between two registrations, with both values described for a message. */
export interface OptionDifference {
  readonly path: string
  readonly first: string
  readonly second: string
}

const describeForComparison = (value: unknown): string => {
  if (typeof value !== 'function') return describeValue(value)
  return value.name === '' ? 'an anonymous function' : `function ${value.name}`
}

const collect = (first: unknown, second: unknown, path: string, found: OptionDifference[]): void => {
  if (Object.is(first, second)) return
  if (isPlainObject(first) && isPlainObject(second)) {
    const keys = new Set([...Object.keys(first), ...Object.keys(second)])
    for (const key of keys) collect(first[key], second[key], path === '' ? key : `${path}.${key}`, found)
    return
  }
  if (Array.isArray(first) && Array.isArray(second) && first.length === second.length) {
    for (let index = 0; index < first.length; index++) {
      collect(first[index], second[index], `${path}[${index}]`, found)
    }
    return
  }
  found.push({ path, first: describeForComparison(first), second: describeForComparison(second) })
}

/**
 * The options that differ between two option sets. Plain objects and arrays are compared by content;
 * everything else by identity (`Object.is`): two functions with the same source are different
 * functions, two clients built alike are different clients.
 *
 * @example
 * ```ts
 * differingOptions({ name: 'db', timeoutMs: 2000 }, { name: 'db', timeoutMs: 500 })
 * // [{ path: 'timeoutMs', first: '2000', second: '500' }]
 * ```
 */
export const differingOptions = (
  first: Readonly<Record<string, unknown>>,
  second: Readonly<Record<string, unknown>>,
): OptionDifference[] => {
  const found: OptionDifference[] = []
  collect(first, second, '', found)
  return found
}

/**
 * Says how two option sets differ, for the error of a conflicting registration:
 * `create (function createPool, then another function createPool), validateTimeoutMs (2000, then 500)`.
 *
 * @example
 * ```ts
 * const differences = differingOptions(registered, given)
 * if (differences.length > 0) throw optionError(pkg, `"db" is registered with other options: ${describeDifferences(differences)}`)
 * ```
 */
export const describeDifferences = (differences: readonly OptionDifference[]): string =>
  differences
    .map(({ path, first, second }) =>
      first === second
        ? `${path} (${first}, then another ${first.replace(/^an? /, '')})`
        : `${path} (${first}, then ${second})`,
    )
    .join(', ')
