/**
 * The container-scope registry: one resource per name per runtime, behind a global symbol so that two
 * copies of this package (version skew, double bundling) share it, as the container state is shared.
 *
 * A resource lives in a slot. Every change of a name's slot (first creation, validation, replacement) runs
 * as the name's one pending operation: concurrent invocations (Managed Instances) wait for it instead of
 * starting their own, so 50 first invocations make one `create`. Idle time is measured on the monotonic
 * clock (`performance.now()`), which keeps counting across a freeze.
 */
import { emitLifecycle, onLifecycle, onShutdown } from '@lambda-lifetime/container'
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
  readonly isBroken: BrokenClassifier
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

export interface Entry {
  readonly settings: Settings
  readonly counters: Counters
  current: Slot | null
  pending: Promise<Slot> | null
  /** Why the next resource will be made: 'initial', or the reason the last one was replaced. */
  nextReason: PoolEventReason
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
const PACKAGE = '@lambda-lifetime/pool'

type StateHolder = { [STATE_KEY]?: PoolState }
type LeaseHolder = { [LEASES]?: Map<string, Lease> }

export const poolState = (): PoolState => {
  const holder = globalThis as StateHolder
  holder[STATE_KEY] ??= { version: 1, entries: new Map(), disposals: new Set(), hooksInstalled: false }
  return holder[STATE_KEY]
}

const warn = (message: string, code: string): void => {
  process.emitWarning(message, { type: 'LambdaLifetimeWarning', code })
}

const TIMED_OUT = Symbol('timed out')

/** Runs `work` (sync or async); resolves to its value, or to TIMED_OUT once `timeoutMs` passed. */
const withinMs = async <T>(work: () => T, timeoutMs: number): Promise<Awaited<T> | typeof TIMED_OUT> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    // Unref'd: a give-up timer must not keep an otherwise finished process alive.
    timer = setTimeout(resolve, timeoutMs, TIMED_OUT).unref()
  })
  const running = Promise.resolve().then(work)
  // A validation or dispose that loses the race may still reject later: that must not go unhandled.
  running.catch(() => undefined)
  try {
    return await Promise.race([running, timeout])
  } finally {
    clearTimeout(timer)
  }
}

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

const watchErrors = (entry: Entry, slot: Slot): void => {
  const emitter = slot.value as { on?: unknown } | null
  if (!entry.settings.watchErrorEvents || typeof emitter?.on !== 'function')
    return // Kept for the resource's whole life, after disposal too: an 'error' nobody listens to ends the process.
  ;(emitter as { on(event: 'error', listener: () => void): void }).on('error', () => markBroken(entry, slot))
}

const createSlot = async (entry: Entry, reason: PoolEventReason): Promise<Slot> => {
  const started = performance.now()
  let value: unknown
  try {
    value = await entry.settings.create()
  } catch (error) {
    entry.counters.failures++
    throw error
  }
  const now = performance.now()
  const slot: Slot = {
    value,
    createdAtMs: now,
    lastUsedMs: now,
    uses: 0,
    inUse: 0,
    broken: false,
    retiredFor: null,
    disposal: null,
  }
  watchErrors(entry, slot)
  entry.current = slot
  entry.counters.created++
  if (reason !== 'initial') entry.counters.recreated++
  emitPoolEvent(reason === 'initial' ? 'pool.create' : 'pool.recreate', entry, reason, now - started)
  return slot
}

/** Disposes a slot once, within `disposeTimeoutMs`; never throws. */
const disposeSlot = (entry: Entry, slot: Slot, reason: PoolEventReason): Promise<void> => {
  slot.disposal ??= (async () => {
    const started = performance.now()
    const { dispose, disposeTimeoutMs, name } = entry.settings
    let error: string | undefined
    try {
      const outcome = await withinMs(() => dispose?.(slot.value), disposeTimeoutMs)
      if (outcome === TIMED_OUT) error = `dispose timed out after ${disposeTimeoutMs} ms`
    } catch (thrown) {
      error = `dispose failed: ${String(thrown)}`
    }
    entry.counters.disposed++
    if (error !== undefined) {
      entry.counters.failures++
      warn(`"${name}" ${error}`, 'LAMBDA_LIFETIME_POOL_DISPOSE')
    }
    emitPoolEvent('pool.dispose', entry, reason, performance.now() - started, error)
  })()
  return slot.disposal
}

const disposeInBackground = (entry: Entry, slot: Slot, reason: PoolEventReason): void => {
  const disposals = poolState().disposals
  const disposal = disposeSlot(entry, slot, reason).finally(() => disposals.delete(disposal))
  disposals.add(disposal)
}

/**
 * Retires the current slot and creates its successor. The old resource is disposed first when no
 * invocation holds it, else as soon as the last one lets it go: it is never dropped undisposed.
 */
const replace = async (entry: Entry, old: Slot, reason: PoolEventReason): Promise<Slot> => {
  entry.current = null
  entry.nextReason = reason
  old.retiredFor = reason
  if (old.inUse === 0) await disposeSlot(entry, old, reason)
  return createSlot(entry, reason)
}

const validateSlot = async (entry: Entry, slot: Slot): Promise<Slot> => {
  const { validate, validateTimeoutMs } = entry.settings
  entry.counters.validated++
  let passed: boolean
  try {
    const outcome = await withinMs(() => validate?.(slot.value), validateTimeoutMs)
    passed = outcome !== TIMED_OUT && outcome !== false
  } catch {
    passed = false
  }
  if (passed && !slot.broken) {
    slot.lastUsedMs = performance.now()
    return slot
  }
  entry.counters.failures++
  return replace(entry, slot, 'validation-failed')
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

const acquireSlowly = async (entry: Entry): Promise<Slot> => {
  for (;;) {
    if (entry.pending !== null) {
      await entry.pending
      continue
    }
    const slot = entry.current
    const now = performance.now()
    if (slot === null) {
      await exclusively(entry, () => createSlot(entry, entry.nextReason))
      continue
    }
    const verdict = verdictOf(entry, slot, now)
    if (verdict === 'ok') return take(entry, slot, now)
    await exclusively(entry, () =>
      verdict === 'validate' ? validateSlot(entry, slot) : replace(entry, slot, verdict),
    )
  }
}

/**
 * A live slot for one invocation: synchronously on the hot path (a resource in use recently), through
 * the pending operation otherwise.
 */
export const acquire = (entry: Entry): Slot | Promise<Slot> => {
  const slot = entry.current
  if (entry.pending === null && slot !== null) {
    const now = performance.now()
    if (verdictOf(entry, slot, now) === 'ok') return take(entry, slot, now)
  }
  return acquireSlowly(entry)
}

/** Lets go of a slot; a retired slot is disposed once its last holder let go. */
export const release = (lease: Lease): void => {
  if (lease.released) return
  lease.released = true
  const { entry, slot } = lease
  slot.inUse--
  slot.lastUsedMs = performance.now()
  if (slot.retiredFor !== null && slot.inUse === 0) disposeInBackground(entry, slot, slot.retiredFor)
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

/** The entry of a name: the first registration's settings win, later ones share its resource. */
export const register = (settings: Settings): Entry => {
  const state = poolState()
  let entry = state.entries.get(settings.name)
  if (entry === undefined) {
    const counters = { created: 0, reused: 0, validated: 0, recreated: 0, disposed: 0, failures: 0 }
    entry = { settings, counters, current: null, pending: null, nextReason: 'initial' }
    state.entries.set(settings.name, entry)
  }
  installHooks(state)
  return entry
}

/** Creates the resource now (during init), reporting a failure as a warning: the first invocation retries. */
export const prefetch = (entry: Entry): void => {
  if (entry.current !== null || entry.pending !== null) return
  exclusively(entry, () => createSlot(entry, 'initial')).catch((error: unknown) => {
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
