/**
 * What Lambda does with a failed asynchronous (`Event`) invocation: it runs it again, twice by
 * default, about one and two minutes later, with the same request id, as long as the event is younger
 * than the maximum event age; then it sends a record of it to the on-failure destination (here a
 * folder or an HTTP endpoint) or drops it. Local runs scale the waits with `timeScale`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describeValue, isRecord, type OptionSchema, type Rule, rules } from '@lambda-lifetime/commons'
import type { InvocationResult } from './dispatch.js'

/** `asyncInvoke`: Lambda's asynchronous invocation config, with a local time scale. */
export interface AsyncInvokeOptions {
  /** Retries after the first failed attempt, 0 to 2 (Lambda's `MaximumRetryAttempts`). Default 2. */
  readonly maximumRetryAttempts?: number
  /** An event older than this is not run again (`MaximumEventAgeInSeconds`, 60 s to 6 h). Default 6 h. */
  readonly maximumEventAgeMs?: number
  /**
   * Multiplies Lambda's waits (1 and 2 minutes) and the maximum event age, so that retries show up in
   * a local run. Default 1/60 (1 s and 2 s); 1 is Lambda's timing.
   */
  readonly timeScale?: number
  /** On-failure destination: a folder (one JSON file per event) or an `http(s)://` URL (POST). */
  readonly onFailure?: string
}

export interface ResolvedAsyncInvoke {
  readonly maximumRetryAttempts: number
  readonly maximumEventAgeMs: number
  readonly timeScale: number
  readonly onFailure: string | null
}

/** Lambda's waits before the second and the third attempt. */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const

export const ASYNC_INVOKE_DEFAULTS: ResolvedAsyncInvoke = {
  maximumRetryAttempts: 2,
  maximumEventAgeMs: 21_600_000,
  timeScale: 1 / 60,
  onFailure: null,
}

const ASYNC_INVOKE_SCHEMA: OptionSchema = {
  maximumRetryAttempts: rules.number({ min: 0, max: 2, integer: true }),
  maximumEventAgeMs: rules.duration({ min: 60_000, max: 21_600_000 }),
  timeScale: rules.number({ above: 0, max: 1 }),
  onFailure: rules.string({ nonEmpty: true, expected: 'a folder or an http(s):// URL' }),
}

/** The option's rule, for the emulator and each function. */
export const asyncInvokeRule: Rule = (value, path) =>
  isRecord(value)
    ? rules.objectOf(ASYNC_INVOKE_SCHEMA)(value, path)
    : { path, problem: `must be an object, got ${describeValue(value)}` }

/**
 * The function's own settings over the emulator's over Lambda's defaults; a folder is made absolute
 * against the current directory.
 *
 * @example
 * ```ts
 * resolveAsyncInvoke({ timeScale: 1 }, { maximumRetryAttempts: 0 }).maximumRetryAttempts // 0
 * ```
 */
export const resolveAsyncInvoke = (
  ...levels: readonly (AsyncInvokeOptions | undefined)[]
): ResolvedAsyncInvoke => {
  const merged = Object.assign({}, ASYNC_INVOKE_DEFAULTS, ...levels.map((level) => level ?? {}))
  const onFailure = merged.onFailure ?? null
  return {
    ...merged,
    onFailure: onFailure === null || /^https?:\/\//.test(onFailure) ? onFailure : resolve(onFailure),
  }
}

export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded'

/** After a failed attempt: wait and run it again, or give up for the reason Lambda names. */
export type NextStep =
  | { readonly kind: 'retry'; readonly delayMs: number }
  | { readonly kind: 'give-up'; readonly condition: FailureCondition }

/**
 * What follows the failed attempt number `attempt` (1 is the first run) of an event accepted at
 * `acceptedAt`.
 *
 * @example
 * ```ts
 * nextStep(ASYNC_INVOKE_DEFAULTS, 1, 0, 0) // { kind: 'retry', delayMs: 1000 }
 * ```
 */
export const nextStep = (
  config: ResolvedAsyncInvoke,
  attempt: number,
  acceptedAt: number,
  now: number,
): NextStep => {
  if (attempt > config.maximumRetryAttempts) return { kind: 'give-up', condition: 'RetriesExhausted' }
  const delayMs = Math.round((ASYNC_RETRY_DELAYS_MS[attempt - 1] ?? 120_000) * config.timeScale)
  const ageLimitMs = config.maximumEventAgeMs * config.timeScale
  if (now + delayMs - acceptedAt > ageLimitMs) return { kind: 'give-up', condition: 'EventAgeExceeded' }
  return { kind: 'retry', delayMs }
}

const parsedOrText = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/**
 * The record Lambda sends to an on-failure destination.
 *
 * @example
 * ```ts
 * failureRecord({ requestId, functionArn, condition: 'RetriesExhausted', attempts: 3, payload: '{}', result })
 * ```
 */
export const failureRecord = (failure: {
  readonly requestId: string
  readonly functionArn: string
  readonly condition: FailureCondition
  readonly attempts: number
  readonly payload: string
  readonly result: Pick<InvocationResult, 'payload'>
}): Record<string, unknown> => ({
  version: '1.0',
  timestamp: new Date().toISOString(),
  requestContext: {
    requestId: failure.requestId,
    functionArn: `${failure.functionArn}:$LATEST`,
    condition: failure.condition,
    approximateInvokeCount: failure.attempts,
  },
  requestPayload: parsedOrText(failure.payload),
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: parsedOrText(failure.result.payload),
})

const DESTINATION_TIMEOUT_MS = 10_000

/**
 * Sends a failure record to its destination: `<folder>/<requestId>.json`, or a POST of the JSON to
 * the URL (answered with 2xx within 10 s). Resolves with the file or URL; rejects with the reason.
 *
 * @example
 * ```ts
 * await deliverFailure('/tmp/failed-events', record) // '/tmp/failed-events/<requestId>.json'
 * ```
 */
export const deliverFailure = async (
  destination: string,
  record: Record<string, unknown>,
): Promise<string> => {
  const body = `${JSON.stringify(record, null, 2)}\n`
  if (/^https?:\/\//.test(destination)) {
    const response = await fetch(destination, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(DESTINATION_TIMEOUT_MS),
    })
    if (!response.ok) throw new Error(`${destination} answered ${response.status}`)
    return destination
  }
  const requestId = (record.requestContext as { requestId: string }).requestId
  mkdirSync(destination, { recursive: true })
  const file = join(destination, `${requestId}.json`)
  writeFileSync(file, body)
  return file
}
