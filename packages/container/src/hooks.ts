/**
 * The shutdown hook runner, loaded only when SIGTERM arrives. Hooks run one after another, each within
 * its own share of what is left of one overall budget, so one that hangs or throws never keeps the
 * others from running.
 */
import { emitPackageWarning, TIMED_OUT, withinMs } from '@lambda-lifetime/commons'
import { PACKAGE } from './package.js'
import type { RegisteredHook } from './state.js'
import type { ShutdownHookReport } from './types.js'

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

/** Runs `hooks` in order until `deadline` (a `performance.now()` reading); reports each one. */
export const runHooks = async (
  hooks: readonly RegisteredHook[],
  deadline: number,
): Promise<ShutdownHookReport[]> => {
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
