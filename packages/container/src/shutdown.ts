/**
 * Shutdown hooks. Lambda sends SIGTERM only when an extension is registered (see
 * `enableGracefulShutdown`), then SIGKILLs the runtime once the budget is spent: 500 ms for a runtime
 * with an internal extension. Hooks run in reverse registration order, each within its own share of
 * one overall budget, so one that hangs or throws never keeps the others from running.
 */
import { emitLifecycle } from './events.js'
import { snapshotOf } from './invocation.js'
import { type ContainerState, containerState, type RegisteredHook } from './state.js'
import type { ShutdownHook, ShutdownHookOptions, ShutdownHookReport } from './types.js'

const PACKAGE = '@lambda-lifetime/container'

const invalid = (message: string): TypeError =>
  new TypeError(`${PACKAGE}: ${message}`, { cause: { package: PACKAGE } })

/**
 * Registers drain work to run when the runtime receives SIGTERM. The first registration installs the
 * one SIGTERM listener; hooks run last-registered first.
 *
 * @returns a function that unregisters the hook.
 * @example
 * ```ts
 * const pool = new pg.Pool()
 * onShutdown(() => pool.end(), { name: 'pg', timeoutMs: 200 })
 * ```
 */
export const onShutdown = (hook: ShutdownHook, options: ShutdownHookOptions = {}): (() => void) => {
  if (typeof hook !== 'function') throw invalid('onShutdown(hook) needs a function')
  const { timeoutMs } = options
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw invalid(`onShutdown option "timeoutMs" must be a positive number, got ${String(timeoutMs)}`)
  }
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw invalid('onShutdown option "name" must be a string')
  }
  const state = containerState()
  const registered: RegisteredHook = { hook, name: options.name || hook.name || 'anonymous', timeoutMs }
  state.hooks.push(registered)
  installSigtermListener(state)
  return () => {
    const index = state.hooks.indexOf(registered)
    if (index >= 0) state.hooks.splice(index, 1)
  }
}

export const installSigtermListener = (state: ContainerState): void => {
  if (state.sigtermInstalled) return
  state.sigtermInstalled = true
  process.once('SIGTERM', () => {
    void runShutdown('SIGTERM').then(() => {
      if (containerState().exitAfterShutdown) process.exit(0)
    })
  })
}

const TIMED_OUT = Symbol('timed out')

const runHook = async (registered: RegisteredHook, timeoutMs: number): Promise<ShutdownHookReport> => {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, TIMED_OUT)
  })
  try {
    const outcome = await Promise.race([Promise.resolve().then(registered.hook), timeout])
    const status = outcome === TIMED_OUT ? 'timeout' : 'ok'
    return { name: registered.name, status, durationMs: performance.now() - started }
  } catch {
    return { name: registered.name, status: 'error', durationMs: performance.now() - started }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Emits `container.shutdown`, then runs every hook within the budget. Exported for the SIGTERM
 * listener and for tests; runs once per runtime.
 */
export const runShutdown = (reason: 'SIGTERM'): Promise<ShutdownHookReport[]> => {
  const state = containerState()
  state.shutdown ??= drain(state, reason)
  return state.shutdown as Promise<ShutdownHookReport[]>
}

const drain = async (state: ContainerState, reason: 'SIGTERM'): Promise<ShutdownHookReport[]> => {
  state.shuttingDown = true
  emitLifecycle({ type: 'container.shutdown', at: Date.now(), container: snapshotOf(state), reason })
  const deadline = performance.now() + state.shutdownBudgetMs
  const hooks = [...state.hooks].reverse()
  const reports: ShutdownHookReport[] = []
  for (let index = 0; index < hooks.length; index++) {
    const registered = hooks[index] as RegisteredHook
    const remaining = deadline - performance.now()
    if (remaining <= 1) {
      reports.push({ name: registered.name, status: 'skipped', durationMs: 0 })
      continue
    }
    // A fair share of what is left, so a hook that hangs cannot starve the ones after it.
    const share = remaining / (hooks.length - index)
    const report = await runHook(registered, Math.min(registered.timeoutMs ?? share, remaining))
    if (report.status !== 'ok') {
      process.emitWarning(`shutdown hook "${report.name}" ended with ${report.status}`, {
        type: 'LambdaLifetimeWarning',
        code: 'LAMBDA_LIFETIME_SHUTDOWN_HOOK',
      })
    }
    reports.push(report)
  }
  return reports
}
