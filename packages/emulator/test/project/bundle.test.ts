import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify, stripVTControlCharacters } from 'node:util'
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import {
  BundleError,
  bundleHandler,
  esbuildTarget,
  findHandlerEntry,
  formatBuildProblems,
} from '../../src/project/bundle.js'

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const fixture = (name: string): string => join(repoRoot, 'test/fixtures/projects', name)
/** The Node 24 the repository pins, as a Lambda nodejs24.x runtime would run the bundle. */
const node24 = join(repoRoot, 'node_modules/.bin/node')

let workDir = ''
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'emulator-bundle-'))
})
afterEach(() => {
  rmSync(workDir, { recursive: true, force: true })
})

/** Writes a handler source into the work folder and returns its path. */
const source = (name: string, text: string): string => {
  const file = join(workDir, name)
  writeFileSync(file, text)
  return file
}

const bundleError = async (entry: string): Promise<BundleError> => {
  try {
    await bundleHandler({ entry, outDir: join(workDir, 'out') })
  } catch (error) {
    if (error instanceof BundleError) return error
    throw error
  }
  throw new Error('the build succeeded')
}

describe('findHandlerEntry', () => {
  test('finds JavaScript as it is and TypeScript to bundle', () => {
    // Act / Assess
    expect(findHandlerEntry(fixture('sam-app/src/orders'), 'app.handler')).toEqual({
      file: fixture('sam-app/src/orders/app.mjs'),
      exportName: 'handler',
      needsBundle: false,
    })
    expect(findHandlerEntry(fixture('sam-app/src'), 'greeter/app.handler')).toEqual({
      file: fixture('sam-app/src/greeter/app.ts'),
      exportName: 'handler',
      needsBundle: true,
    })
  })

  test.each(['missing.handler', 'app', '.handler', 'app.'])('%s has no entry', (handler) => {
    // Act / Assess
    expect(findHandlerEntry(fixture('sam-app/src/orders'), handler)).toBeUndefined()
  })
})

describe('esbuildTarget', () => {
  test.each([
    ['nodejs24.x', 'node24'],
    ['nodejs22.x', 'node22'],
    ['python3.13', 'node24'],
  ])('%s → %s', (runtime, target) => {
    // Act / Assess
    expect(esbuildTarget(runtime)).toBe(target)
  })
})

describe('bundleHandler', () => {
  test('writes one ES module with its source map and lists the sources to watch', async () => {
    // Prepare
    const outDir = join(workDir, 'build', 'throws')

    // Act
    const bundle = await bundleHandler({
      entry: fixture('ts-throws/handler.ts'),
      outDir,
      runtime: 'nodejs22.x',
    })

    // Assess
    expect(bundle).toEqual({
      codeDir: outDir,
      handler: 'index.handler',
      outFile: join(outDir, 'index.mjs'),
      watchFiles: expect.arrayContaining([fixture('ts-throws/handler.ts'), fixture('ts-throws/order.ts')]),
      nodeOptions: '--enable-source-maps',
      warnings: [],
    })
    expect(bundle.watchFiles).toHaveLength(2)
    expect(existsSync(join(outDir, 'index.mjs.map'))).toBe(true)
    const code = readFileSync(bundle.outFile, 'utf8')
    expect(code).toMatch(/^import \{ createRequire \} from 'node:module'; const require = createRequire/)
    expect(code).toMatch(/export \{\s*handler\s*\}/)
    expect(code).toContain('//# sourceMappingURL=index.mjs.map')
  })

  test('a stack trace of the bundle, run with --enable-source-maps, points at the .ts lines', async () => {
    // Prepare
    const bundle = await bundleHandler({
      entry: fixture('ts-throws/handler.ts'),
      outDir: join(workDir, 'out'),
    })
    const script = `import(${JSON.stringify(pathToFileURL(bundle.outFile).href)}).then((m) => m.handler({})).catch((e) => console.log(e.stack))`

    // Act
    const { stdout } = await run(node24, [bundle.nodeOptions, '--input-type=module', '-e', script])

    // Assess
    expect(stdout).toContain('Error: an order needs an id')
    expect(stdout).toContain(`${fixture('ts-throws/order.ts')}:5:`)
    expect(stdout).toContain(`${fixture('ts-throws/handler.ts')}:12:`)
  })

  test('leaves @aws-sdk/* out of the bundle (the runtime has it), and other modules when asked', async () => {
    // Prepare
    const entry = source(
      'sdk.ts',
      "import { LambdaClient } from '@aws-sdk/client-lambda'\nexport const handler = async () => new LambdaClient({}).config.region\n",
    )

    // Act
    const bundle = await bundleHandler({
      entry,
      exportName: 'main',
      outDir: join(workDir, 'out'),
      minify: true,
    })

    // Assess
    expect(bundle.handler).toBe('index.main')
    expect(readFileSync(bundle.outFile, 'utf8')).toMatch(/from\s*"@aws-sdk\/client-lambda"/)
    expect(bundle.watchFiles).toEqual([entry])
  })

  test('a syntax error gives the file, line, column and esbuild message', async () => {
    // Prepare
    const entry = source('broken.ts', 'export const handler = async () => {\n  const total = 1 orders\n}\n')

    // Act
    const error = await bundleError(entry)

    // Assess
    expect(error.entry).toBe(entry)
    expect(error.problems).toEqual([
      {
        message: 'Expected ";" but found "orders"',
        file: entry,
        line: 2,
        column: 19,
        lineText: '  const total = 1 orders',
      },
    ])
    expect(error.message).toBe(
      `${entry}:2:19: error: Expected ";" but found "orders"\n      const total = 1 orders\n                      ^`,
    )
    expect(error.cause).toEqual({ package: '@lambda-lifetime/emulator' })
  })

  test('every error is reported, an unresolvable import included', async () => {
    // Prepare
    const entry = source(
      'imports.ts',
      "import './missing.js'\nimport 'no-such-package'\nexport const handler = 1\n",
    )

    // Act
    const error = await bundleError(entry)

    // Assess
    expect(error.problems.map((problem) => [problem.line, problem.message])).toEqual([
      [1, 'Could not resolve "./missing.js"'],
      [2, expect.stringContaining('Could not resolve "no-such-package"')],
    ])
  })

  test('a missing entry is a BundleError too', async () => {
    // Act
    const error = await bundleError(join(workDir, 'nothing.ts'))

    // Assess
    expect(error.problems[0]?.message).toMatch(/Could not resolve/)
  })
})

describe('formatBuildProblems', () => {
  const problem = {
    message: 'Expected ";"',
    file: join(process.cwd(), 'src/app.ts'),
    line: 3,
    column: 5,
    lineText: 'a b',
  }

  test('paths relative to the working directory, a caret under the column', () => {
    // Act / Assess
    expect(formatBuildProblems([problem], { color: false })).toBe(
      'src/app.ts:3:5: error: Expected ";"\n    a b\n        ^',
    )
  })

  test('a problem without a place is its message', () => {
    // Act / Assess
    expect(formatBuildProblems([{ message: 'The service was stopped' }], { color: false })).toBe(
      'error: The service was stopped',
    )
  })

  test('colour only when asked', () => {
    // Act
    const coloured = new BundleError('src/app.ts', [problem]).format({ color: true })

    // Assess
    expect(coloured).toContain('\u001b[31merror:\u001b[39m')
    expect(stripVTControlCharacters(coloured)).toBe(formatBuildProblems([problem], { color: false }))
  })
})
