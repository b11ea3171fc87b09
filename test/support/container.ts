/**
 * Test helpers shared by every package's tests: a fresh container state per test, and a way to run
 * the SIGTERM path without exiting the Jest worker. `deliverSigterm` reaches the state through its global
 * symbol, the same door two bundled copies of the package share.
 */
import { InvokeStore } from '@aws/lambda-invoke-store'
import { resetContainerState } from '@lambda-lifetime/container'

const STATE_KEY = Symbol.for('lambda-lifetime.container')

type Holder = Record<symbol, { exitAfterShutdown: boolean; shutdown: Promise<unknown> | null } | undefined>

/**
 * Forgets the container state and starts a new one whose runtime "started" now, as a new runtime would
 * (a long Jest run would otherwise look like a proactive init); removes this package's SIGTERM listener.
 * The package's own `resetContainerState()`, under the name the tests have always used.
 */
export const resetContainer = (): void => resetContainerState()

/** Delivers SIGTERM the way Lambda does and waits for the shutdown hooks, without exiting the process. */
export const deliverSigterm = async (): Promise<unknown> => {
  const state = (globalThis as unknown as Holder)[STATE_KEY]
  if (state === undefined) throw new Error('no container state: nothing registered for shutdown')
  state.exitAfterShutdown = false
  process.emit('SIGTERM', 'SIGTERM')
  return state.shutdown
}

/**
 * A Lambda context as the runtime passes it. Typed loosely on purpose: a Middy handler's context type
 * includes what its middlewares add (`container`, pools, breakers), which the caller never passes.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export const lambdaContext = (requestId: string, remainingMs = 3_000): any => ({
  awsRequestId: requestId,
  functionName: 'test-function',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:test-function',
  memoryLimitInMB: '128',
  logGroupName: '/aws/lambda/test-function',
  logStreamName: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => remainingMs,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
})

export type InvokeStoreInstance = Awaited<ReturnType<typeof InvokeStore.getInstanceAsync>>

/**
 * Sets the environment up as under Managed Instances, where the runtime client backs the invoke store
 * with AsyncLocalStorage, and returns that store; `stop()` undoes it.
 */
export const startManagedInstancesStore = async (): Promise<{
  store: InvokeStoreInstance
  stop: () => void
}> => {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY = '64'
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'lambda-managed-instances'
  const store = await InvokeStore.getInstanceAsync()
  const stop = (): void => {
    delete process.env.AWS_LAMBDA_MAX_CONCURRENCY
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE
    delete (globalThis as { awslambda?: { InvokeStore?: unknown } }).awslambda?.InvokeStore
  }
  return { store, stop }
}
