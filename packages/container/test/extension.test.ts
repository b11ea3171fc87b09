import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { enableGracefulShutdown } from '@lambda-lifetime/container'
import { resetContainer } from '../../../test/support/container.js'
import { containerState } from '../src/state.js'

interface Seen {
  method: string | undefined
  url: string | undefined
  headers: IncomingMessage['headers']
  body: string
}

/**
 * A stand-in for Lambda's Extensions API: the register and event/next endpoints. The registration is
 * answered with `registerStatus` and `extensionId` (none when null), or never when `answer` is false.
 */
const extensionsApi = async (registerStatus = 200, extensionId: string | null = 'ext-123', answer = true) => {
  const seen: Seen[] = []
  let pollArrived: () => void = () => undefined
  const polled = new Promise<void>((resolve) => {
    pollArrived = resolve
  })
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body })
      if (request.url === '/2020-01-01/extension/register') {
        if (!answer) return
        response.writeHead(
          registerStatus,
          extensionId === null ? {} : { 'Lambda-Extension-Identifier': extensionId },
        )
        response.end('{}')
      } else if (request.url === '/2020-01-01/extension/event/next') {
        pollArrived() // never answered: an internal extension without events waits forever
      } else {
        response.writeHead(404).end()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    seen,
    polled,
    api: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

describe('enableGracefulShutdown', () => {
  beforeEach(() => resetContainer())
  afterEach(() => {
    delete process.env.AWS_LAMBDA_RUNTIME_API
    jest.restoreAllMocks()
    resetContainer()
  })

  it('registers an internal extension without events, then polls for its next event', async () => {
    // Prepare
    const server = await extensionsApi()
    process.env.AWS_LAMBDA_RUNTIME_API = server.api
    const listenersBefore = process.listenerCount('SIGTERM')

    // Act
    const result = await enableGracefulShutdown({ extensionName: 'my-drain' })
    await server.polled
    await server.close()

    // Assess
    expect(result).toEqual({ enabled: true, extensionId: 'ext-123', extensionName: 'my-drain' })
    const [register, poll] = server.seen
    expect(register).toMatchObject({ method: 'POST', body: '{"events":[]}' })
    expect(register?.headers['lambda-extension-name']).toBe('my-drain')
    expect(poll).toMatchObject({ method: 'GET', url: '/2020-01-01/extension/event/next' })
    expect(poll?.headers['lambda-extension-identifier']).toBe('ext-123')
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore + 1)
  })

  it('returns the first result when called again', async () => {
    // Prepare
    const server = await extensionsApi()
    process.env.AWS_LAMBDA_RUNTIME_API = server.api

    // Act
    const first = await enableGracefulShutdown()
    const second = await enableGracefulShutdown()
    await server.close()

    // Assess
    expect(second).toBe(first)
    expect(server.seen.filter((request) => request.url?.endsWith('/register'))).toHaveLength(1)
  })

  it('does nothing outside Lambda and says why', async () => {
    // Act
    const result = await enableGracefulShutdown()

    // Assess
    expect(result).toEqual({
      enabled: false,
      reason: expect.stringContaining('AWS_LAMBDA_RUNTIME_API is not set'),
    })
  })

  it('warns and reports when the registration is refused', async () => {
    // Prepare
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const server = await extensionsApi(403)
    process.env.AWS_LAMBDA_RUNTIME_API = server.api

    // Act
    const result = await enableGracefulShutdown()
    await server.close()

    // Assess
    expect(result).toEqual({ enabled: false, reason: expect.stringContaining('answered 403') })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('answered 403'), {
      type: 'LambdaLifetimeWarning',
      code: 'LAMBDA_LIFETIME_EXTENSION',
    })
  })

  it('registers as lambda-lifetime by default, with a JSON body', async () => {
    // Prepare
    const server = await extensionsApi()
    process.env.AWS_LAMBDA_RUNTIME_API = server.api

    // Act
    const result = await enableGracefulShutdown()
    await server.close()

    // Assess
    expect(result).toMatchObject({ enabled: true, extensionName: 'lambda-lifetime' })
    expect(server.seen[0]?.headers).toMatchObject({
      'lambda-extension-name': 'lambda-lifetime',
      'content-type': 'application/json',
    })
  })

  it.each([
    ['no identifier', null],
    ['an empty identifier', ''],
  ])('refuses a registration answered 200 with %s', async (_case, extensionId) => {
    // Prepare
    jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const server = await extensionsApi(200, extensionId)
    process.env.AWS_LAMBDA_RUNTIME_API = server.api
    const listenersBefore = process.listenerCount('SIGTERM')

    // Act
    const result = await enableGracefulShutdown()
    await server.close()

    // Assess
    expect(result).toEqual({ enabled: false, reason: expect.stringContaining('answered 200') })
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore)
  })

  it('gives up on an Extensions API that never answers the registration', async () => {
    // Prepare
    jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const server = await extensionsApi(200, 'ext-123', false)
    process.env.AWS_LAMBDA_RUNTIME_API = server.api

    // Act
    const result = await enableGracefulShutdown()
    await server.close()

    // Assess
    expect(result).toEqual({
      enabled: false,
      reason: expect.stringContaining('no answer from the Extensions API'),
    })
  })

  it('keeps the shutdown settings it is not given, and takes the ones it is', async () => {
    // Act
    await enableGracefulShutdown({})
    const defaults = { ...containerState() }
    resetContainer()
    await enableGracefulShutdown({ budgetMs: 50, exitAfterShutdown: false })
    const given = containerState()

    // Assess
    expect([defaults.shutdownBudgetMs, defaults.exitAfterShutdown]).toEqual([400, true])
    expect([given.shutdownBudgetMs, given.exitAfterShutdown]).toEqual([50, false])
  })

  it('names its options in the error for options that are not an object', () => {
    // Assess
    expect(() => enableGracefulShutdown(null as never)).toThrow(
      '@lambda-lifetime/container: enableGracefulShutdown options must be an object, got null',
    )
  })

  it('reports an unreachable Extensions API', async () => {
    // Prepare
    jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const server = await extensionsApi()
    await server.close()
    process.env.AWS_LAMBDA_RUNTIME_API = server.api

    // Act
    const result = await enableGracefulShutdown()

    // Assess
    expect(result.enabled).toBe(false)
  })

  it.each([
    [{ extensionName: '' }, 'extensionName'],
    [{ budgetMs: 0 }, 'budgetMs'],
    [{ budgetMs: 5_000 }, 'budgetMs'],
    [{ exitAfterShutdown: 'no' }, 'exitAfterShutdown'],
  ])('rejects bad options %j', (options, name) => {
    expect(() => enableGracefulShutdown(options as never)).toThrow(name)
  })
})
