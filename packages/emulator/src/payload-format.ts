/** The `--payload-format` flag of `serve`. */

/**
 * Reads `--payload-format`: `1.0` (REST API) or `2.0` (HTTP API); undefined when not given.
 *
 * @example
 * ```ts
 * payloadFormatFlag('1.0') // '1.0'
 * ```
 */
export const payloadFormatFlag = (text: string | undefined): '1.0' | '2.0' | undefined => {
  if (text === undefined) return undefined
  if (text === '1.0' || text === '2.0') return text
  throw new TypeError(`--payload-format must be 1.0 (REST API) or 2.0 (HTTP API), got ${text}`)
}
