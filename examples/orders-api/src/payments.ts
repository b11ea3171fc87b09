/**
 * The downstream call the circuit breaker protects: a charge on the payments service. The order id is
 * the idempotency key, so a charge retried by a client is not taken twice.
 */
export interface Charge {
  readonly orderId: string
  readonly amountCents: number
}

export interface ChargeReceipt {
  readonly chargeId: string
}

/** The payments service answered, but not with a charge. */
export class PaymentsUnavailableError extends Error {
  override readonly name = 'PaymentsUnavailableError'
  constructor(readonly status: number) {
    super(`payments service answered ${status}`)
  }
}

/**
 * Posts a charge and returns its receipt; throws on any non-2xx answer or network error, which the
 * breaker counts as a failure.
 *
 * @example
 * ```ts
 * const { chargeId } = await charge('http://127.0.0.1:4010', { orderId, amountCents: 1200 })
 * ```
 */
export const charge = async (paymentsUrl: string, request: Charge): Promise<ChargeReceipt> => {
  const response = await fetch(`${paymentsUrl}/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': request.orderId },
    body: JSON.stringify(request),
  })
  if (!response.ok) {
    await response.body?.cancel()
    throw new PaymentsUnavailableError(response.status)
  }
  const receipt = (await response.json()) as Partial<ChargeReceipt>
  if (typeof receipt.chargeId !== 'string') throw new PaymentsUnavailableError(response.status)
  return { chargeId: receipt.chargeId }
}
