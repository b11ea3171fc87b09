/**
 * The container-scope registry: one resource per name per runtime, behind a global symbol so that two
 * copies of this package (version skew, double bundling) share it, as the container state is shared.
 *
 * A resource lives in a slot. Every change of a name's slot (first creation, validation, replacement) runs
 * as the name's one pending operation: concurrent invocations (Managed Instances) wait for it instead of
 * starting their own, so 50 first invocations make one `create`. Idle time is measured on the monotonic
 * clock (`performance.now()`), which keeps counting across a freeze.
 *
 * Nothing here waits without a bound: a create has a deadline, every invocation waits at most its own
 * remaining time, and disposals run in the background (shutdown awaits them within its budget).
 */
import {
  clampTimerMs,
  describeDifferences,
  differingOptions,
  emitPackageWarning,
  MAX_TIMER_MS,
  optionError,
  type RemainingTimeSource,
  remainingBudgetMs,
  TIMED_OUT,
  withinMs,
} from '@lambda-lifetime/commons'
import { emitLifecycle, onLifecycle, onShutdown } from '@lambda-lifetime/container'
import { PACKAGE, PoolBusyError, PoolTimeoutError } from './errors.js'
import type {
  BrokenClassifier,
  PoolCreateEvent,
  PoolDisposeEvent,
  PoolEventReason,
  PoolRecreateEvent,
  PoolStats,
} from './types.js'

type PoolEvent = PoolCreateEvent | PoolRecreateEvent | PoolDisposeEvent

export interface Settings {
  readonly name: string
  readonly create: () => unknown
  readonly validate: ((resource: unknown) => unknown) | undefined
  readonly dispose: ((resource: unknown) => unknown) | undefined
  readonly validateAfterIdleMs: number
  readonly validateTimeoutMs: number
  readonly maxAgeMs: number
  readonly disposeTimeoutMs: number
  readonly createTimeoutMs: number
  readonly isBroken: BrokenClassifier
  readonly isBusy: BrokenClassifier
  readonly backoffMs: number
  readonly maxBackoffMs: number
  readonly watchErrorEvents: boolean
}

interface Slot {
  readonly value: unknown
  readonly createdAtMs: number
  lastUsedMs: number
  /** Invocations handed this slot so far. */
  uses: number
  inUse: number
  broken: boolean
  /** Set once replaced: disposed as soon as no invocation holds it. */
  retiredFor: PoolEventReason | null
  disposal: Promise<void> | null
}

interface Counters {
  created: number
  reused: number
  validated: number
  recreated: number
  disposed: number
  failures: number
}

/** The back-off after the server refused new connections for lack of room. */
interface Backoff {
  /** No invocation touches the server before this time (`performance.now()` clock). */
  untilMs: number
  /** Refusals since the last invocation that succeeded. */
  refusals: number
  /** The last refusal, in the driver's words. */
  reason: string
}

/** A create in flight. Its deadline moves later when an invocation with more time joins it. */
interface Creation {
  extendTo(deadlineMs: number): void
}

export interface Entry {
  readonly settings: Settings
  readonly counters: Counters
  current: Slot | null
  pending: Promise<Slot> | null
  creation: Creation | null
  /** Why the next resource will be made: 'initial', or the reason the last one was replaced. */
  nextReason: PoolEventReason
  readonly backoff: Backoff
}

/** One invocation's hold on a slot, kept on its context. */
export interface Lease {
  readonly entry: Entry
  slot: Slot
  released: boolean
}

interface PoolState {
  readonly version: 1
  readonly entries: Map<string, Entry>
  /** Disposals running in the background (a replaced slot that was still in use); shutdown awaits them. */
  readonly disposals: Set<Promise<void>>
  hooksInstalled: boolean
}

type Verdict = 'ok' | 'validate' | 'broken' | 'max-age'

const STATE_KEY = Symbol.for('lambda-lifetime.pool')
const LEASES = Symbol.for('lambda-lifetime.pool.leases')
/**
 * Kept from the invocation's remaining time when it waits for its resource: enough for the error to go
 * back through the other middlewares and be logged before Lambda's own timeout, which would reset the
 * runtime and lose the line.
 */
const RESERVE_MS = 100

type StateHolder = { [STATE_KEY]?: PoolState }
type LeaseHolder = { [LEASES]?: Map<string, Lease> }

export const poolState = (): PoolState => {
  const holder = globalThis as StateHolder
  holder[STATE_KEY] ??= { version: 1, entries: new Map(), disposals: new Set(), hooksInstalled: false }
  return holder[STATE_KEY]
}

const warn = (message: string, code: string): void => emitPackageWarning(PACKAGE, message, code)

const emitPoolEvent = (
  type: 'pool.create' | 'pool.recreate' | 'pool.dispose',
  entry: Entry,
  reason: PoolEventReason,
  durationMs: number,
  error?: string,
): void => {
  const { created, reused, validated, recreated, failures } = entry.counters
  const event = {
    type,
    at: Date.now(),
    resource: entry.settings.name,
    reason,
    created,
    reused,
    validated,
    recreated,
    failures,
    durationMs,
  }
  emitLifecycle((error === undefined ? event : { ...event, error }) as PoolEvent)
}

const markBroken = (entry: Entry, slot: Slot): void => {
  // A replaced resource's late errors are expected (it is being closed) and change nothing.
  if (slot.broken || entry.current !== slot) return
  slot.broken = true
  entry.counters.failures++
}

/**
 * Marks the slot a lease holds as dead when `error` is a connection-level one, so that the next
 * invocation gets a new resource. A classifier that throws counts as "not broken".
 */
export const markBrokenIf = (lease: Lease, error: unknown): boolean => {
  let broken = false
  try {
    broken = lease.entry.settings.isBroken(error) === true
  } catch {
    // A faulty classifier must not turn a handler error into another one.
  }
  if (broken) markBroken(lease.entry, lease.slot)
  return broken
}

/** Tells whether `error` is a refusal for lack of room, with back-off on. A classifier that throws says no. */
const isRefusal = (entry: Entry, error: unknown): boolean => {
  const { backoffMs, isBusy } = entry.settings
  if (backoffMs === 0) return false
  try {
    return isBusy(error) === true
  } catch {
    return false
  }
}

const describeRefusal = (error: unknown): string => {
  const { message, code } = (typeof error === 'object' && error !== null ? error : {}) as {
    message?: unknown
    code?: unknown
  }
  const text = typeof message === 'string' ? message : String(error)
  return typeof code === 'string' || typeof code === 'number' ? `${text} [${code}]` : text
}

/**
 * Doubles with each refusal in a row, up to `maxBackoffMs`; half of it is random, so that containers
 * refused at the same moment (a fleet that filled the server) do not all come back at the same moment.
 */
const backoffDelayMs = (settings: Settings, refusals: number): number => {
  const ceiling = Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** Math.min(refusals - 1, 31))
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
}

const noteRefusal = (entry: Entry, error: unknown): void => {
  const { backoff, counters, settings } = entry
  backoff.refusals++
  backoff.reason = describeRefusal(error)
  backoff.untilMs = performance.now() + backoffDelayMs(settings, backoff.refusals)
  counters.failures++
  if (backoff.refusals === 1) {
    warn(
      `the server refused a new connection for "${settings.name}" (${backoff.reason}); ` +
        'backing off: invocations fail with a PoolBusyError until it has room again',
      'LAMBDA_LIFETIME_POOL_BUSY',
    )
  }
}

/**
 * Starts (or lengthens) the back-off when `error` says the server had no room for a new connection.
 * The resource itself is fine: it is kept.
 */
export const noteRefusalIf = (lease: Lease, error: unknown): boolean => {
  const refused = isRefusal(lease.entry, error)
  if (refused) noteRefusal(lease.entry, error)
  return refused
}

/** An invocation that used the resource and succeeded: the server had room, the back-off starts over. */
export const noteSuccess = (entry: Entry): void => {
  if (entry.backoff.refusals !== 0) entry.backoff.refusals = 0
}

const busyError = (entry: Entry, now: number): PoolBusyError => {
  const { refusals, reason, untilMs } = entry.backoff
  return new PoolBusyError(entry.settings.name, Math.max(1, Math.ceil(untilMs - now)), refusals, reason)
}

const watchErrors = (entry: Entry, slot: Slot): void => {
  const emitter = slot.value as { on?: unknown } | null
  if (!entry.settings.watchErrorEvents || typeof emitter?.on !== 'function')
    return // Kept for the resource's whole life, after disposal too: an 'error' nobody listens to ends the process.
  ;(emitter as { on(event: 'error', listener: () => void): void }).on('error', () => markBroken(entry, slot))
}

const newSlot = (value: unknown): Slot => {
  const now = performance.now()
  return {
    value,
    createdAtMs: now,
    lastUsedMs: now,
    uses: 0,
    inUse: 0,
    broken: false,
    retiredFor: null,
    disposal: null,
  }
}

/** Runs `dispose` within `disposeTimeoutMs`; resolves to what went wrong, if anything. Never throws. */
const disposeValue = async (entry: Entry, value: unknown): Promise<string | undefined> => {
  const { dispose, disposeTimeoutMs } = entry.settings
  try {
    const outcome = await withinMs(() => dispose?.(value), disposeTimeoutMs)
    return outcome === TIMED_OUT ? `dispose timed out after ${disposeTimeoutMs} ms` : undefined
  } catch (thrown) {
    return `dispose failed: ${String(thrown)}`
  }
}

/** Runs a background disposal that shutdown awaits (within its budget). */
const track = (work: Promise<void>): void => {
  const disposals = poolState().disposals
  const tracked = work.finally(() => disposals.delete(tracked))
  disposals.add(tracked)
}

/**
 * A resource that arrived after its create had timed out: nobody waits for it any more, and keeping it
 * would leak its connections, so it is disposed (and watched for 'error' events until then).
 */
const disposeLate = (entry: Entry, value: unknown): void => {
  const { name } = entry.settings
  watchErrors(entry, newSlot(value))
  track(
    disposeValue(entry, value).then((error) => {
      const outcome = error === undefined ? 'disposed it' : `could not dispose it: ${error}`
      warn(`create of "${name}" finished after its timeout; ${outcome}`, 'LAMBDA_LIFETIME_POOL_LATE_CREATE')
    }),
  )
}

/**
 * Runs `create` until `deadlineMs` (on the `performance.now()` clock), and never longer than
 * `createTimeoutMs`. Every invocation waiting for it gets the timeout error; the resource, if it ever
 * arrives, is disposed.
 */
const runCreate = (entry: Entry, deadlineMs: number): Promise<unknown> => {
  const { create, createTimeoutMs, name } = entry.settings
  const started = performance.now()
  const latest = started + createTimeoutMs
  let deadline = Math.min(deadlineMs, latest)
  let timer: NodeJS.Timeout | undefined
  let timedOut = false
  return new Promise((resolve, reject) => {
    const expire = (): void => {
      timedOut = true
      entry.creation = null
      entry.counters.failures++
      const ms = Math.round(deadline - started)
      reject(new PoolTimeoutError(name, ms, `create of "${name}" timed out after ${ms} ms`))
    }
    const arm = (): void => {
      clearTimeout(timer)
      timer = setTimeout(expire, clampTimerMs(deadline - performance.now()))
      timer.unref()
    }
    const settle = (): void => {
      clearTimeout(timer)
      entry.creation = null
    }
    entry.creation = {
      extendTo(deadlineMs) {
        const next = Math.min(deadlineMs, latest)
        if (next <= deadline || timedOut) return
        deadline = next
        arm()
      },
    }
    arm()
    // Called now, not a tick later: a prefetch starts during init, when the middleware is built.
    new Promise<unknown>((called) => called(create())).then(
      (value) => {
        if (timedOut) return disposeLate(entry, value)
        settle()
        resolve(value)
      },
      (error: unknown) => {
        if (timedOut) return
        settle()
        entry.counters.failures++
        reject(error)
      },
    )
  })
}

const createSlot = async (entry: Entry, reason: PoolEventReason, deadlineMs: number): Promise<Slot> => {
  const started = performance.now()
  const slot = newSlot(await runCreate(entry, deadlineMs))
  watchErrors(entry, slot)
  entry.current = slot
  entry.counters.created++
  if (reason !== 'initial') entry.counters.recreated++
  emitPoolEvent(
    reason === 'initial' ? 'pool.create' : 'pool.recreate',
    entry,
    reason,
    slot.createdAtMs - started,
  )
  return slot
}

/** Disposes a slot once, within `disposeTimeoutMs`; never throws. */
const disposeSlot = (entry: Entry, slot: Slot, reason: PoolEventReason): Promise<void> => {
  slot.disposal ??= (async () => {
    const started = performance.now()
    const error = await disposeValue(entry, slot.value)
    entry.counters.disposed++
    if (error !== undefined) {
      entry.counters.failures++
      warn(`"${entry.settings.name}" ${error}`, 'LAMBDA_LIFETIME_POOL_DISPOSE')
    }
    emitPoolEvent('pool.dispose', entry, reason, performance.now() - started, error)
  })()
  return slot.disposal
}

/** Disposal off the request path: a `dispose` that hangs never delays the invocation that replaced it. */
const disposeInBackground = (entry: Entry, slot: Slot, reason: PoolEventReason): void =>
  track(disposeSlot(entry, slot, reason))

/**
 * Retires the current slot and creates its successor. The old resource is disposed in the background at
 * once when no invocation holds it, else as soon as the last one lets it go: it is never dropped undisposed.
 */
const replace = (entry: Entry, old: Slot, reason: PoolEventReason, deadlineMs: number): Promise<Slot> => {
  entry.current = null
  entry.nextReason = reason
  old.retiredFor = reason
  if (old.inUse === 0) disposeInBackground(entry, old, reason)
  return createSlot(entry, reason, deadlineMs)
}

const validateSlot = async (entry: Entry, slot: Slot, deadlineMs: number): Promise<Slot> => {
  const { validate, validateTimeoutMs } = entry.settings
  entry.counters.validated++
  let passed: boolean
  try {
    const outcome = await withinMs(() => validate?.(slot.value), validateTimeoutMs)
    passed = outcome !== TIMED_OUT && outcome !== false
  } catch (error) {
    // A full server says nothing against the resource: keep it (still due for validation), back off.
    if (isRefusal(entry, error)) {
      noteRefusal(entry, error)
      throw busyError(entry, performance.now())
    }
    passed = false
  }
  if (passed && !slot.broken) {
    slot.lastUsedMs = performance.now()
    return slot
  }
  entry.counters.failures++
  return replace(entry, slot, 'validation-failed', deadlineMs)
}

const verdictOf = (entry: Entry, slot: Slot, now: number): Verdict => {
  if (slot.broken) return 'broken'
  // A resource nobody used yet was just made: hand it out, whatever the clock says.
  if (slot.uses === 0) return 'ok'
  const { maxAgeMs, validate, validateAfterIdleMs } = entry.settings
  if (now - slot.createdAtMs >= maxAgeMs) return 'max-age'
  if (validate !== undefined && slot.inUse === 0 && now - slot.lastUsedMs >= validateAfterIdleMs) {
    return 'validate'
  }
  return 'ok'
}

const take = (entry: Entry, slot: Slot, now: number): Slot => {
  if (slot.uses > 0) entry.counters.reused++
  slot.uses++
  slot.inUse++
  slot.lastUsedMs = now
  return slot
}

/** Runs the name's one pending operation; everyone else waits for it. */
const exclusively = (entry: Entry, work: () => Promise<Slot>): Promise<Slot> => {
  const pending = work().finally(() => {
    entry.pending = null
  })
  entry.pending = pending
  return pending
}

/** One invocation waiting for its slot; it stops asking once it gave up. */
interface Waiter {
  readonly deadlineMs: number
  gaveUp: boolean
}

const acquireSlowly = async (entry: Entry, waiter: Waiter): Promise<Slot | null> => {
  for (;;) {
    if (waiter.gaveUp) return null
    if (entry.pending !== null) {
      // A create already running gets this invocation's time too, if it has more.
      entry.creation?.extendTo(waiter.deadlineMs)
      await entry.pending
      continue
    }
    const slot = entry.current
    const now = performance.now()
    if (slot === null) {
      await exclusively(entry, () => createSlot(entry, entry.nextReason, waiter.deadlineMs))
      continue
    }
    const verdict = verdictOf(entry, slot, now)
    if (verdict === 'ok') return take(entry, slot, now)
    await exclusively(entry, () =>
      verdict === 'validate'
        ? validateSlot(entry, slot, waiter.deadlineMs)
        : replace(entry, slot, verdict, waiter.deadlineMs),
    )
  }
}

/**
 * Waits for a slot at most the invocation's remaining time (less a reserve to answer): a create or a
 * validation that another invocation started may take longer than this one can wait.
 */
const acquireWithin = async (entry: Entry, budgetMs: number): Promise<Slot> => {
  const waiter: Waiter = { deadlineMs: performance.now() + budgetMs, gaveUp: false }
  const acquiring = acquireSlowly(entry, waiter)
  const outcome = await withinMs(() => acquiring, budgetMs)
  if (outcome !== TIMED_OUT && outcome !== null) return outcome
  waiter.gaveUp = true
  // A slot taken in the same turn as the give-up goes straight back.
  acquiring.then(
    (late) => late !== null && giveBack(entry, late),
    () => undefined,
  )
  const { name } = entry.settings
  const ms = Math.round(budgetMs)
  throw new PoolTimeoutError(
    name,
    ms,
    `"${name}" was not ready within the ${ms} ms this invocation had left (its create or validation is still running)`,
  )
}

/**
 * A live slot for one invocation: synchronously on the hot path (a resource in use recently), through
 * the pending operation otherwise, within the time the invocation has left.
 */
export const acquire = (entry: Entry, context: RemainingTimeSource | undefined): Slot | Promise<Slot> => {
  const slot = entry.current
  const now = performance.now()
  if (now < entry.backoff.untilMs) throw busyError(entry, now)
  if (entry.pending === null && slot !== null && verdictOf(entry, slot, now) === 'ok') {
    return take(entry, slot, now)
  }
  return acquireWithin(entry, remainingBudgetMs(context, MAX_TIMER_MS, RESERVE_MS))
}

const giveBack = (entry: Entry, slot: Slot): void => {
  slot.inUse--
  slot.lastUsedMs = performance.now()
  if (slot.retiredFor !== null && slot.inUse === 0) disposeInBackground(entry, slot, slot.retiredFor)
}

/** Lets go of a slot; a retired slot is disposed once its last holder let go. */
export const release = (lease: Lease): void => {
  if (lease.released) return
  lease.released = true
  giveBack(lease.entry, lease.slot)
}

/** The leases of one invocation, by name, kept on its context object. */
export const leasesOf = (context: object): Map<string, Lease> => {
  const holder = context as LeaseHolder
  holder[LEASES] ??= new Map()
  return holder[LEASES]
}

/** Releases every lease of an invocation: the safety net for invocations that ended by an early return. */
const releaseAll = (context: unknown): void => {
  if (typeof context !== 'object' || context === null) return
  const leases = (context as LeaseHolder)[LEASES]
  if (leases !== undefined) for (const lease of leases.values()) release(lease)
}

/** Disposes every resource in parallel, each within `disposeTimeoutMs`: one that hangs delays no other. */
const disposeAll = async (): Promise<void> => {
  const state = poolState()
  const disposals = [...state.disposals]
  for (const entry of state.entries.values()) {
    const slot = entry.current
    if (slot === null) continue
    entry.current = null
    disposals.push(disposeSlot(entry, slot, 'shutdown'))
  }
  await Promise.all(disposals)
}

const installHooks = (state: PoolState): void => {
  if (state.hooksInstalled) return
  state.hooksInstalled = true
  onShutdown(disposeAll, { name: PACKAGE })
  onLifecycle((event) => {
    if (event.type === 'invocation.end') releaseAll(event.request.context)
  })
}

/**
 * The entry of a name. A second registration with the same settings shares the first one's resource;
 * one with other settings throws, naming what differs (functions are compared by identity), since it
 * would otherwise silently run on the first one's settings.
 */
export const register = (settings: Settings): Entry => {
  const state = poolState()
  let entry = state.entries.get(settings.name)
  if (entry === undefined) {
    const counters = { created: 0, reused: 0, validated: 0, recreated: 0, disposed: 0, failures: 0 }
    entry = {
      settings,
      counters,
      current: null,
      pending: null,
      creation: null,
      nextReason: 'initial',
      backoff: { untilMs: 0, refusals: 0, reason: '' },
    }
    state.entries.set(settings.name, entry)
  }
  const differences = differingOptions({ ...entry.settings }, { ...settings })
  if (differences.length > 0) {
    throw optionError(
      PACKAGE,
      `warmPool "${settings.name}" is already registered in this runtime with other options: ` +
        `${describeDifferences(differences)} (first registration, then this one). Share one options ` +
        'object between the handlers, or give this resource another name',
      'name',
    )
  }
  installHooks(state)
  return entry
}

/** Creates the resource now (during init), reporting a failure as a warning: the first invocation retries. */
export const prefetch = (entry: Entry): void => {
  if (entry.current !== null || entry.pending !== null) return
  const deadlineMs = performance.now() + entry.settings.createTimeoutMs
  exclusively(entry, () => createSlot(entry, 'initial', deadlineMs)).catch((error: unknown) => {
    warn(`prefetch of "${entry.settings.name}" failed: ${String(error)}`, 'LAMBDA_LIFETIME_POOL_PREFETCH')
  })
}

const statsOf = (entry: Entry, now: number): PoolStats => {
  const slot = entry.current
  return Object.freeze({
    name: entry.settings.name,
    ...entry.counters,
    inUse: slot?.inUse ?? 0,
    ageMs: slot === null ? null : now - slot.createdAtMs,
    idleMs: slot === null ? null : slot.inUse > 0 ? 0 : now - slot.lastUsedMs,
    broken: slot?.broken ?? false,
  })
}

/**
 * Counters and state of every warm resource in this runtime, by name.
 *
 * @example
 * ```ts
 * const { db } = getPoolStats()
 * logger.info('pool', { created: db?.created, reused: db?.reused, recreated: db?.recreated })
 * ```
 */
export const getPoolStats = (): Readonly<Record<string, PoolStats>> => {
  const now = performance.now()
  const stats: Record<string, PoolStats> = {}
  for (const [name, entry] of poolState().entries) stats[name] = statsOf(entry, now)
  return Object.freeze(stats)
}
