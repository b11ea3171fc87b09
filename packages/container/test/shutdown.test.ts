import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { getContainer, type LifecycleEvent, onLifecycle, onShutdown } from '@lambda-lifetime/container'
import { deliverSigterm, resetContainer } from '../../../test/support/container.js'

type Report = Array<{ name: string; status: string; durationMs: number }>

describe('onShutdown', () => {
  beforeEach(() => {
    resetContainer()
    jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
  })
  afterEach(() => {
    jest.restoreAllMocks()
    resetContainer()
  })

  it('runs hooks in reverse registration order after emitting container.shutdown', async () => {
    // Prepare
    const order: string[] = []
    const unsubscribe = onLifecycle((event: LifecycleEvent) => order.push(event.type))
    onShutdown(() => order.push('first registered'), { name: 'first' })
    onShutdown(
      async () => {
        await sleep(5)
        order.push('second registered')
      },
      { name: 'second' },
    )

    // Act
    const report = (await deliverSigterm()) as Report
    unsubscribe()

    // Assess
    expect(order).toEqual(['container.shutdown', 'second registered', 'first registered'])
    expect(report.map((entry) => [entry.name, entry.status])).toEqual([
      ['second', 'ok'],
      ['first', 'ok'],
    ])
    expect(getContainer().shuttingDown).toBe(true)
  })

  it('keeps going past a hook that throws and one that hangs, within the budget', async () => {
    // Prepare
    const ran: string[] = []
    onShutdown(() => ran.push('last'), { name: 'last' })
    onShutdown(() => new Promise(() => undefined), { name: 'hangs' })
    onShutdown(
      () => {
        throw new Error('drain failed')
      },
      { name: 'throws' },
    )
    const started = performance.now()

    // Act
    const report = (await deliverSigterm()) as Report
    const elapsed = performance.now() - started

    // Assess
    expect(report.map((entry) => [entry.name, entry.status])).toEqual([
      ['throws', 'error'],
      ['hangs', 'timeout'],
      ['last', 'ok'],
    ])
    expect(ran).toEqual(['last'])
    // The hanging hook got a fair share of the default 400 ms budget, not all of it.
    expect(report[1]?.durationMs).toBeLessThan(300)
    expect(elapsed).toBeLessThan(1_000)
    expect(process.emitWarning).toHaveBeenCalledWith(
      expect.stringContaining('"hangs" ended with timeout'),
      expect.anything(),
    )
  })

  it('honours a hook timeout and skips hooks once the budget is spent', async () => {
    // Prepare
    onShutdown(() => undefined, { name: 'never reached' })
    onShutdown(() => new Promise(() => undefined), { name: 'eats the budget', timeoutMs: 1_000 })

    // Act
    const report = (await deliverSigterm()) as Report

    // Assess
    expect(report.map((entry) => [entry.name, entry.status])).toEqual([
      ['eats the budget', 'timeout'],
      ['never reached', 'skipped'],
    ])
  })

  it('runs once even when SIGTERM arrives twice, and not at all for an unregistered hook', async () => {
    // Prepare
    const hook = jest.fn()
    const removed = jest.fn()
    onShutdown(hook)
    const unregister = onShutdown(removed)
    unregister()
    unregister()

    // Act
    await deliverSigterm()
    await deliverSigterm()

    // Assess
    expect(hook).toHaveBeenCalledTimes(1)
    expect(removed).not.toHaveBeenCalled()
  })

  it('installs one SIGTERM listener however many hooks register', () => {
    // Prepare
    const before = process.listenerCount('SIGTERM')

    // Act
    onShutdown(() => undefined)
    onShutdown(() => undefined)

    // Assess
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)
  })

  it.each([
    [() => onShutdown('no' as never), 'onShutdown(hook) needs a function'],
    [() => onShutdown(() => undefined, { timeoutMs: 0 }), 'option "timeoutMs"'],
    [() => onShutdown(() => undefined, { timeoutMs: Number.POSITIVE_INFINITY }), 'option "timeoutMs"'],
    [() => onShutdown(() => undefined, { name: 5 as never }), 'option "name"'],
  ])('rejects bad arguments (%#)', (call, message) => {
    expect(call).toThrow(message)
  })
})
