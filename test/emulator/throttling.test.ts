/**
 * Lambda's throttling model through the AWS SDK: reserved concurrency, the account's unreserved
 * concurrency, the 429's Reason, and the terminal line that says which limit was hit.
 */
import { InvokeCommand, TooManyRequestsException } from '@aws-sdk/client-lambda'
import { describe, expect, test } from '@jest/globals'
import { describeEvent } from '@lambda-lifetime/emulator'
import { fn, waitFor, withEmulator } from './harness.js'

const busy = { Payload: Buffer.from(JSON.stringify({ sleepMs: 1_500 })) }

describe('throttling', () => {
  test('a function at its reserved concurrency is refused with ReservedFunctionConcurrentInvocationLimitExceeded', () =>
    withEmulator([fn('reserved', 'reinit.handler', { concurrency: 1 })], {}, async ({ lambda, events }) => {
      // Act
      const first = lambda.send(new InvokeCommand({ FunctionName: 'reserved', ...busy }))
      await waitFor(() => events.some((event) => event.type === 'environment.start'), 'the first to take it')
      const refused = await lambda
        .send(new InvokeCommand({ FunctionName: 'reserved' }))
        .catch((error) => error)

      // Assess
      expect(refused).toBeInstanceOf(TooManyRequestsException)
      expect(refused).toMatchObject({ Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' })
      expect((await first).StatusCode).toBe(200)
      const line = describeEvent(events.find((event) => event.type === 'invocation.throttle') as never)
      expect(line).toContain('ReservedFunctionConcurrentInvocationLimitExceeded')
      expect(line).toContain('reserved concurrency (1, option concurrency)')
    }))

  test("the account's unreserved concurrency is shared by the functions without a reservation", () =>
    withEmulator(
      [
        fn('a', 'reinit.handler'),
        fn('b', 'reinit.handler'),
        fn('kept', 'reinit.handler', { concurrency: 1 }),
      ],
      { accountConcurrency: 2 },
      async ({ lambda, events }) => {
        // Act: the account has 2, 1 reserved for "kept": "a" takes the only unreserved one.
        const first = lambda.send(new InvokeCommand({ FunctionName: 'a', ...busy }))
        await waitFor(() => events.some((event) => event.type === 'environment.start'), 'a to take it')
        const refused = await lambda.send(new InvokeCommand({ FunctionName: 'b' })).catch((error) => error)
        const reservedStillServes = await lambda.send(new InvokeCommand({ FunctionName: 'kept' }))

        // Assess
        expect(refused).toMatchObject({
          name: 'TooManyRequestsException',
          Reason: 'ConcurrentInvocationLimitExceeded',
        })
        expect(refused.message).toContain(
          "account's unreserved concurrency (1 of 2, option accountConcurrency)",
        )
        expect(reservedStillServes.StatusCode).toBe(200)
        expect((await first).StatusCode).toBe(200)
      },
    ))
})
