import { resolve } from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { ASYNC_INVOKE_DEFAULTS, nextStep, resolveAsyncInvoke } from '../src/async-invoke.js'
import { emulatorValidateOptions } from '../src/options.js'
import { describeEvent } from '../src/view.js'

const base = { functions: [{ name: 'a', handler: 'index.handler', codeDir: '.' }] }

describe('asyncInvoke', () => {
  test('the function overrides the emulator; a folder becomes absolute, a URL stays', () => {
    // Act
    const folder = resolveAsyncInvoke({ timeScale: 1, onFailure: 'failed' }, { maximumRetryAttempts: 0 })
    const url = resolveAsyncInvoke(undefined, { onFailure: 'https://example.test/x' })

    // Assess
    expect(folder).toEqual({
      ...ASYNC_INVOKE_DEFAULTS,
      timeScale: 1,
      maximumRetryAttempts: 0,
      onFailure: resolve('failed'),
    })
    expect(url.onFailure).toBe('https://example.test/x')
  })

  test("Lambda's waits and limits: 1 and 2 minutes, 0-2 retries, an event age of 60 s to 6 h", () => {
    // Prepare
    const lambda = { ...ASYNC_INVOKE_DEFAULTS, timeScale: 1 }

    // Act / Assess
    expect(nextStep(lambda, 1, 0, 0)).toEqual({ kind: 'retry', delayMs: 60_000 })
    expect(nextStep(lambda, 2, 0, 0)).toEqual({ kind: 'retry', delayMs: 120_000 })
    expect(nextStep(lambda, 3, 0, 0)).toEqual({ kind: 'give-up', condition: 'RetriesExhausted' })
    expect(nextStep(lambda, 1, 0, 21_600_000 - 60_000 + 1)).toEqual({
      kind: 'give-up',
      condition: 'EventAgeExceeded',
    })
    expect(() => emulatorValidateOptions({ ...base, asyncInvoke: { maximumRetryAttempts: 3 } })).toThrow(
      /option "asyncInvoke.maximumRetryAttempts"/,
    )
    expect(() => emulatorValidateOptions({ ...base, asyncInvoke: { maximumEventAgeMs: 1_000 } })).toThrow(
      /maximumEventAgeMs/,
    )
    expect(() => emulatorValidateOptions({ ...base, asyncInvoke: 'often' as never })).toThrow(
      /must be an object/,
    )
  })

  test('the terminal says when an Event is retried, given up, delivered or not', () => {
    // Prepare
    const requestId = '12345678-aaaa-bbbb-cccc-000000000000'
    const failed = {
      type: 'invocation.failed-event',
      at: 0,
      functionName: 'f',
      requestId,
      condition: 'RetriesExhausted',
    } as const

    // Act / Assess
    expect(
      describeEvent({
        type: 'invocation.retry',
        at: 0,
        functionName: 'f',
        requestId,
        attempt: 2,
        delayMs: 1000,
      }),
    ).toBe('f Event 12345678 failed: attempt 2 in 1000 ms')
    expect(describeEvent({ ...failed, destination: null })).toContain('dropped (no onFailure destination)')
    expect(describeEvent({ ...failed, destination: '/x/y.json' })).toContain('record sent to /x/y.json')
    expect(describeEvent({ ...failed, destination: 'http://h/x', error: 'refused' })).toContain(
      'not delivered to http://h/x: refused',
    )
  })
})
