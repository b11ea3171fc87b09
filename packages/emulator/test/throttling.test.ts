import { describe, expect, test } from '@jest/globals'
import { type ConcurrencyUser, SCALING_RATE, throttleFor } from '../src/throttling.js'

const user = (name: string, reserved: number | null, busy: number): ConcurrencyUser => ({
  name,
  reserved,
  busy: () => busy,
})

describe('throttleFor', () => {
  test("Lambda's scaling rate: 1,000 new environments per function every 10 s", () => {
    // Prepare
    const now = 1_000_000
    const starts = Array.from({ length: SCALING_RATE.environments }, (_, index) => now - index)
    const fresh = user('f', null, 0)

    // Act / Assess
    expect(throttleFor(fresh, [fresh], 5_000, starts, now)?.message).toContain('scaling rate')
    expect(throttleFor(fresh, [fresh], 5_000, starts, now + SCALING_RATE.windowMs)).toBeNull()
  })

  test('reservations come off the unreserved pool; a reservation larger than the account leaves none', () => {
    // Prepare
    const greedy = user('greedy', 10, 0)
    const other = user('other', null, 0)

    // Act / Assess
    expect(throttleFor(other, [greedy, other], 5, [])?.message).toContain('(0 of 5')
    expect(throttleFor(greedy, [greedy, other], 5, [])).toBeNull()
  })
})
