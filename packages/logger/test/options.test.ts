import { Logger } from '@aws-lambda-powertools/logger'
import { beforeEach, describe, expect, it } from '@jest/globals'
import {
  LIFECYCLE_SCHEMA_VERSION,
  lifecycleLogger,
  lifecycleLoggerValidateOptions,
} from '@lambda-lifetime/logger'
import { resetContainer } from '../../../test/support/container.js'

describe('lifecycleLoggerValidateOptions', () => {
  const logger = new Logger({ serviceName: 'orders' })

  beforeEach(() => resetContainer())

  it('accepts every documented option', () => {
    // Act, Assess
    expect(() =>
      lifecycleLoggerValidateOptions({
        logger: [logger, logger.createChild()],
        levels: {
          'container.start': 'debug',
          'invocation.end.error': false,
          'breaker.*': 'warn',
          'pool.dispose': 'info',
        },
        endSampleRate: 0.25,
        timeoutWarningMs: 0,
        logEvent: true,
        redactHeaders: ['x-tenant-token'],
        redactPaths: ['body'],
        eventMaxBytes: 1_024,
        resetKeys: false,
        correlationIdPath: 'requestContext.requestId',
        flushBufferOnUncaughtError: true,
      }),
    ).not.toThrow()
    expect(() => lifecycleLoggerValidateOptions({ logger, timeoutWarningMs: false })).not.toThrow()
    expect(() =>
      lifecycleLoggerValidateOptions({ logger, sampling: { first: 100, oneIn: 10 } }),
    ).not.toThrow()
    expect(() =>
      lifecycleLoggerValidateOptions({ logger, sampling: { oneIn: 1 }, endSampleRate: 1 }),
    ).not.toThrow()
    expect(() => lifecycleLoggerValidateOptions({ logger, timeoutWarningMs: 2 ** 31 - 1 })).not.toThrow()
    // An option left undefined takes its default, as before.
    expect(() => lifecycleLoggerValidateOptions({ logger, levels: undefined })).not.toThrow()
  })

  it.each([
    ['options must be an object, got null', undefined, null],
    ['options must be an object, got an array', undefined, [logger]],
    ['option "loger" is not a known option (known: logger, levels,', 'loger', { loger: logger }],
    ['option "logger" is required', 'logger', {}],
    [
      'option "logger" must be a Powertools Logger (2.36 or later): it has no addContext()',
      'logger',
      { logger: { ...console } },
    ],
    [
      'option "logger" must be a Powertools Logger (2.36 or later): it has no resetKeys()',
      'logger',
      { logger: Object.assign(Object.create(logger), { resetKeys: undefined }) },
    ],
    [
      'option "logger[1]" must be a Powertools Logger (2.36 or later), got "x"',
      'logger[1]',
      { logger: [logger, 'x'] },
    ],
    ['option "logger" must not be an empty array', 'logger', { logger: [] }],
    ['option "levels" must be an object, got "info"', 'levels', { logger, levels: 'info' }],
    [
      'option "levels" has an unknown key "invocation.start"',
      'levels',
      { logger, levels: { 'invocation.start': 'info' } },
    ],
    [
      // Renamed to breaker.half-open in the one event-name style: the old key would silently match nothing.
      'option "levels" has an unknown key "breaker.halfOpen"',
      'levels',
      { logger, levels: { 'breaker.halfOpen': 'warn' } },
    ],
    [
      'option "levels["invocation.end"]" must be one of "debug", "info", "warn", "error", false, got "INFO"',
      'levels["invocation.end"]',
      { logger, levels: { 'invocation.end': 'INFO' } },
    ],
    [
      'option "endSampleRate" must be a number > 0 and <= 1, got 0',
      'endSampleRate',
      { logger, endSampleRate: 0 },
    ],
    [
      'option "endSampleRate" must be a number > 0 and <= 1, got 1.5',
      'endSampleRate',
      { logger, endSampleRate: 1.5 },
    ],
    [
      'option "timeoutWarningMs" must be false or a duration in ms from 0 to 2147483647, got -1',
      'timeoutWarningMs',
      { logger, timeoutWarningMs: -1 },
    ],
    ['option "timeoutWarningMs"', 'timeoutWarningMs', { logger, timeoutWarningMs: true }],
    [
      'option "timeoutWarningMs" must be false or a duration in ms from 0 to 2147483647, got 2147483648',
      'timeoutWarningMs',
      { logger, timeoutWarningMs: 2 ** 31 },
    ],
    ['option "logEvent" must be a boolean, got "yes"', 'logEvent', { logger, logEvent: 'yes' }],
    [
      'option "redactHeaders[0]" must be a non-empty string, got ""',
      'redactHeaders[0]',
      { logger, redactHeaders: [''] },
    ],
    ['option "redactPaths" must be an array, got "body"', 'redactPaths', { logger, redactPaths: 'body' }],
    [
      'option "eventMaxBytes" must be an integer > 0, got 1.5',
      'eventMaxBytes',
      { logger, eventMaxBytes: 1.5 },
    ],
    ['option "resetKeys" must be a boolean, got "no"', 'resetKeys', { logger, resetKeys: 'no' }],
    [
      'option "correlationIdPath" must be a non-empty string, got ""',
      'correlationIdPath',
      { logger, correlationIdPath: '' },
    ],
    [
      'option "flushBufferOnUncaughtError" must be a boolean, got 1',
      'flushBufferOnUncaughtError',
      { logger, flushBufferOnUncaughtError: 1 },
    ],
    ['option "sampling" must be an object, got 10', 'sampling', { logger, sampling: 10 }],
    ['option "sampling.oneIn" is required', 'sampling.oneIn', { logger, sampling: { first: 10 } }],
    [
      'option "sampling.oneIn" must be an integer >= 1, got 0',
      'sampling.oneIn',
      { logger, sampling: { oneIn: 0 } },
    ],
    [
      'option "sampling.oneIn" must be an integer >= 1, got 2.5',
      'sampling.oneIn',
      { logger, sampling: { oneIn: 2.5 } },
    ],
    [
      'option "sampling.first" must be an integer >= 0, got -1',
      'sampling.first',
      { logger, sampling: { first: -1, oneIn: 10 } },
    ],
    [
      'option "sampling.every" is not a known option',
      'sampling.every',
      { logger, sampling: { every: 10, oneIn: 10 } },
    ],
    [
      'sampling and endSampleRate < 1 cannot be used together',
      'sampling',
      { logger, sampling: { oneIn: 10 }, endSampleRate: 0.5 },
    ],
  ])('rejects with "%s"', (message, option, options) => {
    // Act
    const validate = () => lifecycleLoggerValidateOptions(options)

    // Assess
    expect(validate).toThrow(TypeError)
    expect(validate).toThrow(`@lambda-lifetime/logger: ${message}`)
    try {
      validate()
    } catch (error) {
      const cause =
        option === undefined
          ? { package: '@lambda-lifetime/logger' }
          : { package: '@lambda-lifetime/logger', option }
      expect((error as Error).cause).toEqual(cause)
    }
  })

  it('is what the middleware factory checks', () => {
    // Act, Assess
    expect(() => lifecycleLogger({ logger, endSampleRate: 2 })).toThrow('option "endSampleRate"')
  })

  it('names the schema version the lines carry', () => {
    expect(LIFECYCLE_SCHEMA_VERSION).toBe(2)
  })
})
