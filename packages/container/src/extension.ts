/**
 * Registers an internal extension so that Lambda delivers SIGTERM at shutdown. Without a registered
 * extension Lambda SIGKILLs the runtime and no shutdown hook ever runs.
 */
import type { request as httpRequest } from 'node:http'
import { emitPackageWarning, type OptionSchema, rules, validateOptions } from '@lambda-lifetime/commons'
import { readRuntimeApi } from './environment.js'
import { PACKAGE } from './package.js'
import { installSigtermListener } from './shutdown.js'
import { containerState } from './state.js'
import type { GracefulShutdownOptions, GracefulShutdownResult } from './types.js'

const REGISTER_TIMEOUT_MS = 2_000

const schema = {
  extensionName: rules.string({ nonEmpty: true }),
  // Lambda gives a runtime with an internal extension 500 ms after SIGTERM; 2 s with an external one.
  budgetMs: rules.number({ above: 0, max: 2_000 }),
  exitAfterShutdown: rules.boolean(),
} satisfies OptionSchema & Record<keyof GracefulShutdownOptions, unknown>

/**
 * Checks `enableGracefulShutdown` options; throws a `TypeError` that names the package and the bad option.
 *
 * @example
 * ```ts
 * gracefulShutdownValidateOptions({ budgetMs: 300 })   // passes
 * gracefulShutdownValidateOptions({ budgetMs: 5_000 }) // throws TypeError
 * ```
 */
export const gracefulShutdownValidateOptions = (options: GracefulShutdownOptions): void => {
  validateOptions(PACKAGE, schema, options, { label: 'enableGracefulShutdown options' })
}

/** `AWS_LAMBDA_RUNTIME_API` is `host:port`. */
const splitHostPort = (api: string): { host: string; port: number } => {
  const separator = api.lastIndexOf(':')
  return { host: api.slice(0, separator), port: Number(api.slice(separator + 1)) }
}

type Request = typeof httpRequest

const register = (request: Request, api: string, name: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify({ events: [] })
    const call = request(
      {
        ...splitHostPort(api),
        method: 'POST',
        path: '/2020-01-01/extension/register',
        agent: false,
        timeout: REGISTER_TIMEOUT_MS,
        headers: {
          'Lambda-Extension-Name': name,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (response) => {
        response.resume()
        const id = response.headers['lambda-extension-identifier']
        if (response.statusCode === 200 && typeof id === 'string' && id.length > 0) resolve(id)
        else reject(new Error(`the Extensions API answered ${response.statusCode} to the registration`))
      },
    )
    call.on('timeout', () =>
      call.destroy(new Error(`no answer from the Extensions API in ${REGISTER_TIMEOUT_MS} ms`)),
    )
    call.on('error', reject)
    call.end(body)
  })

/**
 * Init waits until every registered extension asks for its next event. An internal extension with no
 * events never gets one, so the long poll stays open, unref'd so that it keeps nothing alive.
 */
const waitForEvents = (request: Request, api: string, extensionId: string): void => {
  const call = request({
    ...splitHostPort(api),
    method: 'GET',
    path: '/2020-01-01/extension/event/next',
    agent: false,
    headers: { 'Lambda-Extension-Identifier': extensionId },
  })
  call.on('socket', (socket) => socket.unref())
  call.on('response', (response) => response.resume())
  call.on('error', () => {
    // The Runtime API closes the poll when the environment shuts down; nothing to do.
  })
  call.end()
}

const enable = async (options: GracefulShutdownOptions): Promise<GracefulShutdownResult> => {
  const api = readRuntimeApi()
  if (api === undefined) {
    return {
      enabled: false,
      reason: 'AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda or an emulator',
    }
  }
  const extensionName = options.extensionName ?? 'lambda-lifetime'
  try {
    // Loaded here, not at import: a function that never enables graceful shutdown, or a process that
    // has not loaded node:http yet (it is not the Lambda runtime client), does not pay for it.
    const { request } = await import('node:http')
    const extensionId = await register(request, api, extensionName)
    waitForEvents(request, api, extensionId)
    installSigtermListener(containerState())
    return { enabled: true, extensionId, extensionName }
  } catch (error) {
    const reason = `could not register the internal extension: ${(error as Error).message}`
    emitPackageWarning(PACKAGE, reason, 'LAMBDA_LIFETIME_EXTENSION')
    return { enabled: false, reason }
  }
}

/**
 * Asks Lambda to send SIGTERM before it shuts this environment down, so that `onShutdown` hooks run.
 * Await it at the top level of the handler module: extensions can register only during Init. Outside
 * Lambda it does nothing and says why. Calling it again returns the first call's result.
 *
 * @example
 * ```ts
 * import { enableGracefulShutdown } from '@lambda-lifetime/container'
 * await enableGracefulShutdown()
 * export const handler = middy(app).use(containerLifetime())
 * ```
 */
export const enableGracefulShutdown = (
  options: GracefulShutdownOptions = {},
): Promise<GracefulShutdownResult> => {
  gracefulShutdownValidateOptions(options)
  const state = containerState()
  if (options.budgetMs !== undefined) state.shutdownBudgetMs = options.budgetMs
  if (options.exitAfterShutdown !== undefined) state.exitAfterShutdown = options.exitAfterShutdown
  state.extension ??= enable(options)
  return state.extension as Promise<GracefulShutdownResult>
}
