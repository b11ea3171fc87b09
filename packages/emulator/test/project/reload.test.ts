import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { BundleError } from '../../src/project/bundle.js'
import {
  type BuildOutcome,
  createFunctionBuilder,
  formatBuildOutcome,
  HandlerNotFoundError,
  watchPaths,
} from '../../src/project/reload.js'
import { loadProject, type ProjectFunction } from '../../src/project/template.js'

const samApp = fileURLToPath(new URL('../../../../test/fixtures/projects/sam-app', import.meta.url))

let workDir = ''
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'emulator-reload-'))
})
afterEach(() => {
  rmSync(workDir, { recursive: true, force: true })
})

/** The SAM fixture copied into the work folder, so that a test may edit its sources. */
const copiedProject = () => {
  cpSync(samApp, join(workDir, 'app'), { recursive: true })
  const project = loadProject(join(workDir, 'app'))
  const [orders, greeter] = project.functions as [ProjectFunction, ProjectFunction]
  return { orders, greeter, greeterSource: join(workDir, 'app/src/greeter/greeting.ts') }
}

const expectOk = (outcome: BuildOutcome) => {
  if (!outcome.ok) throw outcome.error
  return outcome.built
}

describe('createFunctionBuilder', () => {
  test('JavaScript runs from its own folder, which is what to watch', async () => {
    // Prepare
    const { orders } = copiedProject()
    const builder = createFunctionBuilder(orders, { buildDir: join(workDir, 'build') })

    // Act
    const built = expectOk(await builder.build())

    // Assess
    expect(built).toEqual({
      version: 1,
      bundled: false,
      watchFiles: [orders.codeDir],
      config: expect.objectContaining({ name: 'Orders', handler: 'app.handler', codeDir: orders.codeDir }),
    })
    expect(existsSync(join(workDir, 'build'))).toBe(false)
  })

  test('TypeScript is bundled into a numbered folder, with source maps on in NODE_OPTIONS', async () => {
    // Prepare
    const { greeter } = copiedProject()
    const builder = createFunctionBuilder(
      { ...greeter, env: { ...greeter.env, NODE_OPTIONS: '--max-old-space-size=100' } },
      { buildDir: join(workDir, 'build') },
    )

    // Act
    const outcome = await builder.build()

    // Assess
    const built = expectOk(outcome)
    expect(built.bundled).toBe(true)
    expect(built.config).toMatchObject({
      name: 'greeter',
      handler: 'index.handler',
      codeDir: join(workDir, 'build', 'greeter', '1-1'),
      provisioned: 1,
      env: { NODE_OPTIONS: '--max-old-space-size=100 --enable-source-maps', STAGE: 'dev' },
    })
    expect(built.watchFiles).toHaveLength(2)
    expect(outcome.durationMs).toBeGreaterThan(0)
    expect(builder.current).toBe(built)
  })

  test('source maps are not asked for twice', async () => {
    // Prepare
    const { greeter } = copiedProject()
    const env = { NODE_OPTIONS: '--enable-source-maps' }
    const builder = createFunctionBuilder({ ...greeter, env }, { buildDir: join(workDir, 'build') })

    // Act
    const built = expectOk(await builder.build())

    // Assess
    expect(built.config.env).toEqual({ NODE_OPTIONS: '--enable-source-maps' })
  })

  test('a broken save keeps the last good version serving; the fix is the next version', async () => {
    // Prepare
    const { greeter, greeterSource } = copiedProject()
    const builder = createFunctionBuilder(greeter, { buildDir: join(workDir, 'build') })
    expectOk(await builder.build())

    // Act
    writeFileSync(
      greeterSource,
      'export const greeting = (name: string): string => "Hi, " + name\nexport const x = 1 2\n',
    )
    const broken = await builder.build()
    writeFileSync(greeterSource, 'export const greeting = (name: string): string => "Hi, " + name\n')
    const fixed = await builder.build()

    // Assess
    expect(broken.ok).toBe(false)
    if (broken.ok) return
    expect(broken.error).toBeInstanceOf(BundleError)
    expect(broken.serving?.version).toBe(1)
    expect(formatBuildOutcome(broken, { color: false, functionName: 'greeter' })).toBe(
      `greeter: build failed, v1 keeps serving\n${greeterSource}:2:20: error: Expected ";" but found "2"\n    export const x = 1 2\n                       ^`,
    )
    const built = expectOk(fixed)
    expect(built.version).toBe(2)
    expect(built.config.codeDir).toBe(join(workDir, 'build', 'greeter', '2-3'))
  })

  test('builds asked for at once run one after the other, each with its own version', async () => {
    // Prepare
    const { greeter } = copiedProject()
    const builder = createFunctionBuilder(greeter, { buildDir: join(workDir, 'build') })

    // Act
    const outcomes = await Promise.all([builder.build(), builder.build(), builder.build()])

    // Assess
    expect(outcomes.map((outcome) => expectOk(outcome).version)).toEqual([1, 2, 3])
    expect(new Set(outcomes.map((outcome) => expectOk(outcome).config.codeDir)).size).toBe(3)
  })

  test('pruneBefore removes the folders of older versions only', async () => {
    // Prepare
    const { greeter } = copiedProject()
    const builder = createFunctionBuilder(greeter, { buildDir: join(workDir, 'build') })
    builder.pruneBefore(1) // nothing built yet: nothing to do
    expectOk(await builder.build())
    expectOk(await builder.build())

    // Act
    builder.pruneBefore(2)

    // Assess
    expect(readdirSync(join(workDir, 'build', 'greeter'))).toEqual(['2-2'])
  })

  test('a handler without a file is a HandlerNotFoundError that says where it looked', async () => {
    // Prepare
    const { orders } = copiedProject()
    const builder = createFunctionBuilder({ ...orders, handler: 'missing.handler' }, { buildDir: workDir })

    // Act
    const outcome = await builder.build()

    // Assess
    expect(outcome.ok).toBe(false)
    if (outcome.ok) return
    expect(outcome.error).toBeInstanceOf(HandlerNotFoundError)
    expect(formatBuildOutcome(outcome, { color: false })).toBe(
      `build failed, nothing to serve\nOrders: no file for handler "missing.handler" in ${orders.codeDir} (looked for .js, .mjs, .cjs, .ts, .mts, .cts, .tsx)`,
    )
  })
})

describe('watchPaths', () => {
  /** Resolves with the first reported change, or rejects after a generous bound. */
  const nextChange = (paths: readonly string[]) => {
    let watcher: ReturnType<typeof watchPaths> | undefined
    const changed = new Promise<readonly string[]>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error('no change reported within 10 s')), 10_000)
      watcher = watchPaths(paths, (list) => {
        clearTimeout(bound)
        resolve(list)
      })
    })
    return { changed, watcher: watcher as ReturnType<typeof watchPaths> }
  }

  test('reports a saved file once, several quick writes together', async () => {
    // Prepare
    const file = join(workDir, 'app.ts')
    writeFileSync(file, 'a')
    const { changed, watcher } = nextChange([file, join(workDir, 'gone.ts')])

    try {
      // Act
      writeFileSync(file, 'b')
      writeFileSync(file, 'c')

      // Assess
      expect(await changed).toEqual([file])
    } finally {
      watcher.close()
    }
  })

  test('sees an editor that saves by renaming a new file over the old one', async () => {
    // Prepare
    const file = join(workDir, 'app.ts')
    writeFileSync(file, 'a')
    const { changed, watcher } = nextChange([file])

    try {
      // Act
      writeFileSync(`${file}.swp`, 'b')
      renameSync(`${file}.swp`, file)

      // Assess
      expect(await changed).toEqual([file])
    } finally {
      watcher.close()
    }
  })

  test('a folder is watched with everything under it; update() moves the watch', async () => {
    // Prepare
    mkdirSync(join(workDir, 'code', 'lib'), { recursive: true })
    const other = join(workDir, 'other.ts')
    writeFileSync(other, 'a')
    const { changed, watcher } = nextChange([join(workDir, 'nowhere', 'x.ts')])

    try {
      // Act
      watcher.update([join(workDir, 'code'), other])
      writeFileSync(join(workDir, 'code', 'lib', 'db.mjs'), 'export {}')

      // Assess
      expect(await changed).toEqual([join(workDir, 'code', 'lib', 'db.mjs')])
    } finally {
      watcher.close()
    }
  })
})
