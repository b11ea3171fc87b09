import { describe, expect, it } from '@jest/globals'
import { DashboardModel } from '../../src/dashboard/model.js'
import type { EnvironmentInfo } from '../../src/types.js'

const info = (id: string, changes: Partial<EnvironmentInfo> = {}): EnvironmentInfo => ({
  id: `2026/12/04/[$LATEST]${id.padEnd(32, '0')}`,
  functionName: 'hello',
  state: 'idle',
  frozen: false,
  initType: 'on-demand',
  pid: 42,
  runtimes: 1,
  invocations: 0,
  inFlight: 0,
  extensions: [],
  createdAt: 1_000,
  lastInvocationEndAt: null,
  tmpDir: '/tmp/x',
  logFile: '/tmp/x.log',
  ...changes,
})

const functions = [{ name: 'hello', memoryMb: 256, timeoutMs: 3000 }]

describe('the dashboard model', () => {
  it('tells the states a person reads, with restarts, last duration and memory', () => {
    // Prepare
    const model = new DashboardModel(functions, {}, (pid) => (pid === 42 ? 77 : null))
    const env = info('aa11')

    // Act
    const started = model.apply({
      type: 'environment.start',
      at: 1_000,
      environment: { ...env, state: 'initializing' },
    })
    const ended = model.apply({
      type: 'invocation.end',
      at: 1_200,
      environment: { ...env, state: 'busy', invocations: 1, runtimes: 2 },
      requestId: 'r1',
      durationMs: 12.5,
      outcome: 'success',
      answer: 'client-error',
      statusCode: 404,
    })
    const frozen = model.apply({
      type: 'environment.freeze',
      at: 1_201,
      environment: { ...env, frozen: true },
    })
    const draining = model.apply({
      type: 'environment.shutdown',
      at: 1_300,
      environment: { ...env, state: 'shutting-down' },
      reason: 'idle',
      signal: 'SIGTERM',
    })
    const gone = model.apply({
      type: 'environment.stopped',
      at: 1_400,
      environment: { ...env, state: 'stopped' },
    })
    const throttle = model.apply({ type: 'invocation.throttle', at: 1_500, functionName: 'hello' })

    // Assess
    expect(started.row).toMatchObject({
      shortId: 'aa110000',
      state: 'initializing',
      memoryMb: 256,
      restarts: 0,
    })
    expect(started.moment).toMatchObject({ kind: 'cold-start', detail: 'on-demand' })
    expect(ended.row).toMatchObject({ state: 'busy', lastDurationMs: 12.5, maxMemoryUsedMb: 77, restarts: 1 })
    expect(ended.moment).toMatchObject({
      kind: 'invoke-end',
      requestId: 'r1',
      durationMs: 12.5,
      detail: 'client-error',
    })
    expect(frozen.row).toMatchObject({ state: 'frozen', lastDurationMs: 12.5, maxMemoryUsedMb: 77 })
    expect(draining.row).toMatchObject({ state: 'draining', endReason: 'idle' })
    expect(draining.moment.detail).toBe('idle SIGTERM')
    expect(gone.row).toMatchObject({ state: 'shut down', endedAt: 1_400, endReason: 'idle' })
    expect(throttle).toEqual({
      moment: { at: 1_500, kind: 'throttle', functionName: 'hello', environmentId: null },
      row: null,
    })
  })

  it.each([
    [{ type: 'environment.ready', initDurationMs: 87.4 }, 'ready', 'init 87 ms'],
    [
      { type: 'environment.init-failed', reason: 'timeout', errorType: 'Runtime.InitTimeout' },
      'init-failed',
      'Runtime.InitTimeout (timeout)',
    ],
    [{ type: 'environment.reset', reason: 'crash' }, 'restart', 'crash'],
    [{ type: 'environment.thaw' }, 'thaw', undefined],
    [{ type: 'invocation.start', requestId: 'r2' }, 'invoke-start', undefined],
    [{ type: 'invocation.end', requestId: 'r3', durationMs: 1, outcome: 'timeout' }, 'invoke-end', 'error'],
    [{ type: 'invocation.end', requestId: 'r4', durationMs: 1, outcome: 'success' }, 'invoke-end', 'success'],
  ])('marks %o as a %s moment', (fields, kind, detail) => {
    // Prepare
    const model = new DashboardModel(functions, {}, () => null)

    // Act
    const { moment } = model.apply({ at: 5, environment: info('bb22'), ...fields } as never)

    // Assess
    expect(moment.kind).toBe(kind)
    expect(moment.detail).toBe(detail)
  })

  it('keeps shut-down rows for the window and at most maxEnded of them, and at most maxMoments moments', () => {
    // Prepare
    const model = new DashboardModel(functions, { windowMs: 10_000, maxEnded: 2, maxMoments: 10 }, () => null)
    const stop = (id: string, at: number) =>
      model.apply({ type: 'environment.stopped', at, environment: info(id, { state: 'stopped' }) })

    // Act
    model.apply({ type: 'environment.start', at: 0, environment: info('abcd') })
    stop('e1', 1_000)
    stop('e2', 2_000)
    stop('e3', 3_000)
    const afterThree = model.snapshot(3_000).environments.map((row) => row.shortId)
    stop('e4', 14_000)
    for (let at = 14_001; at < 16_200; at++)
      model.apply({ type: 'invocation.throttle', at, functionName: 'hello' })
    const later = model.snapshot(16_200)

    // Assess
    expect(afterThree).toEqual(['abcd0000', 'e2000000', 'e3000000'])
    expect(later.environments.map((row) => row.shortId)).toEqual(['abcd0000', 'e4000000'])
    expect(later.history).toHaveLength(10)
    expect(later.history.at(-1)?.at).toBe(16_199)
    expect(later).toMatchObject({ now: 16_200, windowMs: 10_000, functions })
  })
})
