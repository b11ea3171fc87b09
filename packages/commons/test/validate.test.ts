import { describe, expect, it } from '@jest/globals'
import { findProblem, MAX_TIMER_MS, rules, validateOptions } from '@lambda-lifetime/commons'
import fc from 'fast-check'

const PKG = '@lambda-lifetime/example'

const schema = {
  name: rules.string({ nonEmpty: true }),
  timeoutMs: rules.duration({ min: 1 }),
  rate: rules.number({ above: 0, max: 1 }),
  size: rules.number({ min: 1, integer: true }),
  enabled: rules.boolean(),
  create: rules.function(),
  mode: rules.oneOf(['fail-open', 'fail-closed']),
  warning: rules.anyOf([rules.oneOf([false]), rules.duration()], 'false or a duration in ms'),
  headers: rules.arrayOf(rules.string({ nonEmpty: true })),
  levels: rules.recordOf(rules.oneOf(['info', 'warn']), rules.string({ pattern: /^[a-z.]+$/ })),
  store: rules.objectOf(
    { table: rules.string({ nonEmpty: true }), ttl: rules.duration() },
    { required: ['table'] },
  ),
  url: rules.custom((value) => value instanceof URL, 'a URL'),
}

const messageOf = (options: unknown): string => {
  try {
    validateOptions(PKG, schema, options, { required: ['name'] })
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).cause).toMatchObject({ package: PKG })
    return (error as Error).message
  }
  return 'passed'
}

describe('validateOptions', () => {
  it('accepts valid options and options left out', () => {
    // Act
    const message = messageOf({
      name: 'db',
      timeoutMs: 1000,
      rate: 1,
      size: 3,
      enabled: false,
      create: () => 1,
      mode: 'fail-open',
      warning: false,
      headers: ['x-api-key'],
      levels: { 'pool.create': 'warn' },
      store: { table: 't' },
      url: new URL('http://localhost'),
      other: undefined,
    })

    // Assess
    expect(message).toBe('passed')
  })

  it.each([
    [null, `${PKG}: options must be an object, got null`],
    [[], `${PKG}: options must be an object, got an array`],
    [{}, `${PKG}: option "name" is required`],
    [{ name: '' }, `${PKG}: option "name" must be a non-empty string, got ""`],
    [{ name: 'a', nme: 1 }, `${PKG}: option "nme" is not a known option (known: name, timeoutMs`],
    [{ name: 'a', timeoutMs: 3e9 }, `must be a duration in ms from 1 to ${MAX_TIMER_MS}, got 3000000000`],
    [{ name: 'a', timeoutMs: Number.NaN }, 'option "timeoutMs" must be a duration in ms from 1'],
    [{ name: 'a', rate: 0 }, 'option "rate" must be a number > 0 and <= 1, got 0'],
    [{ name: 'a', rate: 'x' }, 'option "rate" must be a number > 0 and <= 1, got "x"'],
    [{ name: 'a', size: 1.5 }, 'option "size" must be an integer >= 1, got 1.5'],
    [{ name: 'a', enabled: 'yes' }, 'option "enabled" must be a boolean, got "yes"'],
    [{ name: 'a', create: {} }, 'option "create" must be a function, got an object'],
    [{ name: 'a', mode: 'open' }, 'option "mode" must be one of "fail-open", "fail-closed", got "open"'],
    [{ name: 'a', warning: true }, 'option "warning" must be false or a duration in ms, got true'],
    [{ name: 'a', headers: ['ok', 2] }, 'option "headers[1]" must be a non-empty string, got 2'],
    [{ name: 'a', levels: { Bad: 'info' } }, 'option "levels" has an unknown key "Bad"'],
    [{ name: 'a', levels: { 'pool.x': 'loud' } }, 'option "levels["pool.x"]" must be one of "info", "warn"'],
    [{ name: 'a', store: {} }, 'option "store.table" is required'],
    [{ name: 'a', store: { table: 't', ttl: -1 } }, 'option "store.ttl" must be a duration in ms from 0'],
    [{ name: 'a', url: 'http://x' }, 'option "url" must be a URL, got "http://x"'],
  ])('rejects %j with a message naming the option', (options, expected) => {
    // Act
    const message = messageOf(options)

    // Assess
    expect(message).toContain(expected)
  })

  it('never copies more than 40 characters of a bad string into the message', () => {
    // Act
    const message = messageOf({ name: 'a', mode: `secret-${'x'.repeat(100)}` })

    // Assess
    expect(message).toContain(`"secret-${'x'.repeat(33)}…"`)
    expect(message).not.toContain('x'.repeat(34))
  })

  it('names the bad option in the error cause', () => {
    // Act
    const error = (() => {
      try {
        validateOptions(PKG, schema, { name: 'a', store: { table: 3 } })
      } catch (caught) {
        return caught as Error
      }
    })()

    // Assess
    expect(error?.cause).toEqual({ package: PKG, option: 'store.table' })
  })

  it('uses the label for a non-object', () => {
    expect(() => validateOptions(PKG, schema, 'x', { label: 'warmPool options' })).toThrow(
      `${PKG}: warmPool options must be an object, got "x"`,
    )
  })

  it('accepts unknown keys when asked to', () => {
    expect(findProblem(schema, { name: 'a', extra: 1 }, { allowUnknown: true })).toBeUndefined()
  })

  it('answers any value with a TypeError or a pass, never another error (property)', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true }),
        (value) => {
          const options = typeof value === 'object' && value !== null ? value : { name: value }
          try {
            validateOptions(PKG, schema, options, { required: ['name'] })
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError)
            expect((error as Error).message.startsWith(`${PKG}: `)).toBe(true)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('accepts exactly the durations a timer honours (property)', () => {
    const rule = rules.duration()
    fc.assert(
      fc.property(fc.double(), (ms) => {
        const accepted = rule(ms, 'x') === undefined
        expect(accepted).toBe(Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMER_MS)
      }),
      { numRuns: 2000 },
    )
  })
})
