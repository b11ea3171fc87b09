/** The compact live view `lambda-lifetime serve` prints: one line per environment. */
import type { EnvironmentInfo } from './types.js'

const duration = (ms: number): string => {
  if (ms < 60_000) return `${Math.floor(ms / 1000)}s`
  if (ms < 3_600_000)
    return `${Math.floor(ms / 60_000)}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`
  return `${Math.floor(ms / 3_600_000)}h${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, '0')}m`
}

const stateOf = (environment: EnvironmentInfo): string =>
  environment.frozen
    ? 'frozen'
    : environment.state === 'busy' && environment.inFlight > 1
      ? `busy×${environment.inFlight}`
      : environment.state

/**
 * Renders the environments as a small table: function, short id (the log stream's last 8 hex), pid,
 * state, invocations, runtimes (above 1 after a reset), age and idle time.
 *
 * @example
 * ```ts
 * process.stdout.write(renderEnvironments(emulator.environments(), Date.now()))
 * ```
 */
export const renderEnvironments = (environments: readonly EnvironmentInfo[], now: number): string => {
  const header = ['function', 'env', 'pid', 'state', 'invocations', 'runtimes', 'age', 'idle']
  const rows = environments.map((environment) => [
    environment.functionName,
    environment.id.slice(-8),
    String(environment.pid ?? '-'),
    stateOf(environment),
    String(environment.invocations),
    String(environment.runtimes),
    duration(now - environment.createdAt),
    environment.lastInvocationEndAt === null || environment.state === 'busy'
      ? '-'
      : duration(now - environment.lastInvocationEndAt),
  ])
  if (rows.length === 0) return 'no environments (the next invocation is a cold start)\n'
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  )
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] as number))
      .join('  ')
      .trimEnd()
  return `${[header, ...rows].map(line).join('\n')}\n`
}
