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
      }),
    ).not.toThrow()
    expect(() => lifecycleLoggerValidateOptions({ logger, timeoutWarningMs: false })).not.toThrow()
  })

  it.each([
    ['options must be an object', null],
    ['options must be an object', [logger]],
    ['unknown option "loger"', { loger: logger }],
    ['option "logger" must be a Powertools Logger, got undefined', {}],
    [
      'option "logger" must be a Powertools Logger (2.36 or later): it has no addContext()',
      { logger: { ...console } },
    ],
    ['option "logger[1]" must be a Powertools Logger', { logger: [logger, 'x'] }],
    ['option "logger" must not be an empty array', { logger: [] }],
    ['option "levels" must be an object', { logger, levels: 'info' }],
    [
      'option "levels" has an unknown line kind "invocation.start"',
      { logger, levels: { 'invocation.start': 'info' } },
    ],
    [
      'option "levels.invocation.end" must be debug, info, warn, error or false',
      { logger, levels: { 'invocation.end': 'INFO' } },
    ],
    ['option "endSampleRate" must be a number in (0, 1]', { logger, endSampleRate: 0 }],
    ['option "endSampleRate" must be a number in (0, 1]', { logger, endSampleRate: 1.5 }],
    ['option "timeoutWarningMs" must be false or a finite number >= 0', { logger, timeoutWarningMs: -1 }],
    ['option "timeoutWarningMs" must be false or a finite number >= 0', { logger, timeoutWarningMs: true }],
    ['option "logEvent" must be a boolean', { logger, logEvent: 'yes' }],
    ['option "redactHeaders" must be an array of non-empty strings', { logger, redactHeaders: [''] }],
    ['option "redactPaths" must be an array of non-empty strings', { logger, redactPaths: 'body' }],
    ['option "eventMaxBytes" must be a positive integer', { logger, eventMaxBytes: 1.5 }],
  ])('rejects with "%s"', (message, options) => {
    // Act
    const validate = () => lifecycleLoggerValidateOptions(options)

    // Assess
    expect(validate).toThrow(TypeError)
    expect(validate).toThrow(`@lambda-lifetime/logger: ${message}`)
    try {
      validate()
    } catch (error) {
      expect((error as Error).cause).toEqual({ package: '@lambda-lifetime/logger' })
    }
  })

  it('is what the middleware factory checks', () => {
    // Act, Assess
    expect(() => lifecycleLogger({ logger, endSampleRate: 2 })).toThrow('option "endSampleRate"')
  })

  it('names the schema version the lines carry', () => {
    expect(LIFECYCLE_SCHEMA_VERSION).toBe(1)
  })
})
