/** The Runtime and Extensions API server alone: routing and request checks, with handlers that record. */
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type RuntimeApiHandlers, sendJson, startRuntimeApi } from '../src/runtime-api.js'

const registered: { name: string; events: readonly string[] }[] = []
let server: Server
let api: string

const handlers: RuntimeApiHandlers = {
  next: (response) => sendJson(response, 200, {}),
  result: (_requestId, _body, _errorType, response) => sendJson(response, 202, {}),
  initError: (_body, response) => sendJson(response, 202, {}),
  registerExtension: (name, events, response) => {
    registered.push({ name, events })
    sendJson(response, 200, {}, { 'Lambda-Extension-Identifier': 'id-1' })
  },
  nextExtensionEvent: (_id, response) => sendJson(response, 200, {}),
  allowPeer: () => true,
}

const register = (body: string) =>
  fetch(`${api}/2020-01-01/extension/register`, {
    method: 'POST',
    headers: { 'Lambda-Extension-Name': 'watcher' },
    body,
  })

beforeAll(async () => {
  const started = await startRuntimeApi(handlers)
  server = started.server
  api = `http://127.0.0.1:${started.port}`
})

afterAll(async () => {
  await new Promise((resolve) => {
    server.close(resolve)
    server.closeAllConnections()
  })
})

describe('extension registration', () => {
  test('a body without events registers for none; events that are not strings are refused', async () => {
    // Act
    const withoutEvents = await register('{}')
    const numericEvents = await register('{"events":[1]}')

    // Assess
    expect(withoutEvents.status).toBe(200)
    expect(withoutEvents.headers.get('lambda-extension-identifier')).toBe('id-1')
    expect(registered).toEqual([{ name: 'watcher', events: [] }])
    expect(numericEvents.status).toBe(400)
    expect(await numericEvents.json()).toMatchObject({ errorType: 'Extension.InvalidRequest' })
  })
})
