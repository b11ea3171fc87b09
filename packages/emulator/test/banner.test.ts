import { describe, expect, test } from '@jest/globals'
import { suggestedPath } from '../src/banner.js'
import type { FunctionConfig } from '../src/types.js'

const fn = (name: string): FunctionConfig => ({ name, handler: 'index.handler', codeDir: '.' })

describe('suggestedPath', () => {
  test('without routes every path reaches the function: the root is suggested, not /hello', () => {
    // Act & Assess
    expect(suggestedPath({ functions: [fn('orders')] })).toBe('/')
  })

  test("with routes, the route of the front door's function is suggested", () => {
    // Act & Assess
    expect(
      suggestedPath({
        functions: [fn('a'), fn('b')],
        httpRoutes: { '/x': 'a', '/y': 'b' },
        httpFunction: 'b',
      }),
    ).toBe('/y')
    expect(suggestedPath({ functions: [fn('a')], httpRoutes: { z: 'other' } })).toBe('/z')
  })
})
