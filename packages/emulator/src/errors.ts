/** Errors of @lambda-lifetime/emulator. Each carries Lambda's error code, as the Invoke API answers it. */

const PACKAGE = '@lambda-lifetime/emulator'

/** An Invoke API error: `code` goes in `x-amzn-ErrorType`, `statusCode` is the HTTP status. */
export class InvokeApiError extends Error {
  readonly code: string
  readonly statusCode: number

  /**
   * @example
   * ```ts
   * throw new InvokeApiError('ResourceNotFoundException', 404, 'Function not found: arn:...')
   * ```
   */
  constructor(code: string, statusCode: number, message: string) {
    super(message, { cause: { package: PACKAGE } })
    this.name = 'InvokeApiError'
    this.code = code
    this.statusCode = statusCode
  }
}

/** The package's `TypeError` for a bad option, naming the option. */
export const invalidOption = (message: string): TypeError =>
  new TypeError(`${PACKAGE}: ${message}`, { cause: { package: PACKAGE } })
