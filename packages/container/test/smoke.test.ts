import { describe, expect, it } from '@jest/globals'
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'

describe('smoke', () => {
  it('counts', async () => {
    resetContainer()
    const handler = middy()
      .use(containerLifetime())
      .handler(async (_e: unknown, context) => context.container.invocation)
    expect(await handler({}, lambdaContext('a'))).toBe(1)
  })
})
