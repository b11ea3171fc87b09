import { describe, expect, it } from '@jest/globals'
import { isConnectionError, warmPool, warmPoolValidateOptions } from '@lambda-lifetime/pool'
import fc from 'fast-check'

const create = () => 'resource'

describe('warmPoolValidateOptions', () => {
  it('accepts complete options', () => {
    // Prepare
    const options = {
      name: 'db',
      create,
      validate: () => true,
      dispose: () => undefined,
      validateAfterIdleMs: Number.POSITIVE_INFINITY,
      validateTimeoutMs: 500,
      maxAgeMs: 900_000,
      disposeTimeoutMs: 200,
      createTimeoutMs: 2_147_483_647,
      isBroken: () => false,
      isBusy: () => false,
      backoffMs: 0,
      maxBackoffMs: 60_000,
      prefetch: false,
      watchErrorEvents: true,
    }

    // Act
    const validate = () => warmPoolValidateOptions(options)

    // Assess
    expect(validate).not.toThrow()
  })

  it.each([
    [null, 'warmPool options must be an object, got null'],
    ['db', 'warmPool options must be an object, got "db"'],
    [[], 'warmPool options must be an object, got an array'],
    [{ name: 'db', create, maxAge: 1 }, 'option "maxAge" is not a known option'],
    [{ create }, 'option "name" is required'],
    [{ name: 'my-db', create }, 'option "name" must be an identifier'],
    [{ name: 'container', create }, 'option "name" "container" is already used on the Lambda context'],
    [{ name: 'db' }, 'option "create" is required'],
    [{ name: 'db', create: 'new Pool()' }, 'option "create" must be a function, got "new Pool()"'],
    [{ name: 'db', create, validate: 'select 1' }, 'option "validate" must be a function, got "select 1"'],
    [
      { name: 'db', create, validateAfterIdleMs: 0 },
      'option "validateAfterIdleMs" must be a number of ms > 0',
    ],
    [
      { name: 'db', create, validateTimeoutMs: Number.POSITIVE_INFINITY },
      'option "validateTimeoutMs" must be a number > 0 and <= 2147483647, got Infinity',
    ],
    [{ name: 'db', create, maxAgeMs: '1h' }, 'option "maxAgeMs" must be a number of ms > 0'],
    [{ name: 'db', create, prefetch: 'yes' }, 'option "prefetch" must be a boolean, got "yes"'],
    [{ name: 'db', create, createTimeoutMs: 0 }, 'option "createTimeoutMs" must be a number > 0'],
    [{ name: 'db', create, backoffMs: -1 }, 'option "backoffMs" must be a number >= 0'],
    [{ name: 'db', create, maxBackoffMs: 0 }, 'option "maxBackoffMs" must be a number > 0'],
    [{ name: 'db', create, isBusy: true }, 'option "isBusy" must be a function, got true'],
  ])('rejects %j', (options, message) => {
    // Prepare
    const validate = () => warmPoolValidateOptions(options)

    // Act / Assess
    expect(validate).toThrow(TypeError)
    expect(validate).toThrow(`@lambda-lifetime/pool: ${message}`)
  })

  it.each(['validateTimeoutMs', 'disposeTimeoutMs', 'createTimeoutMs', 'validateAfterIdleMs', 'maxAgeMs'])(
    'rejects %s above what a timer can wait (2^31-1 ms), naming the limit',
    (option) => {
      // Prepare
      const validate = () => warmPoolValidateOptions({ name: 'db', create, [option]: 3e9 })

      // Act / Assess
      expect(validate).toThrow(`option "${option}" must be a`)
      expect(validate).toThrow(/<= 2147483647(, or Infinity)?, got 3000000000/)
    },
  )

  it('runs when the middleware is built, naming the package in the cause', () => {
    // Prepare
    const build = () => warmPool({ name: 'db', create, disposeTimeoutMs: -1 })

    // Act
    let caught: unknown
    try {
      build()
    } catch (error) {
      caught = error
    }

    // Assess
    expect(caught).toBeInstanceOf(TypeError)
    expect((caught as Error).cause).toEqual({ package: '@lambda-lifetime/pool', option: 'disposeTimeoutMs' })
  })
})

describe('warmPoolValidateOptions on any input (property)', () => {
  const anyValue = fc.oneof(
    fc.anything(),
    fc.constantFrom(0, -1, 0.5, 3e9, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31 - 1, '', 'db', null),
    fc.func(fc.anything()),
  )
  const keys = fc.constantFrom(
    'name',
    'create',
    'validate',
    'dispose',
    'validateAfterIdleMs',
    'validateTimeoutMs',
    'maxAgeMs',
    'disposeTimeoutMs',
    'createTimeoutMs',
    'isBroken',
    'prefetch',
    'watchErrorEvents',
    'maxAge',
  )
  const optionsLike = fc.dictionary(keys, anyValue)

  it('answers every value with a TypeError naming the package, or accepts it', () => {
    fc.assert(
      fc.property(fc.oneof(anyValue, optionsLike), (value) => {
        // Act
        let thrown: unknown
        try {
          warmPoolValidateOptions(value)
        } catch (error) {
          thrown = error
        }

        // Assess
        if (thrown === undefined) return
        expect(thrown).toBeInstanceOf(TypeError)
        expect((thrown as Error).message).toMatch(/^@lambda-lifetime\/pool: /)
        expect((thrown as Error).cause).toMatchObject({ package: '@lambda-lifetime/pool' })
      }),
      { numRuns: 3_000 },
    )
  })

  it('accepts every well-formed option set', () => {
    const duration = fc.integer({ min: 1, max: 2 ** 31 - 1 })
    const valid = fc.record(
      {
        name: fc.constantFrom('db', 'cache', '_http', '$config'),
        create: fc.constant(create),
        validateTimeoutMs: duration,
        disposeTimeoutMs: duration,
        createTimeoutMs: duration,
        maxAgeMs: fc.oneof(duration, fc.constant(Number.POSITIVE_INFINITY)),
        prefetch: fc.boolean(),
      },
      { requiredKeys: ['name', 'create'] },
    )
    fc.assert(
      fc.property(valid, (options) => {
        // Act / Assess
        expect(() => warmPoolValidateOptions(options)).not.toThrow()
      }),
      { numRuns: 1_000 },
    )
  })
})

describe('isConnectionError', () => {
  const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code })

  it.each([
    ['ECONNRESET', withCode('ECONNRESET')],
    ['EPIPE', withCode('EPIPE')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['undici socket', withCode('UND_ERR_SOCKET', 'other side closed')],
    [
      'pg_terminate_backend (57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['SQLSTATE class 08', withCode('08006')],
    ['pg without code', new Error('Connection terminated unexpectedly')],
    ['node:http', new Error('socket hang up')],
    ['fetch failed with a cause', new TypeError('fetch failed', { cause: withCode('ECONNRESET') })],
    ['AggregateError', new AggregateError([withCode('ECONNREFUSED')], 'connect failed')],
  ])('recognises %s', (_, error) => {
    // Act / Assess
    expect(isConnectionError(error)).toBe(true)
  })

  it.each([
    ['a constraint violation', withCode('23505', 'duplicate key value')],
    ['a syntax error', withCode('42601', 'syntax error at or near "selec"')],
    ['a string', 'ECONNRESET'],
    ['null', null],
    ['an HTTP 500', Object.assign(new Error('Internal Server Error'), { statusCode: 500 })],
  ])('leaves %s alone', (_, error) => {
    // Act / Assess
    expect(isConnectionError(error)).toBe(false)
  })

  it('stops following a cause chain after a few levels', () => {
    // Prepare
    let error: Error = Object.assign(new Error('deep'), { code: 'ECONNRESET' })
    for (let depth = 0; depth < 10; depth++) error = new Error('wrapper', { cause: error })

    // Act / Assess
    expect(isConnectionError(error)).toBe(false)
  })
})
