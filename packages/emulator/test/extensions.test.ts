/**
 * The parts of external extensions that need no process: which files of a folder run, what
 * environment they get, how the registry answers each call (Lambda's status codes and error types,
 * from the runtime interface emulator's rapi handlers), the Extensions API routes, and the option.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import { serveArgsToOptions } from '../src/cli.js'
import { EXTENSION_MARK_VARIABLE, extensionEnv, listExtensionFiles } from '../src/extension-process.js'
import { ExtensionRegistry } from '../src/extensions.js'
import { emulatorOptionsProblem, resolveFunction } from '../src/options.js'
import { OWNER_VARIABLE } from '../src/orphans.js'
import { sendJson, startRuntimeApi } from '../src/runtime-api.js'

const scratch = mkdtempSync(join(tmpdir(), 'emulator-extension-units-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** What the registry wrote to one HTTP answer. */
interface Answer {
  status: number
  headers: Record<string, string | number>
  body: Record<string, unknown> | null
}

/** A stand-in for an HTTP answer that records what is written to it. */
const answer = (): { response: ServerResponse; sent: Answer } => {
  const sent: Answer = { status: 0, headers: {}, body: null }
  const response = {
    writeHead(status: number, headers: Record<string, string | number>) {
      sent.status = status
      sent.headers = headers
      return response
    },
    end(text: string) {
      sent.body = JSON.parse(text) as Record<string, unknown>
    },
  }
  return { response: response as unknown as ServerResponse, sent }
}

const REGISTRATION = {
  functionName: 'fn',
  functionVersion: '$LATEST',
  handler: 'index.handler',
  accountId: '123456789012',
}

const registerAs = (registry: ExtensionRegistry, name: string, events: string[], features: string[] = []) => {
  const { response, sent } = answer()
  registry.register(name, events, true, response, features)
  return sent
}

describe('listExtensionFiles', () => {
  test('lists the files of the folder in name order, not its folders; a missing folder holds none', () => {
    // Prepare
    const dir = join(scratch, 'listing')
    mkdirSync(join(dir, 'nested'), { recursive: true })
    writeFileSync(join(dir, 'zeta'), '')
    writeFileSync(join(dir, 'alpha'), '')
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling'))

    // Act
    const files = listExtensionFiles(dir)

    // Assess: the dangling link is kept, as Lambda would try it (and fail to launch it).
    expect(files).toEqual([join(dir, 'alpha'), join(dir, 'dangling'), join(dir, 'zeta')])
    expect(listExtensionFiles(join(scratch, 'no-such-folder'))).toEqual([])
    expect(listExtensionFiles(null)).toEqual([])
  })
})

describe('extensionEnv', () => {
  test("keeps the function's variables, drops the runtime's own and those starting with _ but the owner mark", () => {
    // Act
    const env = extensionEnv({
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:1',
      AWS_LAMBDA_LOG_STREAM_NAME: 'stream',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fn',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: '/code',
      LAMBDA_RUNTIME_DIR: '/runtime',
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      _HANDLER: 'index.handler',
      _AWS_XRAY_DAEMON_PORT: '2000',
      [OWNER_VARIABLE]: '1@2',
      MY_SETTING: 'kept',
    })

    // Assess
    expect(env).toEqual({
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:1',
      [OWNER_VARIABLE]: '1@2',
      MY_SETTING: 'kept',
    })
    expect(EXTENSION_MARK_VARIABLE.startsWith('_')).toBe(true)
  })
})

describe('ExtensionRegistry', () => {
  test('a started extension registers as external (INVOKE and SHUTDOWN); the runtime may start once all did', () => {
    // Prepare
    const registry = new ExtensionRegistry(REGISTRATION, ['agent', 'other'])

    // Act
    const first = registerAs(registry, 'agent', ['INVOKE', 'SHUTDOWN'])

    // Assess
    expect(first.status).toBe(200)
    expect(first.body).toEqual({ functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler' })
    expect(typeof first.headers['Lambda-Extension-Identifier']).toBe('string')
    expect(registry.externalRegistered).toBe(false)
    registerAs(registry, 'other', ['SHUTDOWN'], ['accountId'])
    expect(registry.externalRegistered).toBe(true)
    expect(registry.externalCount).toBe(2)
    expect(registry.internalCount).toBe(0)
    expect(registry.shutdownSubscribers()).toEqual(['agent', 'other'])
  })

  test('the account id goes only to an extension that accepts it', () => {
    // Prepare
    const registry = new ExtensionRegistry(REGISTRATION, ['agent'])

    // Act
    const sent = registerAs(registry, 'agent', ['INVOKE'], ['accountId'])

    // Assess
    expect(sent.body).toMatchObject({ accountId: '123456789012' })
  })

  test("refuses events Lambda does not have, SHUTDOWN to internal ones, and a second internal one's name", () => {
    // Prepare
    const registry = new ExtensionRegistry(REGISTRATION, ['agent'])

    // Act
    const unknown = registerAs(registry, 'agent', ['INVOKE', 'RESTORE'])
    const internalShutdown = registerAs(registry, 'inside', ['SHUTDOWN'])
    registerAs(registry, 'inside', ['INVOKE'])
    const twice = registerAs(registry, 'inside', ['INVOKE'])

    // Assess
    expect(unknown).toMatchObject({
      status: 403,
      body: { errorType: 'Extension.InvalidEventType', errorMessage: 'RESTORE: ErrorInvalidEventType' },
    })
    expect(internalShutdown.body).toMatchObject({
      errorMessage: 'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension',
    })
    expect(twice).toMatchObject({ status: 403, body: { errorType: 'Extension.InvalidExtensionState' } })
    expect(registry.externalRegistered).toBe(false)
  })

  test('/extension/init/error and /exit/error: unknown identifier, missing header, then the state and the fatal error type', () => {
    // Prepare
    const registry = new ExtensionRegistry(REGISTRATION, ['agent', 'quitter'])
    const agent = registerAs(registry, 'agent', ['INVOKE']).headers['Lambda-Extension-Identifier'] as string
    const quitter = registerAs(registry, 'quitter', ['INVOKE']).headers[
      'Lambda-Extension-Identifier'
    ] as string
    const unknown = answer()
    const missing = answer()
    const initError = answer()
    const exitError = answer()

    // Act
    registry.reportError('init', 'not-an-id', 'Extension.Bad', unknown.response)
    registry.reportError('init', agent, undefined, missing.response)
    registry.reportError('init', agent, 'Extension.ConfigInvalid', initError.response)
    registry.reportError('exit', quitter, 'Extension.Broken', exitError.response)

    // Assess
    expect(unknown.sent).toMatchObject({
      status: 403,
      body: { errorType: 'Extension.UnknownExtensionIdentifier' },
    })
    expect(missing.sent).toMatchObject({
      status: 403,
      body: {
        errorType: 'Extension.MissingHeader',
        errorMessage: 'Lambda-Extension-Function-Error-Type not found',
      },
    })
    expect(initError.sent).toEqual({ status: 202, headers: expect.anything(), body: { status: 'OK' } })
    expect(registry.fatalErrorOf('agent')).toBe('Extension.InitError')
    expect(registry.fatalErrorOf('quitter')).toBe('Extension.ExitError')
    expect(registry.fatalErrorOf('never-registered')).toBe('Extension.Crash')
    expect(registry.summaries()).toEqual([
      { name: 'agent', state: 'InitError', events: ['INVOKE'], errorType: 'Extension.ConfigInvalid' },
      { name: 'quitter', state: 'ExitError', events: ['INVOKE'], errorType: 'Extension.Broken' },
    ])
  })

  test('SHUTDOWN waits for the next poll of an extension that is not polling, and goes to subscribers only', () => {
    // Prepare
    const registry = new ExtensionRegistry(REGISTRATION, ['agent', 'invoke-only'])
    const agent = registerAs(registry, 'agent', ['SHUTDOWN']).headers['Lambda-Extension-Identifier'] as string
    const other = registerAs(registry, 'invoke-only', ['INVOKE']).headers[
      'Lambda-Extension-Identifier'
    ] as string
    const otherPoll = answer()
    registry.poll(other, otherPoll.response)

    // Act
    registry.notifyShutdown(12_345, 'timeout')
    const agentPoll = answer()
    registry.poll(agent, agentPoll.response)

    // Assess
    expect(agentPoll.sent.body).toEqual({
      eventType: 'SHUTDOWN',
      deadlineMs: 12_345,
      shutdownReason: 'timeout',
    })
    expect(otherPoll.sent.status).toBe(0)
    expect(registry.summaries().map((summary) => summary.state)).toEqual(['Ready', 'Ready'])
  })
})

describe('the Extensions API error routes', () => {
  test('pass the kind, the identifier and the error category on; without a handler they are not served', async () => {
    // Prepare
    const calls: unknown[] = []
    const base = {
      next: (response: ServerResponse) => sendJson(response, 200, {}),
      result: () => undefined,
      stream: () => undefined,
      initError: () => undefined,
      registerExtension: () => undefined,
      nextExtensionEvent: () => undefined,
      subscribeTelemetry: () => undefined,
      allowPeer: () => true,
    }
    const withRoute = await startRuntimeApi({
      ...base,
      extensionError: (kind, id, category, response) => {
        calls.push({ kind, id, category })
        sendJson(response, 202, { status: 'OK' })
      },
    })
    const without = await startRuntimeApi(base)
    try {
      // Act
      const post = (port: number, kind: string, headers: Record<string, string>) =>
        fetch(`http://127.0.0.1:${port}/2020-01-01/extension/${kind}/error`, { method: 'POST', headers })
      const init = await post(withRoute.port, 'init', {
        'Lambda-Extension-Identifier': 'id-1',
        'Lambda-Extension-Function-Error-Type': 'Extension.ConfigInvalid',
      })
      const exit = await post(withRoute.port, 'exit', { 'Lambda-Extension-Identifier': 'id-2' })
      const unserved = await post(without.port, 'exit', { 'Lambda-Extension-Identifier': 'id-2' })

      // Assess
      expect([init.status, exit.status, unserved.status]).toEqual([202, 202, 404])
      expect(calls).toEqual([
        { kind: 'init', id: 'id-1', category: 'Extension.ConfigInvalid' },
        { kind: 'exit', id: 'id-2', category: undefined },
      ])
    } finally {
      for (const { server } of [withRoute, without]) {
        server.closeAllConnections()
        server.close()
      }
    }
  })
})

describe('the extensions folder option', () => {
  const fn = { name: 'fn', handler: 'index.handler', codeDir: '.' }

  test("a function's own folder wins over the emulator's; none by default; paths become absolute", () => {
    // Act
    const own = resolveFunction({ extensionsDir: 'shared', functions: [] }, { ...fn, extensionsDir: 'mine' })
    const shared = resolveFunction({ extensionsDir: 'shared', functions: [] }, fn)
    const none = resolveFunction({ functions: [] }, fn)

    // Assess
    expect(own.extensionsDir).toBe(resolve('mine'))
    expect(shared.extensionsDir).toBe(resolve('shared'))
    expect(none.extensionsDir).toBeNull()
  })

  test('an empty or non-string folder is refused, naming the option', () => {
    // Act
    const empty = emulatorOptionsProblem({ functions: [{ ...fn, extensionsDir: '' }] })
    const number = emulatorOptionsProblem({ extensionsDir: 3, functions: [fn] })

    // Assess
    expect(empty).toMatch(/^option "functions\[0\]\.extensionsDir" \(function "fn"\)/)
    expect(number).toMatch(/^option "extensionsDir"/)
  })

  test('--extensions DIR applies to every function; a config file resolves its folders beside itself', () => {
    // Prepare
    const configDir = join(scratch, 'config')
    mkdirSync(configDir, { recursive: true })
    const config = join(configDir, 'emulator.json')
    writeFileSync(
      config,
      JSON.stringify({ extensionsDir: 'all', functions: [{ ...fn, extensionsDir: 'layer/extensions' }] }),
    )

    // Act
    const flag = serveArgsToOptions({ handler: 'index.handler', extensions: 'exts' })
    const file = serveArgsToOptions({ config })

    // Assess
    expect(flag.extensionsDir).toBe(resolve('exts'))
    expect(file.extensionsDir).toBe(join(configDir, 'all'))
    expect(file.functions[0]?.extensionsDir).toBe(join(configDir, 'layer', 'extensions'))
  })
})
