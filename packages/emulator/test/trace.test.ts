import { describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { formatTraceHeader, traceHeaderFor } from '../src/trace.js'

const WELL_FORMED = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$/

describe('traceHeaderFor', () => {
  test('whatever the caller sends, the runtime gets a well-formed header', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), (caller) => {
        // Act
        const header = formatTraceHeader(traceHeaderFor(caller))

        // Assess
        expect(header).toMatch(WELL_FORMED)
      }),
    )
  })

  test("a caller's well-formed Root and Sampled are kept, in any field order and case", () => {
    // Act
    const trace = traceHeaderFor(
      'sampled=1; Parent=53995c3f42cd8ad8;ROOT=1-5759e988-bd862e3fe1be46a994272793',
    )

    // Assess
    expect(trace.root).toBe('1-5759e988-bd862e3fe1be46a994272793')
    expect(trace.sampled).toBe('1')
    expect(trace.parent).not.toBe('53995c3f42cd8ad8')
  })

  test('a malformed Root starts a new, unsampled trace', () => {
    // Act
    const trace = traceHeaderFor('Root=not-a-root;Sampled=1')

    // Assess
    expect(trace.root).not.toBe('not-a-root')
    expect(trace.sampled).toBe('0')
  })
})
