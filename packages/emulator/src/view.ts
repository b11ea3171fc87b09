/** What `lambda-lifetime serve` shows people: a compact table of environments and one line per event. */
import type { EmulatorEvent, EnvironmentInfo } from './types.js'

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
 * The short form of an id for people: its first 8 hex digits. For an environment (a log stream name
 * `YYYY/MM/DD/[$LATEST]<32 hex>`) that is the first 8 of the 32 hex digits; for a container id (a
 * UUID) its first 8. The emulator knows environments, not the container ids minted inside them, so
 * it shows the environment's short id.
 *
 * @example
 * ```ts
 * shortId('2026/12/04/[$LATEST]0c043fa44889969a82ad0b09bd15493d') // '0c043fa4'
 * shortId('6f1c2d3e-0000-4000-8000-000000000000')                  // '6f1c2d3e'
 * ```
 */
export const shortId = (id: string): string => {
  const stream = /\]([0-9a-f]{32})$/i.exec(id)
  return (stream ? (stream[1] as string) : id.replace(/-/g, '')).slice(0, 8)
}

/** Invocations per environment by how they answered, for the table. */
export interface AnswerCounts {
  clientErrors: number
  errors: number
}

/**
 * Counts an `invocation.end` event into per-environment answer counts (other events are ignored).
 *
 * @example
 * ```ts
 * const counts = new Map()
 * emulator.subscribe((event) => countAnswer(counts, event))
 * ```
 */
export const countAnswer = (counts: Map<string, AnswerCounts>, event: EmulatorEvent): void => {
  if (event.type === 'environment.stopped') counts.delete(event.environment.id)
  if (event.type !== 'invocation.end' || event.answer === 'success' || event.answer === undefined) return
  const count = counts.get(event.environment.id) ?? { clientErrors: 0, errors: 0 }
  if (event.answer === 'client-error') count.clientErrors += 1
  else count.errors += 1
  counts.set(event.environment.id, count)
}

const ANSWER_WORDS = { success: 'ok', 'client-error': 'client error', error: 'error' } as const

/**
 * One line for a person about an event, or null for events not worth a line: environments coming
 * and going, and each invocation's end with how it answered (a 4xx is a client error; a 5xx, a
 * thrown error, a timeout or a crash is an error).
 *
 * @example
 * ```ts
 * emulator.subscribe((event) => { const line = describeEvent(event); if (line) console.log(line) })
 * ```
 */
const describeDestination = (event: { destination: string | null; error?: string }): string =>
  event.destination === null
    ? 'dropped (no onFailure destination)'
    : event.error === undefined
      ? `record sent to ${event.destination}`
      : `not delivered to ${event.destination}: ${event.error}`

/**
 * A thaw worth a line: frozen for a second or more. Shorter freezes happen between every two requests
 * of a busy function and would double the output; long ones are where connections die.
 */
const THAW_WORTH_A_LINE_MS = 1_000

const describeThaw = (
  event: Extract<EmulatorEvent, { type: 'environment.thaw' }>,
  env: string,
): string | null => {
  const since = event.environment.lastInvocationEndAt
  if (since === null) return null
  const frozenMs = event.at - since
  if (frozenMs < THAW_WORTH_A_LINE_MS) return null
  return `${env}thawed after ${(frozenMs / 1000).toFixed(frozenMs < 10_000 ? 1 : 0)} s frozen`
}

export const describeEvent = (event: EmulatorEvent): string | null => {
  const env =
    'environment' in event ? `${event.environment.functionName} env ${shortId(event.environment.id)} ` : ''
  switch (event.type) {
    case 'environment.start':
      return `${env}starting (${event.environment.initType})`
    case 'environment.ready':
      return `${env}ready, init ${Math.round(event.initDurationMs)} ms`
    case 'environment.init-failed':
      return `${env}init failed: ${event.errorType} (${event.reason})`
    case 'environment.thaw':
      return describeThaw(event, env)
    case 'environment.reset':
      return `${env}reset after a ${event.reason}: new runtime, same log stream and /tmp`
    case 'environment.shutdown':
      return `${env}shut down (${event.reason}, ${event.signal})`
    case 'invocation.end': {
      const answer = ANSWER_WORDS[event.answer ?? (event.outcome === 'success' ? 'success' : 'error')]
      const status = event.statusCode === undefined ? '' : ` ${event.statusCode}`
      const outcome = event.outcome === 'success' ? '' : ` (${event.outcome})`
      const error = event.error === undefined ? '' : `: ${event.error}`
      return `${env}invocation ${event.environment.invocations}: ${answer}${status}${outcome} in ${Math.round(event.durationMs)} ms${error}`
    }
    case 'invocation.throttle':
      return `${event.functionName} throttled (429 TooManyRequestsException${event.reason ? `, ${event.reason}` : ''})${event.message ? `: ${event.message}` : ''}`
    case 'emulator.notice':
      return event.message
    case 'invocation.retry':
      return `${event.functionName} Event ${shortId(event.requestId)} failed: attempt ${event.attempt} in ${Math.round(event.delayMs)} ms`
    case 'invocation.failed-event':
      return `${event.functionName} Event ${shortId(event.requestId)} given up (${event.condition}): ${describeDestination(event)}`
    default:
      return null
  }
}

/**
 * Renders the environments as a small table: function, short id (`shortId`), pid, state,
 * invocations, client errors (4xx) and errors (5xx, thrown, timeout, crash) when counted, runtimes
 * (above 1 after a reset), age and idle time.
 *
 * @example
 * ```ts
 * process.stdout.write(renderEnvironments(emulator.environments(), Date.now()))
 * ```
 */
export const renderEnvironments = (
  environments: readonly EnvironmentInfo[],
  now: number,
  counts?: ReadonlyMap<string, AnswerCounts>,
): string => {
  const answers = counts === undefined ? [] : ['4xx', 'errors']
  const header = ['function', 'env', 'pid', 'state', 'invocations', ...answers, 'runtimes', 'age', 'idle']
  const rows = environments.map((environment) => {
    const count = counts?.get(environment.id) ?? { clientErrors: 0, errors: 0 }
    return [
      environment.functionName,
      shortId(environment.id),
      String(environment.pid ?? '-'),
      stateOf(environment),
      String(environment.invocations),
      ...(counts === undefined ? [] : [String(count.clientErrors), String(count.errors)]),
      String(environment.runtimes),
      duration(now - environment.createdAt),
      environment.lastInvocationEndAt === null || environment.state === 'busy'
        ? '-'
        : duration(now - environment.lastInvocationEndAt),
    ]
  })
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
