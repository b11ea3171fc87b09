/**
 * Behaviour the mutation run (`npm run mutate -- pool`) found untested: the figures of getPoolStats().
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import { getPoolStats, type PoolStats, warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'
import { lambdaContext } from '../../../test/support/container.js'
import { resetPools, useFakeClock } from './support.js'

beforeEach(() => {
  resetPools()
})

afterEach(() => {
  jest.useRealTimers()
})

describe('getPoolStats figures, found by mutation testing', () => {
  it('reports idleMs 0 while the resource is in use, then its age and idle time on the clock', async () => {
    // Prepare
    const advance = useFakeClock()
    advance(1_000)
    let during: PoolStats | undefined
    const handler = middy()
      .use(containerLifetime())
      .use(warmPool({ name: 'db', create: async () => ({ id: 1 }) }))
      .handler(async () => {
        advance(2_000)
        during = getPoolStats().db
        return 'ok'
      })

    // Act
    await handler({}, lambdaContext('request-1'))
    advance(5_000)
    const after = getPoolStats().db

    // Assess
    expect(during).toMatchObject({ inUse: 1, idleMs: 0, ageMs: 2_000 })
    expect(after).toMatchObject({ inUse: 0, idleMs: 5_000, ageMs: 7_000 })
  })
})
