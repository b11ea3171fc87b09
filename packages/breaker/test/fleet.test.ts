/**
 * The fleet logic of the breaker against an in-memory store: two registries in one process stand for
 * two containers (each has its own breaker for the same name), sharing one store.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  type Breaker,
  type BreakerLifecycleEvent,
  type BreakerStore,
  CircuitOpenError,
  circuitBreaker,
  getBreaker,
} from '@lambda-lifetime/breaker'
import { type LifecycleEvent, onLifecycle } from '@lambda-lifetime/container'
import { resetContainer } from '../../../test/support/container.js'
import { deferred, memoryStore, resetBreakers, settle } from './support.js'

const T0 = Date.UTC(2026, 10, 27, 8, 0, 0)
const RESET_MS = 30_000
/** The action's timeout (1 s) plus the breaker's 1 s margin. */
const LEASE_MS = 2_000
const options = { timeout: 1_000, resetTimeout: RESET_MS, volumeThreshold: 1, errorThresholdPercentage: 50 }

interface Dependency {
  down: boolean
  calls: number
  gate: Promise<void> | null
}

/** A new "container": a fresh registry with its own breaker named `dep` on the shared store. */
const container = (store: BreakerStore, dependency: Dependency): Breaker<[], string> => {
  resetBreakers()
  circuitBreaker({
    name: 'dep',
    options,
    store,
    action: async (): Promise<string> => {
      dependency.calls++
      if (dependency.gate !== null) await dependency.gate
      if (dependency.down) throw new Error('down')
      return 'ok'
    },
  })
  return getBreaker<[], string>('dep') as Breaker<[], string>
}

const outcome = (promise: Promise<string>): Promise<unknown> => promise.catch((error: unknown) => error)

let events: BreakerLifecycleEvent[]

beforeEach(() => {
  resetContainer()
  jest.useFakeTimers({ now: T0 })
  events = []
  onLifecycle((event: LifecycleEvent) => {
    if (event.type.startsWith('breaker.')) events.push(event as BreakerLifecycleEvent)
  })
})

afterEach(() => {
  jest.useRealTimers()
  jest.restoreAllMocks()
})

describe('two containers sharing a store', () => {
  it('one opens the breaker; the other sees it open and does not call the dependency', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    const b = container(store, dependency)
    // Act
    await outcome(a.fire())
    const refused = await outcome(b.fire())
    // Assess
    expect(dependency.calls).toBe(1)
    expect(refused).toBeInstanceOf(CircuitOpenError)
    expect(b.state).toBe('open')
    expect(store.records.get('dep')).toEqual({
      state: 'open',
      version: 1,
      openedAt: T0,
      probeOwner: null,
      probeUntil: null,
    })
    expect(events.map((event) => [event.type, event.source])).toEqual([
      ['breaker.open', 'local'],
      ['breaker.open', 'store'],
    ])
    expect(store.calls.compareAndSet).toBe(1)
  })

  it('elects one probe across the fleet; the other learns the close from the store', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    const b = container(store, dependency)
    await outcome(a.fire())
    await outcome(b.fire())
    dependency.down = false
    const gate = deferred<void>()
    dependency.gate = gate.promise
    jest.setSystemTime(T0 + RESET_MS)
    // Act
    const probes = [outcome(a.fire()), outcome(b.fire()), outcome(a.fire()), outcome(b.fire())]
    await settle()
    gate.resolve()
    const results = await Promise.all(probes)
    const callsDuringHalfOpen = dependency.calls - 1
    dependency.gate = null
    const later = await outcome(b.fire())
    // Assess
    expect(callsDuringHalfOpen).toBe(1)
    expect(results.filter((result) => result === 'ok')).toHaveLength(1)
    expect(results.filter((result) => result instanceof CircuitOpenError)).toHaveLength(3)
    expect(store.calls.electProbe).toBe(2)
    expect(later).toBe('ok')
    expect(store.records.get('dep')).toMatchObject({ state: 'closed', version: 3 })
    expect(store.calls.compareAndSet).toBe(2)
    expect([a.state, b.state]).toEqual(['closed', 'closed'])
  })

  it('lets another container probe once the elected one let its lease run out', async () => {
    // Prepare: a is elected and its probe hangs (its container died)
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    const b = container(store, dependency)
    await outcome(a.fire())
    jest.setSystemTime(T0 + RESET_MS)
    dependency.gate = new Promise<void>(() => undefined)
    void a.fire()
    await settle()
    dependency.gate = null
    dependency.down = false
    // Act
    const tooEarly = await outcome(b.fire())
    const waitMs = b.retryAfterMs
    jest.setSystemTime(T0 + RESET_MS + LEASE_MS + 1)
    const probe = await outcome(b.fire())
    // Assess
    expect(tooEarly).toBeInstanceOf(CircuitOpenError)
    expect(waitMs).toBe(LEASE_MS)
    expect(probe).toBe('ok')
    expect(dependency.calls).toBe(3)
    expect(store.records.get('dep')).toMatchObject({ state: 'closed' })
  })

  it('re-opens the fleet for a new reset timeout when the probe fails', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    await outcome(a.fire())
    jest.setSystemTime(T0 + RESET_MS)
    // Act
    await outcome(a.fire())
    // Assess
    expect(store.records.get('dep')).toEqual({
      state: 'open',
      version: 3,
      openedAt: T0 + RESET_MS,
      probeOwner: null,
      probeUntil: null,
    })
    expect(a.retryAfterMs).toBe(RESET_MS)
  })

  it('two containers opening at once write once; the loser takes the fleet record', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    const b = container(store, dependency)
    const gate = deferred<void>()
    dependency.gate = gate.promise
    // Act
    const both = [outcome(a.fire()), outcome(b.fire())]
    await settle()
    gate.resolve()
    await Promise.all(both)
    // Assess
    expect(store.calls.compareAndSet).toBe(2)
    expect(store.records.get('dep')).toMatchObject({ state: 'open', version: 1 })
    expect([a.state, b.state]).toEqual(['open', 'open'])
  })
})

describe('conflicts', () => {
  it('opens the fleet again when it was closed after this container read it', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    const gate = deferred<void>()
    dependency.gate = gate.promise
    const call = outcome(a.fire())
    await settle()
    store.records.set('dep', {
      state: 'closed',
      version: 2,
      openedAt: null,
      probeOwner: null,
      probeUntil: null,
    })
    // Act
    gate.resolve()
    await call
    // Assess
    expect(store.records.get('dep')).toMatchObject({ state: 'open', version: 3 })
  })

  it('follows the fleet when it re-opened while this container probed', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    await outcome(a.fire())
    jest.setSystemTime(T0 + RESET_MS)
    dependency.down = false
    const gate = deferred<void>()
    dependency.gate = gate.promise
    const probe = outcome(a.fire())
    await settle()
    store.records.set('dep', {
      state: 'open',
      version: 9,
      openedAt: T0 + RESET_MS,
      probeOwner: null,
      probeUntil: null,
    })
    // Act
    gate.resolve()
    const result = await probe
    // Assess
    expect(result).toBe('ok')
    expect(a.state).toBe('open')
    expect(events.map((event) => event.type).slice(-2)).toEqual(['breaker.close', 'breaker.open'])
    expect(events.at(-1)?.source).toBe('store')
  })

  it('writes a record again when the table lost it', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    await outcome(a.fire())
    jest.setSystemTime(T0 + RESET_MS)
    dependency.down = false
    const gate = deferred<void>()
    dependency.gate = gate.promise
    const probe = outcome(a.fire())
    await settle()
    store.records.clear()
    // Act
    gate.resolve()
    await probe
    // Assess
    expect(store.records.get('dep')).toMatchObject({ state: 'closed', version: 1 })
  })

  it('takes a close another container wrote', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    await outcome(a.fire())
    store.records.set('dep', {
      state: 'closed',
      version: 5,
      openedAt: null,
      probeOwner: null,
      probeUntil: null,
    })
    dependency.down = false
    // Act
    const result = await outcome(a.fire())
    // Assess
    expect(result).toBe('ok')
    expect(events.at(-1)).toMatchObject({ type: 'breaker.close', source: 'store' })
  })

  it('keeps the local transition when the store throws on a write or a re-read', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    store.compareAndSet = async () => {
      throw new Error('store down')
    }
    const warnings: unknown[] = []
    jest.spyOn(process, 'emitWarning').mockImplementation(((message: string) => {
      warnings.push(message)
    }) as typeof process.emitWarning)
    const a = container(store, dependency)
    // Act
    const result = await outcome(a.fire())
    // Assess
    expect(result).toEqual(new Error('down'))
    expect(a.state).toBe('open')
    expect(warnings).toEqual(['@lambda-lifetime/breaker: a store write failed: Error: store down'])
  })

  it('elects nobody when the store throws on an election, with a warning, and tries again after the lease', async () => {
    // Prepare
    const warnings: string[] = []
    jest.spyOn(process, 'emitWarning').mockImplementation(((message: string) => {
      warnings.push(message)
    }) as typeof process.emitWarning)
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    await outcome(a.fire())
    jest.setSystemTime(T0 + RESET_MS)
    dependency.down = false
    const electProbe = store.electProbe
    store.electProbe = async () => {
      throw new Error('throttled')
    }
    // Act
    const refused = await outcome(a.fire())
    store.electProbe = electProbe
    jest.setSystemTime(T0 + RESET_MS + LEASE_MS)
    const probed = await outcome(a.fire())
    // Assess
    expect(refused).toBeInstanceOf(CircuitOpenError)
    expect(warnings).toEqual(['@lambda-lifetime/breaker: a store election failed: Error: throttled'])
    expect(probed).toBe('ok')
    expect(a.state).toBe('closed')
  })

  it('gives up reconciling when the re-read fails', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    store.compareAndSet = async () => null
    const get = store.get
    let reads = 0
    store.get = async (name) => {
      if (++reads > 1) throw new Error('store down')
      return get(name)
    }
    // Act
    const result = await outcome(a.fire())
    // Assess
    expect(result).toEqual(new Error('down'))
    expect(reads).toBe(2)
    expect(a.state).toBe('open')
  })

  it('retries a conflicting open once, then leaves the fleet record alone', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    let writes = 0
    store.compareAndSet = async () => {
      writes++
      return null
    }
    store.records.set('dep', {
      state: 'closed',
      version: 4,
      openedAt: null,
      probeOwner: null,
      probeUntil: null,
    })
    // Act
    await outcome(a.fire())
    // Assess
    expect(writes).toBe(2)
    expect(a.state).toBe('open')
  })
})

describe('adopting fleet records', () => {
  it('keeps a closed breaker closed on a newer closed record', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: false, calls: 0, gate: null }
    const a = container(store, dependency)
    store.records.set('dep', {
      state: 'closed',
      version: 7,
      openedAt: null,
      probeOwner: null,
      probeUntil: null,
    })
    // Act
    const result = await outcome(a.fire())
    // Assess
    expect(result).toBe('ok')
    expect(events).toEqual([])
  })

  it('opens on another container’s probe, counting from now when the record has no open time', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: false, calls: 0, gate: null }
    const a = container(store, dependency)
    store.records.set('dep', {
      state: 'halfOpen',
      version: 3,
      openedAt: null,
      probeOwner: 'other',
      probeUntil: T0 + 1,
    })
    // Act
    const refused = await outcome(a.fire())
    // Assess
    expect(refused).toBeInstanceOf(CircuitOpenError)
    expect(a.retryAfterMs).toBe(RESET_MS)
    expect(dependency.calls).toBe(0)
  })

  it('moves the open time of an open breaker to the fleet’s', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    await outcome(a.fire())
    store.records.set('dep', {
      state: 'open',
      version: 8,
      openedAt: T0 - 20_000,
      probeOwner: null,
      probeUntil: null,
    })
    // Act
    await outcome(a.fire())
    // Assess
    expect(a.retryAfterMs).toBe(10_000)
    expect(events.map((event) => event.type)).toEqual(['breaker.open'])
  })

  it('leaves a breaker that closed during its election closed', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    await outcome(a.fire())
    jest.setSystemTime(T0 + RESET_MS)
    const elect = store.electProbe
    store.electProbe = async (name, election) => {
      a.circuit.close()
      return elect(name, election)
    }
    dependency.down = false
    // Act
    const result = await outcome(a.fire())
    // Assess
    expect(result).toBe('ok')
    expect(a.state).toBe('closed')
    expect(events.map((event) => event.type)).toEqual(['breaker.open', 'breaker.close'])
  })

  it('writes transitions in the order they happened', async () => {
    // Prepare
    const store = memoryStore()
    const dependency: Dependency = { down: true, calls: 0, gate: null }
    const a = container(store, dependency)
    const slow = deferred<void>()
    const written: string[] = []
    const compareAndSet = store.compareAndSet
    store.compareAndSet = async (name, version, next) => {
      await slow.promise
      written.push(next.state)
      return compareAndSet(name, version, next)
    }
    const call = outcome(a.fire())
    await settle()
    // Act
    a.circuit.close()
    slow.resolve()
    await call
    // Assess
    expect(written).toEqual(['open', 'closed'])
    expect(store.records.get('dep')).toMatchObject({ state: 'closed', version: 2 })
  })
})

describe('what the breaker tells the store about its own calls', () => {
  it('asks as quiet only while closed with no failure in its window', async () => {
    // Prepare
    const store = memoryStore()
    const quietFlags: Array<boolean | undefined> = []
    const recording: BreakerStore = {
      ...store,
      get(name, call) {
        quietFlags.push(call?.quiet)
        return store.get(name, call)
      },
    }
    const dependency: Dependency = { down: false, calls: 0, gate: null }
    const breaker = container(recording, dependency)
    // Act
    await outcome(breaker.fire()) // healthy: quiet
    dependency.down = true
    await outcome(breaker.fire()) // still quiet when it asks; this call fails and opens the breaker
    await outcome(breaker.fire()) // open: not quiet
    jest.setSystemTime(T0 + 10_000) // the window (10 s) no longer holds the failure, but the breaker is open
    await outcome(breaker.fire())
    // Assess
    expect(quietFlags).toEqual([true, true, false, false])
    expect(breaker.state).toBe('open')
  })

  it('is not quiet while a failure stays in the window of a closed breaker, and quiet again after it', async () => {
    // Prepare
    const store = memoryStore()
    const quietFlags: Array<boolean | undefined> = []
    const recording: BreakerStore = {
      ...store,
      get(name, call) {
        quietFlags.push(call?.quiet)
        return store.get(name, call)
      },
    }
    resetBreakers()
    let fail = false
    circuitBreaker({
      name: 'tolerant',
      options: { ...options, volumeThreshold: 100 }, // stays closed: one failure of a hundred
      store: recording,
      action: async (): Promise<string> => {
        if (fail) throw new Error('down')
        return 'ok'
      },
    })
    const breaker = getBreaker<[], string>('tolerant') as Breaker<[], string>
    // Act
    fail = true
    await outcome(breaker.fire())
    fail = false
    await outcome(breaker.fire())
    jest.setSystemTime(T0 + 10_000) // the 10 s window rolled past the failure
    await outcome(breaker.fire())
    // Assess
    expect(breaker.state).toBe('closed')
    expect(quietFlags).toEqual([true, false, true])
  })
})
