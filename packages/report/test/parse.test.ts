import { describe, expect, it } from '@jest/globals'
import { LIFECYCLE_SCHEMA_VERSION, parseLifecycleLine } from '@lambda-lifetime/report'
import { jsonFormat, lifecycleLine, T0, textFormat } from './fixtures.js'

const line = lifecycleLine({
  at: 1_000,
  container: 'c1',
  environment: 'env',
  startedAt: 0,
  fields: { event: 'invocation.end', invocation: 2 },
})

describe('parseLifecycleLine', () => {
  it('reads a bare lifecycle line, as Powertools Logger prints it', () => {
    // Act
    const parsed = parseLifecycleLine(line)

    // Assess
    expect(parsed).toMatchObject({
      kind: 'lifecycle',
      at: T0 + 1_000,
      fields: { event: 'invocation.end', container_id: 'c1', invocation: 2 },
    })
  })

  it('reads the line after the runtime client text prefix (timestamp, request id, level)', () => {
    // Prepare: what aws-lambda-ric's StdoutLogger writes for console.log(JSON text) in its text format
    const prefixed = textFormat(line, '8f5c-request')

    // Act
    const parsed = parseLifecycleLine(prefixed)

    // Assess
    expect(parsed).toMatchObject({ kind: 'lifecycle', at: T0 + 1_000, fields: { container_id: 'c1' } })
  })

  it('reads the runtime client JSON format, with the line as an object or as JSON text in message', () => {
    // Prepare
    const asObject = jsonFormat(line)
    const asText = JSON.stringify({
      timestamp: '2026-11-27T06:00:01.000Z',
      level: 'INFO',
      requestId: 'r',
      message: line,
    })

    // Act
    const parsed = [parseLifecycleLine(asObject), parseLifecycleLine(asText)]

    // Assess
    expect(parsed).toEqual([
      expect.objectContaining({ kind: 'lifecycle', at: T0 + 1_000 }),
      expect.objectContaining({ kind: 'lifecycle', at: T0 + 1_000 }),
    ])
  })

  it('reads a pretty-printed line whose newlines the runtime client turned into carriage returns', () => {
    // Prepare: POWERTOOLS_DEV=true indents the JSON; the runtime client replaces \n with \r
    const pretty = textFormat(JSON.stringify(JSON.parse(line), null, 4).replace(/\n/g, '\r'))

    // Act
    const parsed = parseLifecycleLine(pretty)

    // Assess
    expect(parsed.kind).toBe('lifecycle')
  })

  it('takes the timestamp from the prefix when the JSON has none (CloudWatch exports)', () => {
    // Prepare
    const withoutTimestamp = JSON.stringify({
      lifecycle_schema: 1,
      container_id: 'c9',
      event: 'container.thaw',
    })

    // Act
    const parsed = parseLifecycleLine(`2026-11-27T06:00:05.000Z ${withoutTimestamp}`)

    // Assess
    expect(parsed).toMatchObject({ kind: 'lifecycle', at: T0 + 5_000 })
  })

  it.each([
    ['START RequestId: 6d2e Version: $LATEST', 'platform'],
    ['END RequestId: 6d2e', 'platform'],
    ['REPORT RequestId: 6d2e\tDuration: 2.1 ms\tInit Duration: 180.3 ms', 'platform'],
    ['INIT_START Runtime Version: nodejs:24.v12', 'platform'],
    ['{"time":"2026-11-27T06:00:00Z","type":"platform.start","record":{}}', 'platform'],
    ['hello world', 'text'],
    ['2026-11-27T06:00:00.000Z\tr\tINFO\tgot {3} rows', 'text'],
    ['{not json}', 'text'],
    ['{"level":"INFO","message":"order stored"}', 'json'],
    ['["an","array"]', 'text'],
    ['{"message":"{not json either"}', 'json'],
    ['{"message":"{\\"a\\":1}"}', 'json'],
    ['   ', 'blank'],
    ['{"lifecycle_schema":1,"container_id":"c1","ev', 'invalid'],
    ['{"lifecycle_schema":1,"container_id":"c1",}', 'invalid'],
    ['{"lifecycle_schema":"1","container_id":"c1","timestamp":"2026-11-27T06:00:00Z"}', 'invalid'],
    ['{"lifecycle_schema":0,"container_id":"c1","timestamp":"2026-11-27T06:00:00Z"}', 'invalid'],
    ['{"lifecycle_schema":1,"container_id":"","timestamp":"2026-11-27T06:00:00Z"}', 'invalid'],
    ['{"lifecycle_schema":1,"timestamp":"2026-11-27T06:00:00Z"}', 'invalid'],
    ['{"lifecycle_schema":1,"container_id":"c1","timestamp":"yesterday"}', 'invalid'],
    ['{"lifecycle_schema":1,"container_id":"c1"}', 'invalid'],
  ])('classifies %j as %s', (input, kind) => {
    // Act
    const parsed = parseLifecycleLine(input)

    // Assess
    expect(parsed.kind).toBe(kind)
  })

  it('reports the version of a newer schema instead of reading it', () => {
    // Prepare
    const future = JSON.stringify({ lifecycle_schema: LIFECYCLE_SCHEMA_VERSION + 1, container_id: 'c1' })

    // Act
    const parsed = parseLifecycleLine(future)

    // Assess
    expect(parsed).toEqual({ kind: 'newerSchema', version: LIFECYCLE_SCHEMA_VERSION + 1 })
  })
})
