/**
 * Failed asynchronous invocations through the AWS SDK: Lambda's two retries with the same request
 * id, the maximum event age, and the on-failure destination as a folder or an HTTP endpoint.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvokeCommand } from '@aws-sdk/client-lambda'
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { fn, waitFor, withEmulator } from './harness.js'

let work: string

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'emulator-async-'))
})

afterEach(() => rmSync(work, { recursive: true, force: true }))

const linesOf = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []

describe('asynchronous invocation', () => {
  test('a failed Event runs three times with one request id, then its record goes to the folder', () => {
    // Prepare
    const record = join(work, 'attempts.txt')
    const failures = join(work, 'failed')
    const asyncInvoke = { timeScale: 0.001, onFailure: failures }
    return withEmulator([fn('flaky', 'records.handler', { asyncInvoke })], {}, async ({ lambda, events }) => {
      // Act
      const accepted = await lambda.send(
        new InvokeCommand({
          FunctionName: 'flaky',
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify({ record, fail: true })),
        }),
      )
      await waitFor(() => existsSync(failures) && readdirSync(failures).length === 1, 'the failure record')

      // Assess
      const requestId = accepted.$metadata.requestId as string
      expect(accepted.StatusCode).toBe(202)
      expect(linesOf(record)).toEqual([requestId, requestId, requestId])
      const retries = events.flatMap((event) => (event.type === 'invocation.retry' ? [event] : []))
      expect(retries.map((event) => [event.attempt, event.delayMs])).toEqual([
        [2, 60],
        [3, 120],
      ])
      const written = JSON.parse(readFileSync(join(failures, `${requestId}.json`), 'utf8'))
      expect(written).toMatchObject({
        version: '1.0',
        requestContext: {
          requestId,
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:flaky:$LATEST',
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: { record, fail: true },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: 'TypeError', errorMessage: 'asked to fail' },
      })
      expect(Date.parse(written.timestamp)).not.toBeNaN()
    })
  })

  test('with no retries the record is posted to an HTTP destination after one attempt', async () => {
    // Prepare
    const received: string[] = []
    const server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => {
        body += chunk
      })
      request.on('end', () => {
        received.push(body)
        response.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    const record = join(work, 'attempts.txt')
    const asyncInvoke = { maximumRetryAttempts: 0, onFailure: `http://127.0.0.1:${port}/failed` }
    try {
      await withEmulator([fn('once', 'records.handler', { asyncInvoke })], {}, async ({ lambda, events }) => {
        // Act
        await lambda.send(
          new InvokeCommand({
            FunctionName: 'once',
            InvocationType: 'Event',
            Payload: Buffer.from(JSON.stringify({ record, fail: true })),
          }),
        )
        await waitFor(() => events.some((event) => event.type === 'invocation.failed-event'), 'the give-up')

        // Assess
        expect(linesOf(record)).toHaveLength(1)
        await waitFor(() => received.length === 1, 'the POST')
        expect(JSON.parse(received[0] as string).requestContext).toMatchObject({
          condition: 'RetriesExhausted',
          approximateInvokeCount: 1,
        })
        expect(events.some((event) => event.type === 'invocation.retry')).toBe(false)
      })
    } finally {
      server.close()
    }
  })

  test('an event past its maximum age is given up (EventAgeExceeded); a destination that fails is reported', () => {
    // Prepare: 60 s of age scaled by 0.001 is 60 ms, less than the first wait plus the attempt itself.
    const record = join(work, 'attempts.txt')
    const asyncInvoke = { timeScale: 0.001, maximumEventAgeMs: 60_000, onFailure: 'http://127.0.0.1:1/x' }
    return withEmulator([fn('old', 'records.handler')], { asyncInvoke }, async ({ lambda, events }) => {
      // Act
      await lambda.send(
        new InvokeCommand({
          FunctionName: 'old',
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify({ record, fail: true })),
        }),
      )
      await waitFor(
        () => events.some((event) => event.type === 'invocation.failed-event' && event.error !== undefined),
        'the failed delivery',
      )

      // Assess
      expect(linesOf(record)).toHaveLength(1)
      const failed = events.find((event) => event.type === 'invocation.failed-event')
      expect(failed).toMatchObject({ condition: 'EventAgeExceeded', destination: 'http://127.0.0.1:1/x' })
    })
  })

  test('a successful Event runs once; a failed one without destination is dropped and said so', () =>
    withEmulator(
      [fn('plain', 'records.handler')],
      { asyncInvoke: { maximumRetryAttempts: 1, timeScale: 0.001 } },
      async ({ lambda, events }) => {
        // Prepare
        const ok = join(work, 'ok.txt')
        const bad = join(work, 'bad.txt')

        // Act
        for (const payload of [{ record: ok }, { record: bad, fail: true }]) {
          await lambda.send(
            new InvokeCommand({
              FunctionName: 'plain',
              InvocationType: 'Event',
              Payload: Buffer.from(JSON.stringify(payload)),
            }),
          )
        }
        await waitFor(() => events.some((event) => event.type === 'invocation.failed-event'), 'the give-up')
        await waitFor(() => linesOf(ok).length > 0, 'the successful Event')

        // Assess
        expect(linesOf(ok)).toHaveLength(1)
        expect(linesOf(bad)).toHaveLength(2)
        expect(events.find((event) => event.type === 'invocation.failed-event')).toMatchObject({
          condition: 'RetriesExhausted',
          destination: null,
        })
      },
    ))

  test('a retry still waiting when the emulator stops is not run', () => {
    const record = join(work, 'attempts.txt')
    return withEmulator(
      [fn('slow', 'records.handler', { asyncInvoke: { timeScale: 1 } })],
      {},
      async ({ lambda, events, stop }) => {
        // Act
        await lambda.send(
          new InvokeCommand({
            FunctionName: 'slow',
            InvocationType: 'Event',
            Payload: Buffer.from(JSON.stringify({ record, fail: true })),
          }),
        )
        await waitFor(() => events.some((event) => event.type === 'invocation.retry'), 'the retry')
        await stop()

        // Assess
        expect(linesOf(record)).toHaveLength(1)
      },
    )
  })
})
