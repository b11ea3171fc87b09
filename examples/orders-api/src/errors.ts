/**
 * HTTP errors with a JSON body (`{"message", "reason"}`) that `@middy/http-error-handler` turns into
 * responses, and the middleware that gives the errors of other middlewares the same shape.
 */
import type { MiddlewareLike } from '@lambda-lifetime/container'
import { createError } from '@middy/util'
import { PaymentsUnavailableError } from './payments.js'

const BODY_PARSER = '@middy/http-json-body-parser'

/**
 * An error `@middy/http-error-handler` exposes: its message is a JSON body, so the response gets
 * `Content-Type: application/json`.
 *
 * @example
 * ```ts
 * throw httpError(400, 'Invalid order', 'quantity must be an integer from 1 to 1000')
 * ```
 */
export const httpError = (
  statusCode: number,
  message: string,
  reason?: string,
  headers?: Record<string, string>,
): Error =>
  createError(statusCode, JSON.stringify({ message, ...(reason === undefined ? {} : { reason }) }), {
    expose: true,
    ...(headers === undefined ? {} : { headers }),
  })

interface ErrorLike {
  name?: unknown
  statusCode?: unknown
  message?: unknown
  cause?: { package?: unknown; message?: unknown }
}

/** Maps an error thrown by a middleware or by the downstream call to the API's own error, or null. */
const translate = (error: ErrorLike): Error | null => {
  if (error.statusCode === 422 && error.cause?.package === BODY_PARSER) {
    // Middy answers 422 for a body that is not JSON; for a client it is a plain bad request.
    return httpError(400, 'Malformed JSON body', String(error.cause.message ?? 'the body is not valid JSON'))
  }
  if (error instanceof PaymentsUnavailableError) {
    return httpError(502, 'Payment failed', error.message)
  }
  if (error.name === 'CircuitOpenError') {
    return httpError(503, 'Payments unavailable', 'the payments circuit is open', { 'Retry-After': '10' })
  }
  if (
    error.name === 'TimeoutError' ||
    (typeof error.message === 'string' && error.message.startsWith('Timed out'))
  ) {
    return httpError(504, 'Payment timed out', String(error.message))
  }
  return null
}

/**
 * Gives the errors of other middlewares and of the payments call this API's JSON shape. Put it right
 * after `httpErrorHandler()` so that its `onError` runs just before the handler's.
 *
 * @example
 * ```ts
 * middy(app).use(httpErrorHandler()).use(apiErrors()).use(httpJsonBodyParser())
 * ```
 */
export const apiErrors = (): MiddlewareLike => ({
  onError: function apiErrorsMiddlewareOnError(request) {
    if (request.response !== undefined || typeof request.error !== 'object' || request.error === null) return
    request.error = translate(request.error as ErrorLike) ?? request.error
  },
})
