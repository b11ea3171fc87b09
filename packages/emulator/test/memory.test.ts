import { describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { DashboardModel } from '../src/dashboard/model.js'
import {
  describeMemory,
  heapArgs,
  MAX_SAMPLES_PER_SECOND,
  MemoryMonitor,
  memoryNowMb,
  sampleIntervalMs,
} from '../src/memory.js'
import type { EnvironmentInfo } from '../src/types.js'

const monitor = (limitMb: number, members: () => number[], onOver = () => {}, active = () => true) =>
  new MemoryMonitor({ limitMb, members, active, onOver, intervalMs: 5 })

/** Resolves once `check` holds, polling; rejects after `withinMs` so that a broken monitor fails the test. */
const until = async (check: () => boolean, withinMs = 10_000): Promise<void> => {
  const deadline = Date.now() + withinMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('heapArgs', () => {
  test("the flags of Lambda's Node.js bootstrap for the usual sizes", () => {
    expect(heapArgs(128)).toEqual(['--max-semi-space-size=6', '--max-old-space-size=116'])
    expect(heapArgs(1024)).toEqual(['--max-semi-space-size=51', '--max-old-space-size=922'])
    expect(heapArgs(10_240)).toEqual(['--max-semi-space-size=512', '--max-old-space-size=9216'])
  })

  test('for every size, the young and old generations fit in the size, with a tenth for the young one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 128, max: 10_240 }), (memoryMb) => {
        // Act
        const [semi, old] = heapArgs(memoryMb).map((flag) => Number(flag.split('=')[1]))

        // Assess
        expect(2 * (semi as number) + (old as number)).toBeLessThanOrEqual(memoryMb)
        expect(old).toBe(memoryMb - Math.floor(memoryMb / 10))
      }),
    )
  })
})

describe('sampleIntervalMs', () => {
  test('25 ms for up to 8 busy environments; beyond, the samples of all stay within the budget', () => {
    expect(sampleIntervalMs(0)).toBe(25)
    expect(sampleIntervalMs(8)).toBe(25)
    expect(sampleIntervalMs(100)).toBe(313)
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), (busy) => {
        expect((busy * 1000) / sampleIntervalMs(busy)).toBeLessThanOrEqual(MAX_SAMPLES_PER_SECOND)
      }),
    )
  })
})

describe('memoryNowMb', () => {
  test("a live process's resident memory; nothing for no process or one that does not exist", () => {
    // Act
    const own = memoryNowMb([process.pid])

    // Assess
    expect(own).toBeGreaterThanOrEqual(Math.floor(process.memoryUsage().rss / 2 ** 20))
    expect(memoryNowMb([])).toBeNull()
    expect(memoryNowMb([2 ** 22 + 1])).toBeNull()
  })
})

describe('MemoryMonitor', () => {
  test('the peak never goes down, and a gone process leaves the last peak', () => {
    // Prepare
    let members = [process.pid]
    const memory = monitor(100_000, () => members)

    // Act
    memory.sample()
    const peak = memory.reportedMb as number
    members = []
    memory.sample()

    // Assess
    expect(peak).toBeGreaterThan(0)
    expect(memory.reportedMb).toBe(peak)
    expect(memory.over).toBe(false)
  })

  test('over the size: the periodic sample says so once, and REPORT shows the size', async () => {
    // Prepare: this process is far above 1 MB
    let calls = 0
    const memory = monitor(
      1,
      () => [process.pid],
      () => {
        calls += 1
      },
    )

    // Act
    memory.start()
    await until(() => calls > 0)
    await new Promise((resolve) => setTimeout(resolve, 30))
    await memory.release()

    // Assess
    expect(calls).toBe(1)
    expect(memory.over).toBe(true)
    expect(memory.reportedMb).toBe(1)
  })

  test('over the size seen by a sample taken elsewhere (invocation start): the next busy tick tells', async () => {
    // Prepare
    let calls = 0
    const memory = monitor(
      1,
      () => [process.pid],
      () => {
        calls += 1
      },
    )
    memory.sample()

    // Act
    memory.start()
    await until(() => calls > 0)
    await memory.release()

    // Assess
    expect(calls).toBe(1)
  })

  test('not active (idle, frozen): no sample, no kill', async () => {
    // Prepare
    let asked = 0
    const memory = monitor(
      1,
      () => [process.pid],
      () => {
        throw new Error('must not be called')
      },
      () => {
        asked += 1
        return false
      },
    )

    // Act
    memory.start()
    memory.start() // a second start keeps the one timer
    await until(() => asked >= 3)
    await memory.release()

    // Assess
    expect(memory.over).toBe(false)
    expect(memory.reportedMb).toBeNull()
  })

  test('the banner line says which measure is in use', () => {
    expect(describeMemory('cgroup v1')).toMatch(/a memory cgroup \(v1\) per runtime limits it/)
    expect(describeMemory('cgroup v2')).toMatch(/a memory cgroup \(v2\) per runtime limits it/)
    expect(describeMemory('sampled')).toMatch(
      /sampled every 25 ms \(less often past 8 busy environments\) while it works \(no memory cgroup here/,
    )
    expect(describeMemory('none')).toMatch(/no \/proc and no memory cgroup here/)
  })
})

describe('the dashboard', () => {
  test('shows the REPORT line’s Max Memory Used, which the invocation.end event carries', () => {
    // Prepare: the runtime's own peak would say 77 MB; the REPORT said 128 (killed at the size)
    const model = new DashboardModel([{ name: 'hello', memoryMb: 128, timeoutMs: 3000 }], {}, () => 77)
    const environment: EnvironmentInfo = {
      id: `2026/12/04/[$LATEST]${'a'.repeat(32)}`,
      functionName: 'hello',
      state: 'idle',
      frozen: false,
      initType: 'on-demand',
      pid: 42,
      runtimes: 2,
      invocations: 1,
      inFlight: 0,
      extensions: [],
      createdAt: 1_000,
      lastInvocationEndAt: 1_200,
      tmpDir: '/tmp/x',
      logFile: '/tmp/x.log',
    }
    const end = { type: 'invocation.end', at: 1_200, environment, requestId: 'r1', durationMs: 5 } as const

    // Act
    const reported = model.apply({ ...end, outcome: 'crash', maxMemoryUsedMb: 128 })
    const older = model.apply({ ...end, outcome: 'success' })

    // Assess
    expect(reported.row?.maxMemoryUsedMb).toBe(128)
    expect(older.row?.maxMemoryUsedMb).toBe(77)
  })
})
