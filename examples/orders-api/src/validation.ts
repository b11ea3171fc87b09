/** Checks a client's order before anything is charged or stored. */
import { httpError } from './errors.js'

export interface NewOrder {
  readonly item: string
  readonly quantity: number
  readonly amountCents: number
}

const MAX_ITEM_LENGTH = 100
const MAX_QUANTITY = 1_000
const MAX_AMOUNT_CENTS = 10_000_000

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max

/**
 * Returns the order, or throws a 400 whose reason names the first bad field.
 *
 * @example
 * ```ts
 * parseNewOrder({ item: 'book', quantity: 1, amountCents: 1200 }) // { item: 'book', … }
 * parseNewOrder({ item: 'book' }) // throws 400 "quantity must be an integer from 1 to 1000"
 * ```
 */
export const parseNewOrder = (body: unknown): NewOrder => {
  if (!isRecord(body)) throw httpError(400, 'Invalid order', 'the body must be a JSON object')
  const { item, quantity, amountCents } = body
  if (typeof item !== 'string' || item.trim() === '' || item.length > MAX_ITEM_LENGTH) {
    throw httpError(
      400,
      'Invalid order',
      `item must be a non-empty string of at most ${MAX_ITEM_LENGTH} characters`,
    )
  }
  if (!isIntegerIn(quantity, 1, MAX_QUANTITY)) {
    throw httpError(400, 'Invalid order', `quantity must be an integer from 1 to ${MAX_QUANTITY}`)
  }
  if (!isIntegerIn(amountCents, 1, MAX_AMOUNT_CENTS)) {
    throw httpError(400, 'Invalid order', `amountCents must be an integer from 1 to ${MAX_AMOUNT_CENTS}`)
  }
  return { item: item.trim(), quantity, amountCents }
}
