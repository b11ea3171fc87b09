/**
 * Test helpers for the breaker: a fresh registry per test, a deferred promise, and an in-memory
 * BreakerStore (compare-and-set and probe election with the same semantics as the DynamoDB store).
 */
import type { BreakerRecord, BreakerStore, BreakerWrite, ProbeElection } from '@lambda-lifetime/breaker'

const REGISTRY_KEY = Symbol.for('lambda-lifetime.breakers')

/** Forgets every breaker of the container, as a new runtime would start. */
export const resetBreakers = (): void => {
  delete (globalThis as Record<symbol, unknown>)[REGISTRY_KEY]
}

export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

export const deferred = <T>(): Deferred<T> => {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve
    reject = onReject
  })
  return { promise, resolve, reject }
}

/** Lets every pending promise callback run (opossum settles through a few of them). */
export const settle = async (): Promise<void> => {
  for (let round = 0; round < 10; round++) await Promise.resolve()
}

export interface MemoryStore extends BreakerStore {
  readonly records: Map<string, BreakerRecord>
  readonly calls: { get: number; compareAndSet: number; electProbe: number }
}

/** An uncached store in memory: what a Redis store would do with WATCH/MULTI or a Lua script. */
export const memoryStore = (): MemoryStore => {
  const records = new Map<string, BreakerRecord>()
  const calls = { get: 0, compareAndSet: 0, electProbe: 0 }
  return {
    records,
    calls,
    async get(name) {
      calls.get++
      return records.get(name) ?? null
    },
    async compareAndSet(name, expectedVersion, next: BreakerWrite) {
      calls.compareAndSet++
      if ((records.get(name)?.version ?? 0) !== expectedVersion) return null
      const record: BreakerRecord = {
        state: next.state,
        version: expectedVersion + 1,
        openedAt: next.openedAt,
        probeOwner: null,
        probeUntil: null,
      }
      records.set(name, record)
      return record
    },
    async electProbe(name, election: ProbeElection) {
      calls.electProbe++
      const current = records.get(name)
      if ((current?.version ?? 0) !== election.version) return null
      if (current?.probeUntil != null && current.probeUntil >= election.now) return null
      const record: BreakerRecord = {
        state: 'halfOpen',
        version: election.version + 1,
        openedAt: current?.openedAt ?? null,
        probeOwner: election.owner,
        probeUntil: election.now + election.leaseMs,
      }
      records.set(name, record)
      return record
    },
  }
}
