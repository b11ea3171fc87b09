import { describe, expect, test } from '@jest/globals'
import {
  type EnvironmentInfo,
  logStreamFile,
  logStreamName,
  renderEnvironments,
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
    expect(lines[1]).toMatch(/^hello\s+89abcdef\s+42\s+frozen\s+3\s+1\s+1m05s\s+1m00s$/)
    expect(lines[2]).toMatch(/\s-\s+busy×3\s.*2h01m\s+-$/)
    expect(lines[3]).toMatch(/initializing.*3m05s\s+-$/)
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
