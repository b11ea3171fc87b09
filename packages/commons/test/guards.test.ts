import { describe, expect, it } from '@jest/globals'
import { describeValue, isPlainObject, isRecord, rules } from '@lambda-lifetime/commons'

describe('guards', () => {
  it('tells plain objects from records, arrays and null', () => {
    expect(isPlainObject({})).toBe(true)
    expect(isPlainObject(Object.create(null))).toBe(true)
    expect(isPlainObject(new Map())).toBe(false)
    expect(isPlainObject([])).toBe(false)
    expect(isRecord(new Map())).toBe(true)
    expect(isRecord(null)).toBe(false)
  })

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [[1], 'an array'],
    ['x', '"x"'],
    [3, '3'],
    [true, 'true'],
    [10n, '10'],
    [() => 1, 'a function'],
    [Symbol('s'), 'a symbol'],
    [{}, 'an object'],
  ])('describes %p as %s', (value, expected) => {
    expect(describeValue(value)).toBe(expected)
  })
})

describe('rule messages', () => {
  it.each([
    [rules.number(), 'x', 'must be a finite number, got "x"'],
    [rules.number({ below: 5 }), 9, 'must be a number < 5, got 9'],
    [rules.string(), 1, 'must be a string, got 1'],
    [
      rules.string({ pattern: /^a/, expected: 'a name starting with a' }),
      'b',
      'must be a name starting with a',
    ],
    [rules.arrayOf(rules.string(), { nonEmpty: true }), [], 'must not be an empty array'],
    [rules.arrayOf(rules.string(), { nonEmpty: true }), 'x', 'must be a non-empty array, got "x"'],
    [rules.arrayOf(rules.string()), 'x', 'must be an array, got "x"'],
    [rules.recordOf(rules.string()), 3, 'must be an object, got 3'],
    [rules.anyOf([rules.boolean(), rules.string()]), 3, 'must be a boolean, got 3'],
  ])('explains a bad value', (rule, value, expected) => {
    expect(rule(value, 'opt')?.problem).toContain(expected)
  })

  it('recognises an object by its methods and names the first one missing', () => {
    // Prepare
    const rule = rules.withMethods('a Powertools Logger (2.36 or later)', ['info', 'resetKeys'])

    // Act and Assess
    expect(rule({ info: () => 1, resetKeys: () => 1 }, 'logger')).toBeUndefined()
    expect(rule({ info: () => 1 }, 'logger')?.problem).toBe(
      'must be a Powertools Logger (2.36 or later): it has no resetKeys()',
    )
    expect(rule('x', 'logger')?.problem).toBe('must be a Powertools Logger (2.36 or later), got "x"')
  })

  it('passes a record whose keys and values pass', () => {
    expect(rules.recordOf(rules.number(), rules.string())({ a: 1 }, 'opt')).toBeUndefined()
    expect(rules.objectOf({ a: rules.number() }, { allowUnknown: true })({ b: 1 }, 'opt')).toBeUndefined()
  })
})
