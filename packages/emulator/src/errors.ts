/** Errors of @lambda-lifetime/emulator. Each carries Lambda's error code, as the Invoke API answers it. */
import { optionError } from '@lambda-lifetime/commons'

export const PACKAGE = '@lambda-lifetime/emulator'

/** An Invoke API error: `code` goes in `x-amzn-ErrorType`, `statusCode` is the HTTP status. */
export class InvokeApiError extends Error {
  readonly code: string
  readonly statusCode: number
  /** Lambda's `Reason` field of a throttle (`ConcurrentInvocationLimitExceeded`, …), if any. */
  readonly reason: string | undefined

  /**
   * @example
   * ```ts
   * throw new InvokeApiError('ResourceNotFoundException', 404, 'Function not found: arn:...')
   * ```
   */
  constructor(code: string, statusCode: number, message: string, reason?: string) {
    super(message, { cause: { package: PACKAGE } })
    this.name = 'InvokeApiError'
    this.code = code
    this.statusCode = statusCode
    this.reason = reason
  }
}

/**
 * The message of whatever was thrown, for an answer's reason.
 *
 * @example
 * ```ts
 * reasonOf(new Error('boom')) // 'boom'
 * reasonOf('plain')           // 'plain'
 * ```
 */
export const reasonOf = (thrown: unknown): string =>
  thrown instanceof Error ? thrown.message : String(thrown)

/** The package's `TypeError` for a bad option, naming the option. */
export const invalidOption = (message: string, option?: string): TypeError =>
  optionError(PACKAGE, message, option)
