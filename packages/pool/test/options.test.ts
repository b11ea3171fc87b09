import { describe, expect, it } from '@jest/globals'
import { isConnectionError, warmPool, warmPoolValidateOptions } from '@lambda-lifetime/pool'

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
      isBroken: () => false,
      prefetch: false,
      watchErrorEvents: true,
    }

    // Act
    const validate = () => warmPoolValidateOptions(options)

    // Assess
    expect(validate).not.toThrow()
  })

  it.each([
    [null, 'options must be an object, got null'],
    ['db', 'options must be an object, got string'],
    [[], 'options must be an object, got object'],
    [{ name: 'db', create, maxAge: 1 }, 'unknown option "maxAge"'],
    [{ create }, 'option "name" must be an identifier'],
    [{ name: 'my-db', create }, 'option "name" must be an identifier'],
    [{ name: 'container', create }, 'option "name" "container" is already used on the Lambda context'],
    [{ name: 'db' }, 'option "create" must be a function, got undefined'],
    [{ name: 'db', create, validate: 'select 1' }, 'option "validate" must be a function, got string'],
    [{ name: 'db', create, validateAfterIdleMs: 0 }, 'option "validateAfterIdleMs" must be a number > 0'],
    [
      { name: 'db', create, validateTimeoutMs: Number.POSITIVE_INFINITY },
      'option "validateTimeoutMs" must be a finite',
    ],
    [{ name: 'db', create, maxAgeMs: '1h' }, 'option "maxAgeMs" must be a number > 0'],
    [{ name: 'db', create, prefetch: 'yes' }, 'option "prefetch" must be a boolean, got string'],
  ])('rejects %j', (options, message) => {
    // Prepare
    const validate = () => warmPoolValidateOptions(options)

    // Act / Assess
    expect(validate).toThrow(TypeError)
    expect(validate).toThrow(`@lambda-lifetime/pool: ${message}`)
  })

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
    expect((caught as Error).cause).toEqual({ package: '@lambda-lifetime/pool' })
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
