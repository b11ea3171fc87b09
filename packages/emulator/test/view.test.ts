import { describe, expect, test } from '@jest/globals'
import {
  type AnswerCounts,
  countAnswer,
  describeEvent,
  type EmulatorEvent,
  type EnvironmentInfo,
  logStreamFile,
  logStreamName,
  renderEnvironments,
  shortId,
} from '@lambda-lifetime/emulator'

const environment = (overrides: Partial<EnvironmentInfo>): EnvironmentInfo => ({
  id: '2025/06/01/[$LATEST]0123456789abcdef0123456789abcdef',
  functionName: 'hello',
  state: 'idle',
  frozen: true,
  initType: 'on-demand',
  pid: 42,
  runtimes: 1,
  invocations: 3,
  inFlight: 0,
  extensions: [],
  createdAt: 0,
  lastInvocationEndAt: 5_000,
  tmpDir: '/tmp/x',
  logFile: '/logs/x.log',
  ...overrides,
})

describe('renderEnvironments', () => {
  test('one aligned line per environment with state, counts, age and idle time', () => {
    // Act
    const table = renderEnvironments(
      [
        environment({}),
        environment({ state: 'busy', frozen: false, inFlight: 3, pid: null, createdAt: -7_200_000 }),
        environment({ state: 'initializing', frozen: false, lastInvocationEndAt: null, createdAt: -120_000 }),
      ],
      65_000,
    )

    // Assess
    const lines = table.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^function\s+env\s+pid\s+state\s+invocations\s+runtimes\s+age\s+idle$/)
    expect(lines[1]).toMatch(/^hello\s+01234567\s+42\s+frozen\s+3\s+1\s+1m05s\s+1m00s$/)
    expect(lines[2]).toMatch(/\s-\s+busy×3\s.*2h01m\s+-$/)
    expect(lines[3]).toMatch(/initializing.*3m05s\s+-$/)
  })

  test('with answer counts, 4xx answers and errors get their own columns (issue 11.8)', () => {
    // Prepare
    const counts = new Map<string, AnswerCounts>()
    const info = environment({})
    const end = (answer: 'success' | 'client-error' | 'error'): EmulatorEvent => ({
      type: 'invocation.end',
      at: 0,
      environment: info,
      requestId: 'r',
      durationMs: 1,
      outcome: answer === 'error' ? 'error' : 'success',
      answer,
    })
    for (const answer of ['success', 'client-error', 'client-error', 'error'] as const)
      countAnswer(counts, end(answer))

    // Act
    const table = renderEnvironments([info], 65_000, counts)

    // Assess
    const lines = table.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^function\s+env\s+pid\s+state\s+invocations\s+4xx\s+errors\s+runtimes/)
    expect(lines[1]).toMatch(/^hello\s+01234567\s+42\s+frozen\s+3\s+2\s+1\s+1\s/)
    countAnswer(counts, { type: 'environment.stopped', at: 0, environment: info })
    expect(counts.size).toBe(0)
  })

  test('says when there is no environment', () => {
    // Act / Assess
    expect(renderEnvironments([], 0)).toContain('no environments')
  })
})

describe('log streams', () => {
  test('a stream name looks like Lambda’s and maps to a file with / replaced', () => {
    // Act
    const name = logStreamName(new Date(Date.UTC(2025, 0, 2)))

    // Assess
    expect(name).toMatch(/^2025\/01\/02\/\[\$LATEST\][0-9a-f]{32}$/)
    expect(logStreamFile('/logs', 'fn', name)).toBe(`/logs/fn/${name.replaceAll('/', '-')}.log`)
  })
})

describe('shortId', () => {
  test('is the first 8 hex digits of an environment id or a container id (issue 11.7)', () => {
    // Act / Assess
    expect(shortId('2025/06/01/[$LATEST]0123456789abcdef0123456789abcdef')).toBe('01234567')
    expect(shortId('6f1c2d3e-0000-4000-8000-000000000000')).toBe('6f1c2d3e')
  })
})

describe('describeEvent', () => {
  const info = environment({ invocations: 4 })

  test.each([
    ['success', 200, 'success', 'ok 200'],
    ['client-error', 404, 'success', 'client error 404'],
    ['error', 503, 'success', 'error 503'],
    ['error', undefined, 'timeout', 'error (timeout)'],
    [undefined, undefined, 'success', 'ok'],
    [undefined, undefined, 'crash', 'error (crash)'],
  ] as const)(
    'an invocation answered %s %p (%s) reads "%s" (issue 11.8)',
    (answer, statusCode, outcome, words) => {
      // Act
      const line = describeEvent({
        type: 'invocation.end',
        at: 0,
        environment: info,
        requestId: 'r',
        durationMs: 12.4,
        outcome,
        ...(answer === undefined ? {} : { answer }),
        ...(statusCode === undefined ? {} : { statusCode }),
      })

      // Assess
      expect(line).toBe(`hello env 01234567 invocation 4: ${words} in 12 ms`)
    },
  )

  test('environments coming and going get a line; freezes do not', () => {
    // Act / Assess
    expect(describeEvent({ type: 'environment.start', at: 0, environment: info })).toBe(
      'hello env 01234567 starting (on-demand)',
    )
    expect(
      describeEvent({ type: 'environment.ready', at: 0, environment: info, initDurationMs: 80.2 }),
    ).toContain('ready, init 80 ms')
    expect(
      describeEvent({
        type: 'environment.init-failed',
        at: 0,
        environment: info,
        reason: 'error',
        errorType: 'E',
      }),
    ).toContain('init failed: E (error)')
    expect(describeEvent({ type: 'environment.reset', at: 0, environment: info, reason: 'crash' })).toContain(
      'reset after a crash',
    )
    expect(
      describeEvent({
        type: 'environment.shutdown',
        at: 0,
        environment: info,
        reason: 'idle',
        signal: 'SIGKILL',
      }),
    ).toContain('shut down (idle, SIGKILL)')
    expect(describeEvent({ type: 'invocation.throttle', at: 0, functionName: 'hello' })).toBe(
      'hello throttled (429 TooManyRequestsException)',
    )
    expect(describeEvent({ type: 'environment.freeze', at: 0, environment: info })).toBeNull()
  })

  test('a thaw after a second or more frozen gets a line; a short one or a first delivery does not (issue 14)', () => {
    // Prepare
    const thaw = (at: number, lastInvocationEndAt: number | null) =>
      describeEvent({
        type: 'environment.thaw',
        at,
        environment: environment({ invocations: 4, lastInvocationEndAt }),
      })

    // Act / Assess
    expect(thaw(62_000, 50_000)).toBe('hello env 01234567 thawed after 12 s frozen')
    expect(thaw(52_500, 50_000)).toBe('hello env 01234567 thawed after 2.5 s frozen')
    expect(thaw(50_400, 50_000)).toBeNull()
    expect(thaw(50_400, null)).toBeNull()
  })
})
