/**
 * What the dashboard shows, kept on the emulator's side: one row per environment (live, and the
 * recently shut down for a while) and a bounded history of the last minutes for the lane view. Fed by
 * the emulator's events; every event becomes one small update that goes to the browsers as it is.
 */
import { maxMemoryUsedMb } from '../logs.js'
import type { EmulatorEvent, EnvironmentInfo } from '../types.js'
import { shortId } from '../view.js'

/** The states a person reads on the page. */
export type DashboardState = 'initializing' | 'busy' | 'idle' | 'frozen' | 'draining' | 'shut down'

/** One environment as the page shows it. */
export interface EnvironmentRow {
  readonly id: string
  readonly shortId: string
  readonly functionName: string
  readonly initType: EnvironmentInfo['initType']
  readonly state: DashboardState
  readonly invocations: number
  readonly inFlight: number
  /** Runtimes started after the first one (a crash or timeout reset). */
  readonly restarts: number
  readonly createdAt: number
  readonly lastInvocationEndAt: number | null
  readonly lastDurationMs: number | null
  /** Max Memory Used of the REPORT line of its last invocation. */
  readonly maxMemoryUsedMb: number | null
  readonly memoryMb: number | null
  readonly endedAt: number | null
  /** Why it was shut down (`idle`, `max-lifetime`, `init-failed`, `stop`), or null while it lives. */
  readonly endReason: string | null
}

/** Lifecycle moments and invocations, for the lanes; `throttle` has no environment. */
export type MomentKind =
  | 'cold-start'
  | 'ready'
  | 'init-failed'
  | 'freeze'
  | 'thaw'
  | 'invoke-start'
  | 'invoke-end'
  | 'restart'
  | 'shutdown'
  | 'stopped'
  | 'throttle'
  | 'retry'
  | 'failed-event'

/** One moment of the history. */
export interface Moment {
  readonly at: number
  readonly kind: MomentKind
  readonly functionName: string
  readonly environmentId: string | null
  readonly requestId?: string
  readonly durationMs?: number
  /** invoke-end: `success`, `client-error` or `error`; shutdown: `idle SIGKILL`; restart: `crash`. */
  readonly detail?: string
}

/** What goes to the browsers for each emulator event. */
export interface DashboardUpdate {
  readonly moment: Moment
  readonly row: EnvironmentRow | null
}

/** What a browser gets when it connects. */
export interface DashboardSnapshot {
  readonly now: number
  readonly windowMs: number
  readonly functions: readonly FunctionSummary[]
  readonly environments: readonly EnvironmentRow[]
  readonly history: readonly Moment[]
}

/** A function as the page lists it. */
export interface FunctionSummary {
  readonly name: string
  readonly memoryMb: number
  readonly timeoutMs: number
}

/** Bounds of what the model keeps. */
export interface ModelLimits {
  /** How far back the lanes can look (shut-down rows and moments are kept this long). Default 15 minutes. */
  readonly windowMs?: number
  /** Most moments kept (the oldest go first). Default 10000. */
  readonly maxMoments?: number
  /** Most shut-down environments kept as rows. Default 100. */
  readonly maxEnded?: number
}

const DEFAULT_LIMITS = { windowMs: 15 * 60_000, maxMoments: 10_000, maxEnded: 100 } as const

const stateOf = (info: EnvironmentInfo): DashboardState => {
  if (info.state === 'stopped') return 'shut down'
  if (info.state === 'shutting-down') return 'draining'
  return info.frozen ? 'frozen' : info.state
}

/** The events that are moments of an environment's life (notices and trace segments are not). */
export type LifeEvent = Exclude<EmulatorEvent, { type: 'emulator.notice' } | { type: 'trace.segment' }>

const KIND_OF: Record<LifeEvent['type'], MomentKind> = {
  'environment.start': 'cold-start',
  'environment.ready': 'ready',
  'environment.init-failed': 'init-failed',
  'environment.freeze': 'freeze',
  'environment.thaw': 'thaw',
  'environment.reset': 'restart',
  'environment.shutdown': 'shutdown',
  'environment.stopped': 'stopped',
  'invocation.start': 'invoke-start',
  'invocation.end': 'invoke-end',
  'invocation.throttle': 'throttle',
  'invocation.retry': 'retry',
  'invocation.failed-event': 'failed-event',
}

const detailOf = (event: EmulatorEvent): string | undefined => {
  switch (event.type) {
    case 'environment.start':
      return event.environment.initType
    case 'environment.ready':
      return `init ${Math.round(event.initDurationMs)} ms`
    case 'environment.init-failed':
      return `${event.errorType} (${event.reason})`
    case 'environment.reset':
      return event.reason
    case 'environment.shutdown':
      return `${event.reason} ${event.signal}`
    case 'invocation.end':
      return event.answer ?? (event.outcome === 'success' ? 'success' : 'error')
    default:
      return undefined
  }
}

/**
 * The dashboard's state: rows and moments, bounded in count and in time.
 *
 * @example
 * ```ts
 * const model = new DashboardModel([{ name: 'hello', memoryMb: 128, timeoutMs: 3000 }])
 * emulator.subscribe((event) => send(model.apply(event)))
 * model.snapshot(Date.now())
 * ```
 */
export class DashboardModel {
  readonly #functions: readonly FunctionSummary[]
  readonly #limits: Required<ModelLimits>
  readonly #memory: (pid: number | null) => number | null
  readonly #rows = new Map<string, EnvironmentRow>()
  #moments: Moment[] = []

  constructor(
    functions: readonly FunctionSummary[],
    limits: ModelLimits = {},
    memory: (pid: number | null) => number | null = maxMemoryUsedMb,
  ) {
    this.#functions = functions
    this.#limits = { ...DEFAULT_LIMITS, ...limits }
    this.#memory = memory
  }

  /** Takes one emulator event in; returns what the browsers need to know about it. */
  apply(event: LifeEvent): DashboardUpdate {
    const environment = 'environment' in event ? event.environment : null
    const detail = detailOf(event)
    const moment: Moment = {
      at: event.at,
      kind: KIND_OF[event.type],
      functionName: environment?.functionName ?? (event as { functionName: string }).functionName,
      environmentId: environment?.id ?? null,
      ...(event.type === 'invocation.start' || event.type === 'invocation.end'
        ? { requestId: event.requestId }
        : {}),
      ...(event.type === 'invocation.end' ? { durationMs: event.durationMs } : {}),
      ...(detail === undefined ? {} : { detail }),
    }
    this.#remember(moment)
    const row = environment === null ? null : this.#update(event, environment)
    this.#prune(event.at)
    return { moment, row }
  }

  #update(event: EmulatorEvent, info: EnvironmentInfo): EnvironmentRow {
    const before = this.#rows.get(info.id)
    const ended = event.type === 'environment.stopped'
    const row: EnvironmentRow = {
      id: info.id,
      shortId: shortId(info.id),
      functionName: info.functionName,
      initType: info.initType,
      state: stateOf(info),
      invocations: info.invocations,
      inFlight: info.inFlight,
      restarts: Math.max(0, info.runtimes - 1),
      createdAt: info.createdAt,
      lastInvocationEndAt: info.lastInvocationEndAt,
      lastDurationMs: event.type === 'invocation.end' ? event.durationMs : (before?.lastDurationMs ?? null),
      // The REPORT line's figure when the event has it; the runtime's own peak otherwise.
      maxMemoryUsedMb:
        event.type === 'invocation.end'
          ? (event.maxMemoryUsedMb ?? this.#memory(info.pid))
          : (before?.maxMemoryUsedMb ?? null),
      memoryMb: this.#functions.find((fn) => fn.name === info.functionName)?.memoryMb ?? null,
      endedAt: ended ? event.at : null,
      endReason:
        event.type === 'environment.shutdown' ? event.reason : ended ? (before?.endReason ?? null) : null,
    }
    // A row is re-inserted so that the map's order is the order of last change (oldest ended go first).
    this.#rows.delete(info.id)
    this.#rows.set(info.id, row)
    return row
  }

  #remember(moment: Moment): void {
    this.#moments.push(moment)
    // Trimmed in batches: one copy per thousand moments, not one shift per moment.
    if (this.#moments.length > this.#limits.maxMoments + 1_000)
      this.#moments = this.#moments.slice(-this.#limits.maxMoments)
  }

  #prune(now: number): void {
    const since = now - this.#limits.windowMs
    const ended = [...this.#rows.values()].filter((row) => row.endedAt !== null)
    const excess = ended.length - this.#limits.maxEnded
    ended.forEach((row, index) => {
      if (index < excess || (row.endedAt as number) < since) this.#rows.delete(row.id)
    })
  }

  /** Everything a browser needs on connect: rows, the last minutes of moments, the server's clock. */
  snapshot(now: number): DashboardSnapshot {
    const since = now - this.#limits.windowMs
    const history = this.#moments.filter((moment) => moment.at >= since).slice(-this.#limits.maxMoments)
    return {
      now,
      windowMs: this.#limits.windowMs,
      functions: this.#functions,
      environments: [...this.#rows.values()],
      history,
    }
  }
}
