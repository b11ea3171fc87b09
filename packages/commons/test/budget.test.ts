import { afterEach, describe, expect, it, jest } from '@jest/globals'
import {
  clampTimerMs,
  emitPackageWarning,
  MAX_TIMER_MS,
  optionError,
  remainingBudgetMs,
  resetWarnings,
  TIMED_OUT,
  WARNING_TYPE,
  warnOnce,
  withinMs,
} from '@lambda-lifetime/commons'

describe('withinMs', () => {
  it('resolves to the value of work that finishes in time, sync or async', async () => {
    await expect(withinMs(() => 7, 1000)).resolves.toBe(7)
    await expect(withinMs(async () => 'done', 1000)).resolves.toBe('done')
  })

  it('resolves to TIMED_OUT when work outlasts the budget, and swallows its later rejection', async () => {
    // Prepare
    const unhandled = jest.fn()
    process.on('unhandledRejection', unhandled)
    let rejectLater: (error: Error) => void = () => undefined
    const work = () =>
      new Promise<never>((_, reject) => {
        rejectLater = reject
      })

    // Act
    const outcome = await withinMs(work, 5)
    rejectLater(new Error('too late'))
    await new Promise((resolve) => setImmediate(resolve))
    process.off('unhandledRejection', unhandled)

    // Assess
    expect(outcome).toBe(TIMED_OUT)
    expect(unhandled).not.toHaveBeenCalled()
  })

  it('rejects when work fails in time, sync or async', async () => {
    await expect(
      withinMs(() => {
        throw new Error('sync')
      }, 1000),
    ).rejects.toThrow('sync')
    await expect(withinMs(() => Promise.reject(new Error('async')), 1000)).rejects.toThrow('async')
  })

  it('treats a budget past what timers honour as the maximum, not as 1 ms', async () => {
    // Act
    const outcome = await withinMs(() => new Promise((resolve) => setTimeout(resolve, 20, 'ok')), 3e9)

    // Assess
    expect(outcome).toBe('ok')
  })
})

describe('clampTimerMs and remainingBudgetMs', () => {
  it('clamps to what a timer honours', () => {
    expect(clampTimerMs(-5)).toBe(0)
    expect(clampTimerMs(Number.NaN)).toBe(0)
    expect(clampTimerMs(3e9)).toBe(MAX_TIMER_MS)
    expect(clampTimerMs(250)).toBe(250)
  })

  it('bounds the budget by the invocation remaining time less a reserve, never below 1 ms', () => {
    expect(remainingBudgetMs({ getRemainingTimeInMillis: () => 5000 }, 1000)).toBe(1000)
    expect(remainingBudgetMs({ getRemainingTimeInMillis: () => 800 }, 1000, 100)).toBe(700)
    expect(remainingBudgetMs({ getRemainingTimeInMillis: () => -20 }, 1000)).toBe(1)
    expect(remainingBudgetMs(undefined, 1000)).toBe(1000)
    expect(remainingBudgetMs({ getRemainingTimeInMillis: () => Number.NaN }, 3e9)).toBe(MAX_TIMER_MS)
  })
})

describe('package errors and warnings', () => {
  afterEach(() => {
    jest.restoreAllMocks()
    resetWarnings()
  })

  it('makes a TypeError that names the package and carries it in the cause', () => {
    // Act
    const error = optionError('@lambda-lifetime/x', 'option "a" is bad', 'a')

    // Assess
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toBe('@lambda-lifetime/x: option "a" is bad')
    expect(error.cause).toEqual({ package: '@lambda-lifetime/x', option: 'a' })
    expect(optionError('@lambda-lifetime/x', 'bad').cause).toEqual({ package: '@lambda-lifetime/x' })
  })

  it('warns once per code until reset', () => {
    // Prepare
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)

    // Act
    const first = warnOnce('@lambda-lifetime/x', 'misused', 'CODE_A')
    const second = warnOnce('@lambda-lifetime/x', 'misused', 'CODE_A')
    resetWarnings()
    const third = warnOnce('@lambda-lifetime/x', 'misused', 'CODE_A')
    emitPackageWarning('@lambda-lifetime/x', 'every time', 'CODE_B')

    // Assess
    expect([first, second, third]).toEqual([true, false, true])
    expect(emitted).toHaveBeenCalledTimes(3)
    expect(emitted).toHaveBeenCalledWith('@lambda-lifetime/x: misused', {
      type: WARNING_TYPE,
      code: 'CODE_A',
    })
  })
})
