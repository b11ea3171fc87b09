/**
 * The HTTP front door over real HTTP: bodies base64 unless text-like, API Gateway's added headers,
 * repeated headers joined with commas, and Lambda's refusals as API Gateway answers them.
 */
import { request } from 'node:http'
import { describe, expect, test } from '@jest/globals'
import { fn, waitFor, withEmulator } from './harness.js'

/** One request with headers sent as separate lines when given as arrays. */
const send = (
  url: string,
  headers: Record<string, string | string[]>,
  body: string,
): Promise<{ status: number; json: Record<string, unknown> }> =>
  new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers }, (response) => {
      let text = ''
      response.on('data', (chunk) => {
        text += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) }))
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })

describe('HTTP front door', () => {
  test('a form post arrives base64 with the added headers; repeated headers are joined with commas', () =>
    withEmulator([fn('echo', 'echo-event.handler')], { httpPort: 0 }, async ({ emulator }) => {
      // Act
      const form = await send(
        `${emulator.httpUrl}/submit`,
        { 'content-type': 'application/x-www-form-urlencoded', 'x-multi': ['1', '2'] },
        'a=1&b=2',
      )
      const json = await send(`${emulator.httpUrl}/submit`, { 'content-type': 'application/json' }, '{"a":1}')
      const bare = await send(`${emulator.httpUrl}/submit`, {}, 'plain words')

      // Assess
      expect(form.status).toBe(200)
      expect(form.json).toMatchObject({
        isBase64Encoded: true,
        body: Buffer.from('a=1&b=2').toString('base64'),
      })
      const port = new URL(emulator.httpUrl as string).port
      expect(form.json.headers).toMatchObject({
        'x-multi': '1,2',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-forwarded-port': port,
        'x-amzn-trace-id': expect.stringMatching(/^Root=1-/),
      })
      expect(json.json).toMatchObject({ isBase64Encoded: false, body: '{"a":1}' })
      expect(bare.json).toMatchObject({ isBase64Encoded: true })
    }))

  test('a throttled invocation is a 500 Internal Server Error, as API Gateway answers it', () =>
    withEmulator(
      [fn('slow', 'reinit.handler', { concurrency: 1 })],
      { httpPort: 0 },
      async ({ emulator, events }) => {
        // Act: the first holds the only environment; the second is throttled by Lambda.
        const first = send(
          `${emulator.httpUrl}/x`,
          { 'content-type': 'application/json' },
          '{"sleepMs":1500}',
        )
        await waitFor(
          () => events.some((event) => event.type === 'environment.start'),
          'the first to take it',
        )
        const second = await send(`${emulator.httpUrl}/x`, {}, '')

        // Assess
        expect(second.status).toBe(500)
        expect(second.json).toMatchObject({ message: 'Internal Server Error' })
        expect(String(second.json.reason)).toContain('TooManyRequestsException')
        expect((await first).status).toBe(200)
      },
    ))
})
