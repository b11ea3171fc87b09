/**
 * Type tests: `npm run typecheck` compiles this file, so a regression in how `.use(containerLifetime())`
 * types `context.container` fails the build. The runtime assertions keep Jest honest about the same code.
 */
import { describe, expect, it } from '@jest/globals'
import {
  containerLifetime,
  type InvocationView,
  type LifecycleEvent,
  onLifecycle,
} from '@lambda-lifetime/container'
import middy from '@middy/core'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'

describe('types', () => {
  it('gives the handler a typed context.container through .use()', async () => {
    resetContainer()
    const handler = middy<{ name: string }, { invocation: number; greeting: string }>()
      .use(containerLifetime())
      .handler(async (event, context) => {
        const invocation: number = context.container.invocation
        const cold: boolean = context.container.coldStart
        // @ts-expect-error: the view has no such field
        void context.container.notAField
        const mutate = () => {
          // @ts-expect-error: the view is read-only (and frozen: this would throw at run time)
          context.container.invocation = 5
        }
        expect(mutate).toThrow(TypeError)
        return { invocation, greeting: `${event.name}${cold ? ' (cold)' : ''}` }
      })

    expect(await handler({ name: 'a' }, lambdaContext('t'))).toEqual({ invocation: 1, greeting: 'a (cold)' })
  })

  it('narrows lifecycle events by type', () => {
    const seen: number[] = []
    const unsubscribe = onLifecycle((event: LifecycleEvent) => {
      if (event.type === 'container.thaw') seen.push(event.idleMs)
      if (event.type === 'invocation.end') {
        const view: InvocationView = event.view
        seen.push(view.invocation)
        // @ts-expect-error: invocation.end has no idleMs of its own
        void event.idleMs
      }
    })
    unsubscribe()
    expect(seen).toEqual([])
  })
})
