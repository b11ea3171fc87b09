/**
 * What an invocation ended with: the status code of its response and the error it threw. Both are read
 * from the Middy request when `invocation.end` is emitted.
 */
import type { LifecycleRequest } from '@lambda-lifetime/container'

/** The status code of an HTTP-shaped response, else undefined. */
export const statusCodeOf = (response: unknown): number | undefined => {
  if (typeof response !== 'object' || response === null) return undefined
  const statusCode = (response as { statusCode?: unknown }).statusCode
  return typeof statusCode === 'number' ? statusCode : undefined
}

/** A failed invocation that a middleware answered with a 4xx (this status): the caller's mistake, not the function's. */
export const isClientError = (status: number | undefined): boolean =>
  status !== undefined && status >= 400 && status < 500

const ERROR = Symbol('lambda-lifetime.logger.error')
const THROWN = Symbol('lambda-lifetime.logger.thrown')

type ErrorTrackedRequest = LifecycleRequest & { [ERROR]?: unknown; [THROWN]?: unknown }

/**
 * Error handlers replace `request.error`: `@middy/http-error-handler` puts a response-shaped
 * `{ statusCode: 500, message: undefined, expose: true }` in place of an unexpected error, so by the
 * time the invocation ends the thrown error is gone. Middy assigns the thrown value to `request.error`
 * first, so an accessor that keeps the first assignment keeps the original. The request is already a
 * dictionary-mode object (the container's `response` accessor), so one more accessor costs little.
 */
const errorProperty: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: ErrorTrackedRequest) {
    return this[ERROR]
  },
  set(this: ErrorTrackedRequest, value: unknown) {
    this[ERROR] = value
    if (!(THROWN in this)) this[THROWN] = value
  },
}

/** Starts keeping the first error assigned to this request; call before the handler runs. */
export const trackThrownError = (request: LifecycleRequest): void => {
  const tracked = request as ErrorTrackedRequest
  tracked[ERROR] = request.error
  Object.defineProperty(request, 'error', errorProperty)
}

/** The error first thrown in this invocation, whatever an error handler left in `request.error`. */
export const thrownErrorOf = (request: LifecycleRequest): unknown => (request as ErrorTrackedRequest)[THROWN]

export interface ErrorDescription {
  readonly name: string
  readonly message: string
  readonly stack?: string
}

const printable = (value: unknown): string => {
  try {
    return String(value)
  } catch {
    return '[unprintable]'
  }
}

/** Name, message and stack of whatever was thrown: an Error, an error-shaped object, or any other value. */
export const describeError = (error: unknown): ErrorDescription => {
  if (typeof error === 'object' && error !== null) {
    const { name, message, stack } = error as { name?: unknown; message?: unknown; stack?: unknown }
    if (typeof message === 'string') {
      const described = { name: typeof name === 'string' ? name : 'Error', message }
      return typeof stack === 'string' ? { ...described, stack } : described
    }
  }
  return { name: typeof error, message: printable(error) }
}
