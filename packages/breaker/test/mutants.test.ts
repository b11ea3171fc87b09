/**
 * Behaviour the mutation run (`npm run mutate -- breaker`) found untested: the wording of a
 * CircuitOpenError, and which foreign errors the middleware answers with 503.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { CircuitOpenError, circuitBreaker } from '@lambda-lifetime/breaker'
import middy from '@middy/core'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'
import { resetBreakers } from './support.js'

beforeEach(() => {
  resetContainer()
  resetBreakers()
})

afterEach(() => {
  resetBreakers()
})

describe('CircuitOpenError and the 503 answer, edges found by mutation testing', () => {
  it.each([
    ['open', 'open', 'is open (open); retry in 1200 ms'],
    ['halfOpen', 'probe-in-flight', 'is half-open (probe-in-flight); retry in 1200 ms'],
  ] as const)('says the circuit is %s, with its reason and the wait', (state, reason, text) => {
    // Act
    const error = new CircuitOpenError('payments', 1_199.2, state, reason)

    // Assess
    expect(error.message).toContain(`circuit "payments" ${text}`)
  })

  it('checks its options when the middleware is made, not only through circuitBreakerValidateOptions', () => {
    // Act
    const make = () =>
      circuitBreaker({ name: 'dep', action: async () => 1, retries: 3 } as unknown as Parameters<
        typeof circuitBreaker
      >[0])

    // Assess
    expect(make).toThrow(TypeError)
    expect(make).toThrow(/@lambda-lifetime\/breaker.*retries/)
  })

  const foreign = { name: 'CircuitOpenError', breaker: 'x', retryAfterMs: 2_500, reason: 'open' }
  it.each([
    ['a plain object with every field', { ...foreign }],
    ['an Error with another name', Object.assign(new Error('e'), { ...foreign, name: 'TypeError' })],
    [
      'an Error without a numeric retryAfterMs',
      Object.assign(new Error('e'), { ...foreign, retryAfterMs: '2500' }),
    ],
    ['an Error without a breaker name', Object.assign(new Error('e'), { ...foreign, breaker: undefined })],
  ])('does not answer 503 for %s, it rethrows it', async (_kind, thrown) => {
    // Prepare
    const handler = middy()
      .use(circuitBreaker({ name: 'dep', action: async () => 1 }))
      .handler(async () => {
        throw thrown
      })

    // Act
    const outcome = await handler({ httpMethod: 'GET' }, lambdaContext('a')).then(
      (response) => ({ response }),
      (error: unknown) => ({ error }),
    )

    // Assess
    expect(outcome).toEqual({ error: thrown })
  })
})
