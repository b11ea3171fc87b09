import { fileURLToPath } from 'node:url'
import { describe, expect, test } from '@jest/globals'
import { type EmulatorOptions, emulatorValidateOptions } from '@lambda-lifetime/emulator'
import fc from 'fast-check'
import { checkFunctionCode, emulatorOptionsProblem, resolveFunction, resolveLogDir } from '../src/options.js'

const valid = { functions: [{ name: 'hello', handler: 'index.handler', codeDir: '/code' }] }

describe('emulatorValidateOptions', () => {
  test('accepts a minimal configuration', () => {
    // Act / Assess
    expect(() => emulatorValidateOptions(valid)).not.toThrow()
    expect(() =>
      emulatorValidateOptions({ ...valid, managedInstances: true, httpRoutes: { '/a': 'hello' } }),
    ).not.toThrow()
  })

  test.each([
    ['options must be an object', null],
    ['option "colour" is not a known option', { ...valid, colour: 'red' }],
    ['option "functions" must not be an empty array', { functions: [] }],
    ['option "functions" is required', {}],
    ['option "functions" must be a non-empty array, got "x"', { functions: 'x' }],
    ['"functions[0]" must be an object', { functions: [null] }],
    [
      'option "functions[0].size" (function "hello") is not a known option',
      { functions: [{ ...valid.functions[0], size: 1 }] },
    ],
    [
      'option "functions[0].codeDir" (function "hello") is required',
      { functions: [{ name: 'hello', handler: 'index.handler' }] },
    ],
    [
      `option "functions[0].timeoutMs" (function "hello") must be a duration in ms from 1 to 900000 (900 s, Lambda's maximum function timeout), got 2160000000`,
      { functions: [{ ...valid.functions[0], timeoutMs: 2_160_000_000 }] },
    ],
    [
      'option "initTimeoutMs" must be a duration in ms from 1 to 2147483647, got 2160000000',
      { ...valid, initTimeoutMs: 2_160_000_000 },
    ],
    ['option "maxQueuedEvents"', { ...valid, maxQueuedEvents: 0 }],
    ['option "accountId" must be a 12-digit account id', { ...valid, accountId: '12' }],
    ['"functions[0].name"', { functions: [{ ...valid.functions[0], name: 'bad name' }] }],
    ['"functions[0].handler"', { functions: [{ ...valid.functions[0], handler: 'index' }] }],
    ['"functions[0].codeDir"', { functions: [{ ...valid.functions[0], codeDir: '' }] }],
    ['"functions[0].env.A"', { functions: [{ ...valid.functions[0], env: { A: 1 } }] }],
    ['"functions[0].memoryMb"', { functions: [{ ...valid.functions[0], memoryMb: 64 }] }],
    ['"functions[0].timeoutMs"', { functions: [{ ...valid.functions[0], timeoutMs: 0 }] }],
    ['"functions[0].freeze"', { functions: [{ ...valid.functions[0], freeze: 'yes' }] }],
    ['names "hello" twice', { functions: [valid.functions[0], valid.functions[0]] }],
    ['"concurrency"', { ...valid, concurrency: 0 }],
    ['"provisioned"', { ...valid, provisioned: -1 }],
    ['"managedInstances" must be a boolean or an object', { ...valid, managedInstances: 4 }],
    [
      'option "managedInstances.threads" is not a known option',
      { ...valid, managedInstances: { threads: 2 } },
    ],
    ['"managedInstances.workers"', { ...valid, managedInstances: { workers: 0 } }],
    ['"port"', { ...valid, port: -1 }],
    ['"httpPort"', { ...valid, httpPort: 1.5 }],
    ['"httpFunction" names no function', { ...valid, httpFunction: 'other' }],
    ['option "httpRoutes["/a"]" names no function: "other"', { ...valid, httpRoutes: { '/a': 'other' } }],
    ['option "httpRoutes" has an unknown key "a"', { ...valid, httpRoutes: { a: 'hello' } }],
    ['"onEvent" must be a function', { ...valid, onEvent: 'log' }],
  ])('rejects: %s', (message, options) => {
    // Act / Assess
    expect(() => emulatorValidateOptions(options as unknown as EmulatorOptions)).toThrow(message)
  })

  test('errors are TypeErrors naming the package', () => {
    // Act
    let error: unknown
    try {
      emulatorValidateOptions({ functions: [] })
    } catch (caught) {
      error = caught
    }

    // Assess
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).cause).toEqual({ package: '@lambda-lifetime/emulator', option: 'functions' })
  })
})

describe('resolveFunction', () => {
  test('function rules override emulator rules, which override the defaults', () => {
    // Prepare
    const options: EmulatorOptions = {
      ...valid,
      idleTimeoutMs: 1_000,
      freeze: false,
      region: 'eu-west-1',
      managedInstances: true,
    }

    // Act
    const resolved = resolveFunction(options, {
      ...valid.functions[0],
      idleTimeoutMs: 50,
      memoryMb: 512,
    } as never)

    // Assess
    expect(resolved).toMatchObject({
      idleTimeoutMs: 50,
      freeze: false,
      memoryMb: 512,
      timeoutMs: 3_000,
      concurrency: null,
      managedInstances: { maxConcurrency: 8, workers: 2, environments: 1 },
      arn: 'arn:aws:lambda:eu-west-1:000000000000:function:hello',
    })
  })

  test('managed instances take partial options; false means classic mode', () => {
    // Act
    const managed = resolveFunction(
      { ...valid, managedInstances: { workers: 4 } },
      valid.functions[0] as never,
    )
    const classic = resolveFunction({ ...valid, managedInstances: false }, valid.functions[0] as never)

    // Assess
    expect(managed.managedInstances).toEqual({ maxConcurrency: 8, workers: 4, environments: 1 })
    expect(classic.managedInstances).toBeNull()
  })

  test('the log directory defaults to .lambda-lifetime/logs and resolves relative paths', () => {
    // Act / Assess
    expect(resolveLogDir(undefined)).toBe(`${process.cwd()}/.lambda-lifetime/logs`)
    expect(resolveLogDir('/abs')).toBe('/abs')
    expect(resolveLogDir('rel')).toBe(`${process.cwd()}/rel`)
  })
})

describe('checkFunctionCode', () => {
  const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))

  test('a code directory that does not exist is named at start, not at the first invoke', () => {
    // Act / Assess
    expect(() =>
      checkFunctionCode({ name: 'hello', handler: 'index.handler', codeDir: '/no/such/dir' }),
    ).toThrow(
      '@lambda-lifetime/emulator: function "hello": codeDir /no/such/dir is not a directory (it does not exist)',
    )
  })

  test('a handler whose module is nowhere is named with the files looked for', () => {
    // Act / Assess
    expect(() => checkFunctionCode({ name: 'hello', handler: 'missing.handler', codeDir: fixtures })).toThrow(
      `function "hello": handler "missing.handler" needs missing.js, .mjs or .cjs in ${fixtures}; none exists`,
    )
  })

  test('a module file with any of the runtime client extensions, or a package, is found', () => {
    // Act / Assess
    expect(() =>
      checkFunctionCode({ name: 'a', handler: 'respond.handler', codeDir: fixtures }),
    ).not.toThrow()
    expect(() =>
      checkFunctionCode({ name: 'b', handler: 'yaml.parse', codeDir: process.cwd() }),
    ).not.toThrow()
  })
})

describe('emulatorOptionsProblem', () => {
  test('partial options (a config file) may leave the functions out', () => {
    // Act / Assess
    expect(emulatorOptionsProblem({ port: 1, httpFunction: 'from-flags' }, { partial: true })).toBeUndefined()
    expect(emulatorOptionsProblem({ functions: 'x' }, { partial: true })).toBe(
      'option "functions" must be an array, got "x"',
    )
  })
})

describe('emulatorValidateOptions on anything', () => {
  test('accepts or throws the package’s TypeError naming the option; never anything else', () => {
    // Prepare: options shaped like the real ones, with any value anywhere
    const fn = fc.record(
      {
        name: fc.oneof(fc.string(), fc.anything()),
        handler: fc.anything(),
        codeDir: fc.anything(),
        timeoutMs: fc.anything(),
      },
      { requiredKeys: [] },
    )
    const options = fc.oneof(
      fc.anything(),
      fc.record(
        {
          functions: fc.oneof(fc.array(fc.oneof(fn, fc.anything()), { maxLength: 3 }), fc.anything()),
          port: fc.anything(),
          httpPort: fc.anything(),
          httpRoutes: fc.anything(),
          managedInstances: fc.anything(),
          idleTimeoutMs: fc.oneof(fc.double(), fc.anything()),
        },
        { requiredKeys: [] },
      ),
    )

    // Act / Assess
    fc.assert(
      fc.property(options, (value) => {
        try {
          emulatorValidateOptions(value as EmulatorOptions)
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError)
          expect((error as Error).message).toMatch(
            /^@lambda-lifetime\/emulator: (option ".+" |options must be an object)/,
          )
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 2_000) },
    )
  })
})
