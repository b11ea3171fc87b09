/**
 * The option validators on any input: a value either passes or gets a TypeError that names the
 * package; never another error (a crash inside the validator, a RangeError of opossum's).
 */
import { describe, expect, it } from '@jest/globals'
import { circuitBreakerValidateOptions, dynamoDbBreakerStore } from '@lambda-lifetime/breaker'
import fc from 'fast-check'

const PACKAGE = '@lambda-lifetime/breaker'

const anyValue = fc.oneof(
  fc.anything(),
  fc.constantFrom(0, -5, 0.5, 100, 500, 3e9, 2 ** 31 - 1, Number.NaN, Number.POSITIVE_INFINITY, false, 'x'),
  fc.func(fc.anything()),
  fc.array(fc.constantFrom('error', 'success', 'timeout', 'fail')),
)

const opossumKeys = fc.constantFrom(
  'timeout',
  'resetTimeout',
  'rollingCountTimeout',
  'rollingCountBuckets',
  'errorThresholdPercentage',
  'volumeThreshold',
  'capacity',
  'enabled',
  'allowWarmUp',
  'errorFilter',
  'cache',
  'cacheTTL',
  'coalesce',
  'coalesceResetOn',
  'abortController',
  'maxFailures',
  'state',
  'unknownOption',
)

/** Runs a validator; returns what it threw, or undefined. */
const thrownBy = (validate: () => unknown): unknown => {
  try {
    validate()
  } catch (error) {
    return error
  }
  return undefined
}

const expectPackageTypeError = (thrown: unknown): void => {
  if (thrown === undefined) return
  expect(thrown).toBeInstanceOf(TypeError)
  expect((thrown as Error).message.startsWith(`${PACKAGE}: `)).toBe(true)
  expect((thrown as Error).cause).toMatchObject({ package: PACKAGE })
}

describe('circuitBreakerValidateOptions on any input (property)', () => {
  it('answers every value with a TypeError naming the package, or accepts it', () => {
    const optionsLike = fc.record(
      {
        name: fc.oneof(fc.string(), anyValue),
        action: fc.oneof(
          fc.constant(async () => 1),
          anyValue,
        ),
        options: fc.oneof(fc.dictionary(opossumKeys, anyValue), anyValue),
        fallback: anyValue,
        store: anyValue,
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(fc.oneof(anyValue, optionsLike), (value) => {
        // Act / Assess
        expectPackageTypeError(thrownBy(() => circuitBreakerValidateOptions(value)))
      }),
      { numRuns: 3_000 },
    )
  })

  it('accepts every well-formed set of opossum options', () => {
    const duration = fc.integer({ min: 0, max: 2 ** 31 - 1 })
    const valid = fc.record(
      {
        timeout: fc.oneof(fc.constant(false as const), duration),
        resetTimeout: duration,
        rollingCountTimeout: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        rollingCountBuckets: fc.integer({ min: 1, max: 1_000 }),
        errorThresholdPercentage: fc.double({ min: 0, max: 100, noNaN: true }),
        volumeThreshold: fc.nat(),
        capacity: fc.integer({ min: 1 }),
        coalesceResetOn: fc.subarray(['error', 'success', 'timeout'] as const),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(valid, (options) => {
        // Act / Assess
        expect(thrownBy(() => circuitBreakerValidateOptions({ name: 'dep', action: () => 1, options }))).toBe(
          undefined,
        )
      }),
      { numRuns: 1_000 },
    )
  })
})

describe('dynamoDbBreakerStore options on any input (property)', () => {
  it('answers every value with a TypeError naming the package, or builds a store', () => {
    const client = { send: async () => ({}) }
    const optionsLike = fc.record(
      {
        tableName: fc.oneof(fc.string(), anyValue),
        client: fc.oneof(fc.constant(client), anyValue),
        cacheTtlMs: anyValue,
        quietCacheTtlMs: anyValue,
        callTimeoutMs: anyValue,
        onStoreError: fc.oneof(fc.constantFrom('fail-open', 'fail-closed'), anyValue),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(fc.oneof(anyValue, optionsLike), (value) => {
        // Act / Assess
        expectPackageTypeError(thrownBy(() => dynamoDbBreakerStore(value as never)))
      }),
      { numRuns: 2_000 },
    )
  })
})
