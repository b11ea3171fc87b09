/**
 * Issue 17, "Memory": the configured memory size means what it means in Lambda, through the AWS SDK's
 * LambdaClient and the real runtime client. Going over it ends the invocation with `Runtime.OutOfMemory`
 * (REPORT: Max Memory Used = the size, Status: error) and the next invocation starts a new runtime; V8's
 * heap is sized as Lambda's Node.js bootstrap sizes it, so that a heap that outgrows it dies in V8.
 */
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, test } from '@jest/globals'
import { type EmulatorOptions, memoryMeasure } from '@lambda-lifetime/emulator'
import { fn, type Harness, withEmulator } from './harness.js'

/** Both measures where the emulator can make memory cgroups on this machine; elsewhere only sampling. */
const machine = memoryMeasure(true)
const measures: { name: string; options: Partial<EmulatorOptions> }[] = [
  { name: 'sampled', options: { memoryCgroups: false } },
  ...(machine.startsWith('cgroup') ? [{ name: machine, options: {} }] : []),
]

/** Where the cgroup file systems are mounted on a usual Linux (v1: one per controller). */
const cgroupRoot = machine === 'cgroup v1' ? '/sys/fs/cgroup/memory' : '/sys/fs/cgroup'

/** The banner's line about memory. */
const memoryNotice = ({ events }: Harness): string =>
  events.flatMap((event) =>
    event.type === 'emulator.notice' && event.message.startsWith('memory:') ? [event.message] : [],
  )[0] ?? ''

const memoryFn = (memoryMb: number) => fn('memory', 'memory.handler', { memoryMb, timeoutMs: 20_000 })

const logOf = ({ emulator }: Harness): string => {
  const [environment] = emulator.environments('memory')
  return readFileSync(environment?.logFile as string, 'utf8')
}

const reportOf = (log: string, requestId: string): string =>
  log.split('\n').find((line) => line.startsWith(`REPORT RequestId: ${requestId}`)) ?? ''

/** The REPORT of a failed invocation at the size (an Init Duration may stand between, on a first invocation). */
const OUT_OF_MEMORY_REPORT =
  /\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t(Init Duration: [\d.]+ ms\t)?Status: error\tError Type: Runtime\.OutOfMemory\t$/

const requestIdOf = (logResult: string | undefined): string =>
  /START RequestId: ([0-9a-f-]{36})/.exec(Buffer.from(logResult ?? '', 'base64').toString('utf8'))?.[1] ?? ''

/** Invokes with `use`, expects the out-of-memory answer and line, and returns the REPORT line. */
const expectOutOfMemory = async (harness: Harness, event: Record<string, unknown>): Promise<string> => {
  // Act
  const { output, body } = await harness.invoke('memory', event, { LogType: 'Tail' })

  // Assess
  const requestId = requestIdOf(output.LogResult)
  expect(output.FunctionError).toBe('Unhandled')
  expect(body).toEqual({
    errorType: 'Runtime.OutOfMemory',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
  })
  const log = logOf(harness)
  expect(log).toContain(
    `RequestId: ${requestId} Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory\n`,
  )
  return reportOf(log, requestId)
}

describe.each(measures)('a function over its memory size ($name)', ({ options }) => {
  test('a Buffer past 128 MB: Runtime.OutOfMemory, REPORT at the size, then a new runtime', () =>
    withEmulator([memoryFn(128)], options, async (harness) => {
      // Prepare
      const before = (await harness.invoke('memory')).body as unknown as { pid: number; served: number }

      // Act
      const report = await expectOutOfMemory(harness, { use: 'buffer', mb: 160, holdMs: 15_000 })
      const after = (await harness.invoke('memory')).body as unknown as { pid: number; served: number }

      // Assess
      expect(report).toMatch(OUT_OF_MEMORY_REPORT)
      expect(after.pid).not.toBe(before.pid)
      expect(after.served).toBe(1)
      expect(harness.events.some((event) => event.type === 'environment.reset')).toBe(true)
      expect(harness.emulator.environments('memory')).toHaveLength(1)
    }))

  test('a spike dropped before the answer still counts: the runtime’s high-water mark', () =>
    withEmulator([memoryFn(128)], options, async (harness) => {
      // Act
      const report = await expectOutOfMemory(harness, { use: 'spike', mb: 160 })

      // Assess
      expect(report).toMatch(OUT_OF_MEMORY_REPORT)
    }))

  test('a JS heap growing past 128 MB meets the limit before its V8 heap limit (116 MB + the runtime)', () =>
    withEmulator([memoryFn(128)], options, async (harness) => {
      // Act
      const report = await expectOutOfMemory(harness, { use: 'heap', chunks: 400, pauseMs: 5 })

      // Assess
      expect(report).toMatch(OUT_OF_MEMORY_REPORT)
    }))

  test('an init over the size fails as Runtime.OutOfMemory, in INIT_REPORT and in the answer', () =>
    withEmulator(
      [fn('memory', 'memory.handler', { memoryMb: 128, timeoutMs: 20_000, env: { FILL_AT_INIT_MB: '160' } })],
      options,
      async (harness) => {
        // Act
        const { output, body } = await harness.invoke('memory', {}, { LogType: 'Tail' })

        // Assess: the init failed, was retried inside the invocation, and failed again
        expect(output.FunctionError).toBe('Unhandled')
        expect(body).toMatchObject({ errorType: 'Runtime.OutOfMemory' })
        const reports = logOf(harness)
          .split('\n')
          .filter((line) => line.startsWith('INIT_REPORT'))
        expect(reports).toHaveLength(2)
        for (const line of reports) expect(line).toMatch(/\tStatus: error\tError Type: Runtime\.OutOfMemory$/)
      },
    ))

  test('memory of a process the function started counts too', () =>
    withEmulator([memoryFn(128)], options, async (harness) => {
      // Act
      const report = await expectOutOfMemory(harness, { use: 'child', mb: 160 })

      // Assess
      expect(report).toMatch(OUT_OF_MEMORY_REPORT)
    }))
})

describe.each(measures)("V8's heap sized as Lambda's Node.js runtime sizes it ($name)", ({ options }) => {
  test('at 1024 MB the old space is 922 MB, and a heap that outgrows it dies in V8 under the size', () =>
    withEmulator([memoryFn(1024)], options, async (harness) => {
      // Prepare
      const usage = (await harness.invoke('memory')).body as unknown as { heapLimitMb: number }

      // Act
      const { output, body } = await harness.invoke(
        'memory',
        { use: 'heap', chunks: 2_000, pauseMs: 0 },
        { LogType: 'Tail' },
      )

      // Assess: V8's limit is the old space and the young generation, three semi-spaces of 51 MB that
      // V8 rounds up to a power of two (64 MB)
      expect(usage.heapLimitMb).toBe(922 + 3 * 64)
      const requestId = requestIdOf(output.LogResult)
      expect(body).toEqual({
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: aborted`,
      })
      const log = logOf(harness)
      expect(log).toMatch(/FATAL ERROR: .*JavaScript heap out of memory/)
      const report = reportOf(log, requestId)
      expect(report).toMatch(
        /Memory Size: 1024 MB\tMax Memory Used: \d+ MB\t(Init Duration: [\d.]+ ms\t)?Status: error\tError Type: Runtime\.ExitError/,
      )
      expect(Number(/Max Memory Used: (\d+)/.exec(report)?.[1])).toBeLessThan(1024)
    }))
})

describe.each(measures)('Max Memory Used ($name)', ({ name, options }) => {
  test("a normal handler's is between its resident memory and the size; the banner says how it is measured", () =>
    withEmulator([memoryFn(256)], options, async (harness) => {
      // Act
      const { output, body } = await harness.invoke('memory', {}, { LogType: 'Tail' })

      // Assess
      const usage = body as unknown as { rssMb: number; heapLimitMb: number }
      const report = reportOf(logOf(harness), requestIdOf(output.LogResult))
      const used = Number(/\tMax Memory Used: (\d+) MB\t/.exec(report)?.[1])
      expect(used).toBeGreaterThanOrEqual(Math.floor(usage.rssMb))
      expect(used).toBeLessThanOrEqual(256)
      expect(report).not.toContain('Status')
      const end = harness.events.find((event) => event.type === 'invocation.end')
      expect(end).toMatchObject({ maxMemoryUsedMb: used })
      expect(memoryNotice(harness)).toContain(
        name === 'sampled'
          ? 'sampled every 25 ms (less often past 8 busy environments) while it works'
          : `a memory cgroup (${name.slice(-2)}) per runtime`,
      )
    }))
})

describe.each(measures.filter(({ name }) => name.startsWith('cgroup')))(
  'the memory cgroup ($name)',
  ({ options }) => {
    test('the runtime runs in its own cgroup, which goes with it', async () => {
      // Prepare
      let cgroupDir = ''

      // Act
      await withEmulator([memoryFn(128)], options, async (harness) => {
        const { pid } = (await harness.invoke('memory')).body as unknown as { pid: number }
        const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
        const path = /^\d+:[^:]*memory[^:]*:(.*)$/m.exec(cgroups)?.[1] ?? /^0::(.*)$/m.exec(cgroups)?.[1]
        cgroupDir = `${cgroupRoot}${path}`
        expect(cgroupDir).toMatch(new RegExp(`/lambda-lifetime-${process.pid}-[0-9a-f]{12}-1$`))
        expect(existsSync(cgroupDir)).toBe(true)
      })

      // Assess: stopping the emulator removed it
      expect(existsSync(cgroupDir)).toBe(false)
    })
  },
)
