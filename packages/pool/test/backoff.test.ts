/**
 * The back-off after a server refused a new connection for lack of room ("too many clients"): invocations
 * fail at once with a PoolBusyError that says why, the resource is kept, and the back-off doubles, caps
 * and starts over after a success. The same behaviour against a real full PostgreSQL: limit.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import {
  getPoolStats,
  isServerBusyError,
  PoolBusyError,
  type WarmPoolOptions,
  warmPool,
} from '@lambda-lifetime/pool'
import middy from '@middy/core'
import fc from 'fast-check'
import { lambdaContext } from '../../../test/support/container.js'
import { resetPools, useFakeClock } from './support.js'

/** What pg throws when PostgreSQL has no free connection slot. */
const tooManyClients = (): Error =>
  Object.assign(new Error('sorry, too many clients already'), { code: '53300', severity: 'FATAL' })

interface Resource {
  readonly id: number
}

/** A handler whose body fails with `failure()` while it returns an error, and answers the resource id otherwise. */
const handlerWith = (
  failure: () => Error | undefined,
  options: Partial<WarmPoolOptions<'db', Resource>> = {},
) => {
  let made = 0
  const create = jest.fn(async (): Promise<Resource> => ({ id: ++made }))
  const body = jest.fn(async (_event: unknown, context: { db: Resource }) => {
    const error = failure()
    if (error !== undefined) throw error
    return context.db.id
  })
  const handler = middy()
    .use(containerLifetime())
    .use(warmPool({ name: 'db', create, ...options }))
    .handler(body)
  return { handler, create, body }
}

let requests = 0
const invoke = (handler: (event: never, context: never) => Promise<unknown>) =>
  handler({} as never, lambdaContext(`busy-${++requests}`) as never)

const rejectionOf = async (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => undefined,
    (error) => error,
  )

beforeEach(() => {
  resetPools()
  // The random half of each back-off at its middle: 0.5 gives 75% of the ceiling.
  jest.spyOn(Math, 'random').mockReturnValue(0.5)
})

afterEach(() => {
  jest.restoreAllMocks()
  jest.useRealTimers()
})

describe('warmPool at a full server', () => {
  it('passes the refusal through, then fails fast with a PoolBusyError that says why, without calling the handler', async () => {
    // Prepare
    const advance = useFakeClock()
    let refusing = true
    const { handler, body, create } = handlerWith(() => (refusing ? tooManyClients() : undefined))

    // Act
    const first = await rejectionOf(invoke(handler))
    const second = await rejectionOf(invoke(handler))
    advance(749)
    const third = await rejectionOf(invoke(handler))
    advance(1)
    refusing = false
    const fourth = await invoke(handler)

    // Assess
    expect(first).toMatchObject({ code: '53300', message: 'sorry, too many clients already' })
    expect(second).toBeInstanceOf(PoolBusyError)
    expect(second).toMatchObject({
      name: 'PoolBusyError',
      resource: 'db',
      retryInMs: 750,
      refusals: 1,
      reason: 'sorry, too many clients already [53300]',
      cause: { package: '@lambda-lifetime/pool' },
    })
    expect((second as Error).message).toBe(
      '@lambda-lifetime/pool: "db" is backing off for 750 ms: the server refused a new connection once ' +
        '(sorry, too many clients already [53300]); every container keeps its own connections, so a fleet ' +
        'can fill the server (see "Connections at fleet scale" in the README)',
    )
    expect(third).toMatchObject({ name: 'PoolBusyError', retryInMs: 1 })
    expect(fourth).toBe(1)
    expect(body).toHaveBeenCalledTimes(2)
    expect(create).toHaveBeenCalledTimes(1)
    expect(getPoolStats().db).toMatchObject({ created: 1, recreated: 0, broken: false, failures: 1 })
  })

  it('doubles the back-off with each refusal in a row, up to maxBackoffMs, and starts over after a success', async () => {
    // Prepare
    const advance = useFakeClock()
    let refusing = true
    const { handler } = handlerWith(() => (refusing ? tooManyClients() : undefined), {
      backoffMs: 100,
      maxBackoffMs: 300,
    })
    const waitOf = async (): Promise<number> => {
      await rejectionOf(invoke(handler))
      const busy = (await rejectionOf(invoke(handler))) as PoolBusyError
      advance(busy.retryInMs)
      return busy.retryInMs
    }

    // Act
    const waits = [await waitOf(), await waitOf(), await waitOf(), await waitOf()]
    refusing = false
    await invoke(handler)
    refusing = true
    const afterSuccess = await waitOf()

    // Assess
    expect(waits).toEqual([75, 150, 225, 225])
    expect(afterSuccess).toBe(75)
  })

  it('keeps the resource when its validation is refused, and validates it again after the back-off', async () => {
    // Prepare
    const advance = useFakeClock()
    let refusing = false
    const validate = jest.fn(async () => {
      if (refusing) throw tooManyClients()
    })
    const { handler, create } = handlerWith(() => undefined, { validate, validateAfterIdleMs: 1_000 })
    await invoke(handler)
    advance(5_000)
    refusing = true

    // Act
    const refused = await rejectionOf(invoke(handler))
    const waiting = await rejectionOf(invoke(handler))
    advance(750)
    refusing = false
    const recovered = await invoke(handler)

    // Assess
    expect(refused).toMatchObject({ name: 'PoolBusyError', refusals: 1, retryInMs: 750 })
    expect(waiting).toBeInstanceOf(PoolBusyError)
    expect(recovered).toBe(1)
    expect(validate).toHaveBeenCalledTimes(2)
    expect(create).toHaveBeenCalledTimes(1)
  })

  it('does not back off with backoffMs 0: every invocation reaches the server', async () => {
    // Prepare
    const { handler, body } = handlerWith(() => tooManyClients(), { backoffMs: 0 })

    // Act
    const errors = [await rejectionOf(invoke(handler)), await rejectionOf(invoke(handler))]

    // Assess
    expect(errors).toEqual([
      expect.objectContaining({ code: '53300' }),
      expect.objectContaining({ code: '53300' }),
    ])
    expect(body).toHaveBeenCalledTimes(2)
  })

  it('takes a classifier that throws as "not busy"', async () => {
    // Prepare
    const { handler, body } = handlerWith(() => tooManyClients(), {
      isBusy: () => {
        throw new Error('faulty classifier')
      },
    })

    // Act
    await rejectionOf(invoke(handler))
    const second = await rejectionOf(invoke(handler))

    // Assess
    expect(second).toMatchObject({ code: '53300' })
    expect(body).toHaveBeenCalledTimes(2)
  })

  it('names a refusal without a message or code by what it is', async () => {
    // Prepare
    const { handler } = handlerWith(() => 'too many connections' as unknown as Error, { isBusy: () => true })

    // Act
    await rejectionOf(invoke(handler))
    const busy = await rejectionOf(invoke(handler))

    // Assess
    expect(busy).toMatchObject({ reason: 'too many connections' })
  })
})

describe('isServerBusyError', () => {
  it.each([
    ['PostgreSQL too_many_connections', tooManyClients()],
    [
      'PostgreSQL reserved slots',
      Object.assign(
        new Error('remaining connection slots are reserved for roles with the SUPERUSER attribute'),
        {
          code: '53300',
        },
      ),
    ],
    ['MySQL', Object.assign(new Error('Too many connections'), { code: 'ER_CON_COUNT_ERROR', errno: 1040 })],
    ['a plain message', new Error('FATAL: sorry, too many clients already')],
    ['a cause', new Error('query failed', { cause: tooManyClients() })],
    ['an AggregateError', new AggregateError([new Error('other'), tooManyClients()])],
  ])('recognises %s', (_label, error) => {
    // Act / Assess
    expect(isServerBusyError(error)).toBe(true)
  })

  it.each([
    ['a connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a query error', Object.assign(new Error('relation "x" does not exist'), { code: '42P01' })],
    ['a string', 'too many clients'],
    ['null', null],
  ])('does not take %s for a full server', (_label, error) => {
    // Act / Assess
    expect(isServerBusyError(error)).toBe(false)
  })

  it('never throws, whatever it is given', () => {
    // Act / Assess
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(typeof isServerBusyError(value)).toBe('boolean')
      }),
    )
  })
})
