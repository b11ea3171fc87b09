/** Type guards and value descriptions shared by validators and parsers. */

/** A non-null object that is not an array: what a JSON object or an options bag is. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** An object made by `{}`, `Object.create(null)` or JSON: not a class instance, an array or a Map. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (!isRecord(value)) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

const QUOTED_LIMIT = 40

/**
 * Says what a value is, for an error message: numbers and booleans as written, strings quoted and cut
 * at 40 characters (an option may hold something secret; a message should identify it, not copy it),
 * everything else by its kind.
 *
 * @example
 * ```ts
 * describeValue('x')   // '"x"'
 * describeValue(null)  // 'null'
 * describeValue([1])   // 'an array'
 * ```
 */
export const describeValue = (value: unknown): string => {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > QUOTED_LIMIT ? `${value.slice(0, QUOTED_LIMIT)}…` : value)
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value)
    case 'function':
      return 'a function'
    case 'symbol':
      return 'a symbol'
    default:
      return 'an object'
  }
}
