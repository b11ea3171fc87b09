import { describe, expect, it } from '@jest/globals'
import { describeDifferences, differingOptions } from '@lambda-lifetime/commons'

describe('differingOptions', () => {
  it('compares plain objects and arrays by content, functions and instances by identity', () => {
    // Prepare
    const create = () => 1
    const client = new Map()
    const first = { name: 'db', create, client, nested: { timeout: 1, on: ['a'] }, list: [1, 2] }

    // Act
    const same = differingOptions(first, { ...first, nested: { timeout: 1, on: ['a'] }, list: [1, 2] })
    const other = differingOptions(first, {
      name: 'db',
      create: () => 1,
      client: new Map(),
      nested: { timeout: 2, on: ['b'] },
      list: [1],
      extra: true,
    })

    // Assess
    expect(same).toEqual([])
    expect(other).toEqual([
      { path: 'create', first: 'function create', second: 'function create' },
      { path: 'client', first: 'an object', second: 'an object' },
      { path: 'nested.timeout', first: '1', second: '2' },
      { path: 'nested.on[0]', first: '"a"', second: '"b"' },
      { path: 'list', first: 'an array', second: 'an array' },
      { path: 'extra', first: 'undefined', second: 'true' },
    ])
  })

  it('says how they differ, telling apart two values described alike', () => {
    // Prepare
    const differences = differingOptions({ action: () => 1, timeout: 1 }, { action: () => 2, timeout: 2 })
    const anonymous = differingOptions({ f: [() => 1][0] }, { f: [() => 2][0] })

    // Act
    const text = describeDifferences(differences)

    // Assess
    expect(text).toBe('action (function action, then another function action), timeout (1, then 2)')
    expect(describeDifferences(anonymous)).toBe('f (an anonymous function, then another anonymous function)')
  })
})
