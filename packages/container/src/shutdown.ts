/**
 * Shutdown hooks. Lambda sends SIGTERM only when an extension is registered (see
 * `enableGracefulShutdown`), then SIGKILLs the runtime once the budget is spent: 500 ms for a runtime
 * with an internal extension. Hooks run in reverse registration order, each within its own share of
 * one overall budget, so one that hangs or throws never keeps the others from running.
 */
import {
  emitPackageWarning,
  type OptionSchema,
  optionError,
  rules,
  TIMED_OUT,
  validateOptions,
  withinMs,
} from '@lambda-lifetime/commons'
import { emitLifecycle } from './events.js'
import { snapshotOf } from './invocation.js'
import { PACKAGE } from './package.js'
import { type ContainerState, containerState, forgetContainerState, type RegisteredHook } from './state.js'
import type { ShutdownHook, ShutdownHookOptions, ShutdownHookReport } from './types.js'

const hookSchema = {
  name: rules.string(),
  timeoutMs: rules.number({ above: 0 }),
} satisfies OptionSchema & Record<keyof ShutdownHookOptions, unknown>

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
  if (typeof hook !== 'function') throw optionError(PACKAGE, 'onShutdown(hook) needs a function')
  validateOptions(PACKAGE, hookSchema, options, { label: 'onShutdown options' })
  const state = containerState()
  const registered: RegisteredHook = {
    hook,
    name: options.name || hook.name || 'anonymous',
    timeoutMs: options.timeoutMs,
  }
  state.hooks.push(registered)
  installSigtermListener(state)
  return () => {
    const index = state.hooks.indexOf(registered)
    if (index >= 0) state.hooks.splice(index, 1)
  }
}

/** Installs this package's one SIGTERM listener, and keeps it on the state so a reset can remove it. */
export const installSigtermListener = (state: ContainerState): void => {
  if (typeof state.sigtermListener === 'function') return
  const runShutdownOnSigterm = (): void => {
    void runShutdown('SIGTERM').then(() => {
      if (containerState().exitAfterShutdown) process.exit(0)
    })
  }
  state.sigtermListener = runShutdownOnSigterm
  process.once('SIGTERM', runShutdownOnSigterm)
}

/**
 * Forgets this runtime's container state and starts over as if a new runtime had started now: a new
 * containerId at the next invocation, invocation numbers from 1, no listeners, no shutdown hooks, no
 * graceful-shutdown settings; and removes the SIGTERM listener this package installed (no other).
 *
 * For tests, and for tools that host several handlers one after another in one process (a local server,
 * a test runner); never inside a deployed function, where the state is the container's memory. An
 * invocation still running when it is called ends against the state it began with.
 *
 * @example
 * ```ts
 * import { resetContainerState } from '@lambda-lifetime/container'
 * beforeEach(() => resetContainerState())
 * ```
 */
export const resetContainerState = (): void => {
  const listener = containerState().sigtermListener
  if (typeof listener === 'function') process.removeListener('SIGTERM', listener)
  forgetContainerState()
  containerState().originMs = performance.now()
}

/**
 * Below this much of the budget a hook is skipped: nothing useful fits, and a timer set from the event
 * loop's cached clock can fire a few ms before `performance.now()` says its time is up.
 */
const MIN_HOOK_MS = 5

const runHook = async (registered: RegisteredHook, timeoutMs: number): Promise<ShutdownHookReport> => {
  const started = performance.now()
  try {
    const outcome = await withinMs(registered.hook, timeoutMs)
    const status = outcome === TIMED_OUT ? 'timeout' : 'ok'
    return { name: registered.name, status, durationMs: performance.now() - started }
  } catch {
    return { name: registered.name, status: 'error', durationMs: performance.now() - started }
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
    if (remaining < MIN_HOOK_MS) {
      reports.push({ name: registered.name, status: 'skipped', durationMs: 0 })
      continue
    }
    // A fair share of what is left, so a hook that hangs cannot starve the ones after it.
    const share = remaining / (hooks.length - index)
    const report = await runHook(registered, Math.min(registered.timeoutMs ?? share, remaining))
    if (report.status !== 'ok') {
      emitPackageWarning(
        PACKAGE,
        `shutdown hook "${report.name}" ended with ${report.status}`,
        'LAMBDA_LIFETIME_SHUTDOWN_HOOK',
      )
    }
    reports.push(report)
  }
  return reports
}
