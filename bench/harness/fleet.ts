/**
 * Generic pieces of a fleet simulation: many containers in one process, each with its own clock and its
 * own traffic, driven in virtual time. Nothing here knows about a particular package.
 *
 * - `seededRandom(seed)`: a small deterministic generator (mulberry32), so runs can be repeated.
 * - `poissonArrivals(...)`: the arrival times of a Poisson process (exponential gaps).
 * - `VirtualClock`: replaces `Date.now` while installed. Code running inside `clock.within(at, work)`
 *   reads `at` plus the real time spent since it started (so one invocation's own latency still
 *   counts); code outside reads the clock's global time. AsyncLocalStorage carries the reading through
 *   awaits, so containers that run at the same real moment each see their own time.
 * - `runFleet(events, windowMs, invoke)`: delivers events in time order, window by window: events of
 *   one window run concurrently across containers and one after another within a container (a classic
 *   Lambda container runs one invocation at a time). A container without an event is frozen: it runs
 *   nothing, and nothing of it runs on a timer either, since virtual time jumps.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * A deterministic generator of floats in [0, 1).
 *
 * @example
 * ```ts
 * const random = seededRandom(42)
 * random() // same value on every run
 * ```
 */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state)
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * Arrival times in [fromMs, toMs) of a Poisson process of `ratePerSecond`.
 *
 * @example
 * ```ts
 * poissonArrivals(1 / 60, 0, 3_600_000, seededRandom(1)) // about 60 times within an hour
 * ```
 */
export const poissonArrivals = (
  ratePerSecond: number,
  fromMs: number,
  toMs: number,
  random: () => number,
): number[] => {
  const times: number[] = []
  const meanGapMs = 1000 / ratePerSecond
  let at = fromMs - Math.log(1 - random()) * meanGapMs
  while (at < toMs) {
    times.push(at)
    at -= Math.log(1 - random()) * meanGapMs
  }
  return times
}

/**
 * `Date.now` under the simulation's control, per container through AsyncLocalStorage.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock(0)
 * clock.install()
 * try {
 *   await clock.within(5_000, async () => Date.now()) // 5000 (plus real ms spent inside)
 * } finally {
 *   clock.uninstall()
 * }
 * ```
 */
export class VirtualClock {
  #now: number
  readonly #storage = new AsyncLocalStorage<{ at: number; startedAt: number }>()
  #original: (() => number) | null = null

  constructor(startMs: number) {
    this.#now = startMs
  }

  /** The global virtual time (what code outside `within` reads). */
  get now(): number {
    return this.#now
  }

  set now(value: number) {
    this.#now = value
  }

  /** What `Date.now()` returns here: the container's time inside `within`, else the global time. */
  read(): number {
    const reading = this.#storage.getStore()
    if (reading === undefined) return this.#now
    return reading.at + Math.floor(performance.now() - reading.startedAt)
  }

  install(): void {
    if (this.#original !== null) return
    this.#original = Date.now
    Date.now = () => this.read()
  }

  uninstall(): void {
    if (this.#original === null) return
    Date.now = this.#original
    this.#original = null
  }

  /** Runs `work` with `Date.now()` starting at `at` for it and everything it awaits. */
  within<T>(at: number, work: () => Promise<T>): Promise<T> {
    return this.#storage.run({ at, startedAt: performance.now() }, work)
  }
}

/** One invocation of one container at a virtual time. */
export interface FleetEvent {
  readonly container: number
  readonly at: number
}

/**
 * Every container's arrivals, merged in time order.
 *
 * @example
 * ```ts
 * const events = fleetArrivals(100, 10, 0, 60_000, seededRandom(7)) // 100 containers, 10 calls/s each
 * ```
 */
export const fleetArrivals = (
  containers: number,
  ratePerSecond: number,
  fromMs: number,
  toMs: number,
  random: () => number,
): FleetEvent[] => {
  const events: FleetEvent[] = []
  for (let container = 0; container < containers; container++) {
    for (const at of poissonArrivals(ratePerSecond, fromMs, toMs, random)) events.push({ container, at })
  }
  return events.sort((left, right) => left.at - right.at)
}

/**
 * Delivers `events` (in time order) window by window of `windowMs` virtual time: concurrently across
 * containers (at most `concurrency` of them at the same real time, so that a local server is not
 * queued past the real-time limits of its clients), in order within one, each inside
 * `clock.within(event.at)`. The global clock is set to the window's start before it runs.
 *
 * @example
 * ```ts
 * await runFleet(clock, events, 50, (event) => handlers[event.container]({}, context), 25)
 * ```
 */
export const runFleet = async (
  clock: VirtualClock,
  events: readonly FleetEvent[],
  windowMs: number,
  invoke: (event: FleetEvent) => Promise<unknown>,
  concurrency = Number.POSITIVE_INFINITY,
): Promise<void> => {
  let index = 0
  while (index < events.length) {
    const windowStart = (events[index] as FleetEvent).at
    const windowEnd = windowStart + windowMs
    const byContainer = new Map<number, FleetEvent[]>()
    for (; index < events.length && (events[index] as FleetEvent).at < windowEnd; index++) {
      const event = events[index] as FleetEvent
      const queue = byContainer.get(event.container)
      if (queue === undefined) byContainer.set(event.container, [event])
      else queue.push(event)
    }
    clock.now = windowStart
    const queues = [...byContainer.values()]
    const worker = async (): Promise<void> => {
      for (let queue = queues.shift(); queue !== undefined; queue = queues.shift()) {
        for (const event of queue) await clock.within(event.at, () => invoke(event))
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, queues.length) }, worker))
  }
}
