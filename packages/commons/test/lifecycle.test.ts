import { describe, expect, it } from '@jest/globals'
import {
  canonicalEventName,
  checkLifecycleLine,
  LIFECYCLE_EVENTS,
  LIFECYCLE_LINE_KEYS,
  LIFECYCLE_LINE_KEYS_V1,
  LIFECYCLE_SCHEMA_VERSION,
  LIFECYCLE_SCHEMA_VERSIONS,
  lifecycleEventOf,
} from '@lambda-lifetime/commons'
import fc from 'fast-check'

/** A warm invocation's line of schema 2: only what changes from one invocation to the next. */
const endLine = {
  message: 'invocation.end',
  lifecycle_schema: 2,
  container_id: 'c1',
  invocation: 2,
  idle_ms: 3,
  duration_ms: 1.25,
}

/** The same invocation as a schema 1 writer put it. */
const endLineV1 = {
  event: 'invocation.end',
  message: 'invocation.end',
  lifecycle_schema: 1,
  container_id: 'c1',
  container_age_ms: 12.5,
  invocation: 2,
  cold_start: false,
  start_type: 'warm',
  idle_ms: 3,
  duration_ms: 1.25,
  outcome: 'success',
}

describe('lifecycle schema', () => {
  it('is version 2, reads 1 and 2, and names every event in lowercase family.kebab-case', () => {
    // Assess
    expect(LIFECYCLE_SCHEMA_VERSION).toBe(2)
    expect(LIFECYCLE_SCHEMA_VERSIONS).toEqual([1, 2])
    for (const name of Object.values(LIFECYCLE_EVENTS)) expect(name).toMatch(/^[a-z]+\.[a-z]+(-[a-z]+)*$/)
  })

  it('puts the constant facts on container.start only', () => {
    // Assess
    for (const constant of ['environment_id', 'worker_id', 'init_type', 'runtime_started_at']) {
      const kinds = Object.entries(LIFECYCLE_LINE_KEYS)
        .filter(([, keys]) => constant in keys)
        .map(([kind]) => kind)
      expect(kinds).toEqual(['container.start'])
    }
    expect(Object.keys(LIFECYCLE_LINE_KEYS['invocation.end'])).not.toContain('container_age_ms')
  })

  it('reads a legacy event name under today’s name and leaves other names alone', () => {
    // Assess
    expect(canonicalEventName('breaker.halfOpen')).toBe('breaker.half-open')
    expect(canonicalEventName('invocation.end')).toBe('invocation.end')
    expect(canonicalEventName('toString')).toBe('toString')
  })

  it('finds the event name in message (schema 2) or event (schema 1)', () => {
    // Assess
    expect(lifecycleEventOf(endLine)).toBe('invocation.end')
    expect(lifecycleEventOf({ ...endLineV1, message: 'something else' })).toBe('invocation.end')
    expect(lifecycleEventOf({ lifecycle_schema: 2, event: 'invocation.end' })).toBeUndefined()
    expect(lifecycleEventOf({ lifecycle_schema: 1, message: 'invocation.end' })).toBeUndefined()
  })

  it('accepts a complete line of either version and one with the optional keys of its kind', () => {
    // Assess
    expect(checkLifecycleLine(endLine)).toEqual([])
    expect(checkLifecycleLine(endLineV1)).toEqual([])
    expect(checkLifecycleLine({ ...endLine, status_code: 200, sample_rate: 0.1, sample_first: 100 })).toEqual(
      [],
    )
    expect(checkLifecycleLine({ ...endLineV1, status_code: 200, sample_rate: 0.5, worker_id: 3 })).toEqual([])
    expect(
      checkLifecycleLine({
        message: 'container.shutdown',
        lifecycle_schema: 2,
        container_age_ms: 4,
        invocations: 0,
        reason: 'SIGTERM',
      }),
    ).toEqual([])
    expect(
      checkLifecycleLine({ message: 'pool.create', lifecycle_schema: 2, container_age_ms: 1, pool: 'db' }),
    ).toEqual([])
    expect(
      checkLifecycleLine({ event: 'pool.create', lifecycle_schema: 1, container_age_ms: 1, pool: 'db' }),
    ).toEqual([])
  })

  it('names every missing, mistyped or out-of-range key', () => {
    // Act
    const { duration_ms: _dropped, ...withoutDuration } = endLine
    const problems = checkLifecycleLine({
      ...withoutDuration,
      lifecycle_schema: 3,
      invocation: 1.5,
      outcome: 'success',
      start_type: 'tepid',
      container_id: null,
    })
    // Assess
    expect(problems).toEqual([
      '"lifecycle_schema" must be one of 2, got 3',
      '"container_id" is missing',
      '"invocation" must be of type integer, got 1.5',
      '"duration_ms" is missing',
      '"outcome" must be one of error, early-return, got "success"',
      '"start_type" must be one of cold, warm, pre-initialized, got "tepid"',
    ])
    const { cold_start: _gone, ...v1WithoutColdStart } = endLineV1
    expect(checkLifecycleLine({ ...v1WithoutColdStart, outcome: 'maybe' })).toEqual([
      '"cold_start" is missing',
      '"outcome" must be one of success, error, early-return, got "maybe"',
    ])
  })

  it('rejects a line with no event, an unknown event or a date that does not parse', () => {
    // Assess
    expect(checkLifecycleLine({})).toEqual(['"message" must be a string'])
    expect(checkLifecycleLine({ lifecycle_schema: 1, message: 'invocation.end' })).toEqual([
      '"event" must be a string',
    ])
    expect(checkLifecycleLine({ ...endLine, message: 'invocation.ended' })).toEqual([
      '"message" "invocation.ended" is not a known line',
    ])
    const start = {
      ...endLine,
      message: 'container.start',
      container_age_ms: 1,
      cold_start: true,
      start_type: 'cold',
      init_type: 'on-demand',
      since_runtime_start_ms: 1,
      runtime_started_at: 'yesterday-ish',
    }
    expect(checkLifecycleLine(start)).toEqual([
      '"runtime_started_at" must be of type iso-date, got "yesterday-ish"',
    ])
  })

  it('never throws and always answers with a list, whatever the line holds', () => {
    // Assess
    const keys = [
      ...Object.keys(LIFECYCLE_LINE_KEYS['invocation.end']),
      ...Object.keys(LIFECYCLE_LINE_KEYS_V1['invocation.end']),
    ]
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...keys), fc.anything()),
        fc.constantFrom(1, 2, undefined),
        (line, version) => {
          expect(Array.isArray(checkLifecycleLine({ ...line, lifecycle_schema: version }))).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })
})
