import { describe, expect, it } from '@jest/globals'
import {
  canonicalEventName,
  checkLifecycleLine,
  LIFECYCLE_EVENTS,
  LIFECYCLE_LINE_KEYS,
  LIFECYCLE_SCHEMA_VERSION,
} from '@lambda-lifetime/commons'
import fc from 'fast-check'

const endLine = {
  event: 'invocation.end',
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
  it('is version 1 and names every event in lowercase family.kebab-case', () => {
    // Assess
    expect(LIFECYCLE_SCHEMA_VERSION).toBe(1)
    for (const name of Object.values(LIFECYCLE_EVENTS)) expect(name).toMatch(/^[a-z]+\.[a-z]+(-[a-z]+)*$/)
  })

  it('reads a legacy event name under today’s name and leaves other names alone', () => {
    // Assess
    expect(canonicalEventName('breaker.halfOpen')).toBe('breaker.half-open')
    expect(canonicalEventName('invocation.end')).toBe('invocation.end')
    expect(canonicalEventName('toString')).toBe('toString')
  })

  it('accepts a complete line and one with the optional keys of its kind', () => {
    // Assess
    expect(checkLifecycleLine(endLine)).toEqual([])
    expect(checkLifecycleLine({ ...endLine, status_code: 200, sample_rate: 0.5, worker_id: 3 })).toEqual([])
    expect(
      checkLifecycleLine({
        event: 'container.shutdown',
        lifecycle_schema: 1,
        container_age_ms: 4,
        invocations: 0,
        reason: 'SIGTERM',
      }),
    ).toEqual([])
    expect(
      checkLifecycleLine({ event: 'pool.create', lifecycle_schema: 1, container_age_ms: 1, pool: 'db' }),
    ).toEqual([])
  })

  it('names every missing, mistyped or out-of-range key', () => {
    // Act
    const { cold_start: _dropped, ...withoutColdStart } = endLine
    const problems = checkLifecycleLine({
      ...withoutColdStart,
      lifecycle_schema: 2,
      invocation: 1.5,
      outcome: 'maybe',
      container_id: null,
    })
    // Assess
    expect(problems).toEqual([
      '"lifecycle_schema" must be one of 1, got 2',
      '"container_id" is missing',
      '"invocation" must be of type integer, got 1.5',
      '"cold_start" is missing',
      '"outcome" must be one of success, error, early-return, got "maybe"',
    ])
  })

  it('rejects a line with no event, an unknown event or a date that does not parse', () => {
    // Assess
    expect(checkLifecycleLine({})).toEqual(['"event" must be a string'])
    expect(checkLifecycleLine({ ...endLine, event: 'invocation.ended' })).toEqual([
      '"event" "invocation.ended" is not a known line',
    ])
    const start = {
      ...endLine,
      event: 'container.start',
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
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...Object.keys(LIFECYCLE_LINE_KEYS['invocation.end'])), fc.anything()),
        (line) => {
          expect(Array.isArray(checkLifecycleLine(line))).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })
})
