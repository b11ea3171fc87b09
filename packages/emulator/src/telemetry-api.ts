/**
 * `PUT /2022-07-01/telemetry`: who may subscribe, and Lambda's answers. Only a registered extension
 * may, internal or external (Lambda looks the identifier up among both, as its runtime interface
 * emulator does); the runtime has no extension identifier, so its call is refused like any call
 * without one. The order of the checks is Lambda's: the identifier, then the body, then whether the
 * init still takes subscriptions.
 */
import type { SubscribeAnswer, TelemetryHub } from './telemetry.js'
import { isRefusal, parseSubscription } from './telemetry-subscription.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const forbidden = (errorType: string, errorMessage: string): SubscribeAnswer => ({
  status: 403,
  body: { errorType, errorMessage },
})

/**
 * Answers a subscription request of the extension `id` names (null: no identifier header).
 *
 * @example
 * ```ts
 * const answer = subscribeTelemetry(registry, log.telemetry, request.headers['lambda-extension-identifier'], body)
 * sendJson(response, answer.status, answer.body) // 200 "OK", or 400/403 with Lambda's errorType
 * ```
 */
export const subscribeTelemetry = (
  extensions: { nameOf(id: string): string | undefined },
  telemetry: TelemetryHub,
  id: string | null,
  body: Buffer,
): SubscribeAnswer => {
  if (id === null) {
    return forbidden('Extension.MissingExtensionIdentifier', 'Missing Lambda-Extension-Identifier header')
  }
  if (!UUID.test(id))
    return forbidden('Extension.InvalidExtensionIdentifier', 'Invalid Lambda-Extension-Identifier')
  const name = extensions.nameOf(id)
  if (name === undefined) return forbidden('Extension.UnknownExtensionIdentifier', `Unknown extension ${id}`)
  const subscription = parseSubscription(body)
  if (isRefusal(subscription)) return { status: 400, body: subscription }
  return telemetry.subscribe(name, subscription)
}
