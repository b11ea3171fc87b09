/**
 * Every package is publishable, as a fresh clone would publish it: the packages are copied without their
 * `lib/` into a temporary folder (the worktree's own build is never touched, other tests use it), `npm pack`
 * builds each one through its `prepack` script, and a fresh project outside the repository installs the
 * tarballs, type-checks against them and runs a handler that uses the middlewares together.
 */
import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'

const run = promisify(execFile)
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const packagesDir = join(root, 'packages')
const packageDirs = readdirSync(packagesDir).filter((name) =>
  existsSync(join(packagesDir, name, 'package.json')),
)
const manifest = (dir: string) => JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'))
const npm = (args: string[], cwd: string) =>
  run('npm', args, {
    cwd,
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, npm_config_loglevel: 'error' },
  })

/** Peers a user of all packages installs beside them. */
const PEERS = [
  '@middy/core@7',
  '@aws-lambda-powertools/logger@2',
  '@aws-lambda-powertools/metrics@2',
  '@aws-lambda-powertools/tracer@2',
  '@aws-sdk/client-dynamodb@3',
  'typescript@5.9',
  '@types/node@22',
  '@types/aws-lambda@8',
]

/** What a fresh clone holds of the packages: everything committed, so no `lib/` and no `node_modules/`. */
const isBuildOutput = (source: string, packageDir: string): boolean =>
  relative(packageDir, source)
    .split(sep)
    .some((part) => part === 'lib' || part === 'node_modules')

/**
 * A copy of the packages as a fresh clone has them, with a `node_modules` that links the repository's
 * installed dependencies and points `@lambda-lifetime/*` at the copies (never at the worktree's builds).
 */
const copyPackagesWithoutBuild = (dest: string): string => {
  cpSync(join(root, 'tsconfig.base.json'), join(dest, 'tsconfig.base.json'))
  for (const dir of packageDirs) {
    const source = join(packagesDir, dir)
    cpSync(source, join(dest, 'packages', dir), {
      recursive: true,
      filter: (path) => !isBuildOutput(path, source),
    })
  }
  const modules = join(dest, 'node_modules')
  mkdirSync(join(modules, '@lambda-lifetime'), { recursive: true })
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry !== '@lambda-lifetime') symlinkSync(join(root, 'node_modules', entry), join(modules, entry))
  }
  for (const dir of packageDirs) {
    const name = (manifest(dir).name as string).slice('@lambda-lifetime/'.length)
    symlinkSync(join(dest, 'packages', dir), join(modules, '@lambda-lifetime', name))
  }
  return join(dest, 'packages')
}

/** A handler a user would write: the four middlewares in one Middy chain, called twice with a fake context. */
const USER_HANDLER = `
import { Logger } from '@aws-lambda-powertools/logger'
import { circuitBreaker } from '@lambda-lifetime/breaker'
import { containerLifetime } from '@lambda-lifetime/container'
import { lifecycleLogger } from '@lambda-lifetime/logger'
import { warmPool } from '@lambda-lifetime/pool'
import middy from '@middy/core'

const logger = new Logger({ serviceName: 'pack-check' })
let poolsCreated = 0

export const handler = middy()
  .use(containerLifetime())
  .use(lifecycleLogger({ logger }))
  .use(warmPool({ name: 'db', create: async () => ({ serial: ++poolsCreated }), dispose: async () => {} }))
  .use(circuitBreaker({ name: 'double', action: async (n) => n * 2 }))
  .handler(async (event, context) => ({
    containerId: context.container.containerId,
    invocation: context.container.invocation,
    startType: context.container.startType,
    pool: context.db.serial,
    doubled: await context.breakers.double.fire(event.n),
  }))

const contextFor = (awsRequestId) => ({
  awsRequestId,
  functionName: 'pack-check',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:pack-check',
  memoryLimitInMB: '128',
  logGroupName: '/aws/lambda/pack-check',
  logStreamName: '2026/12/04/[$LATEST]0123456789abcdef0123456789abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 3000,
})

const first = await handler({ n: 2 }, contextFor('request-1'))
const second = await handler({ n: 21 }, contextFor('request-2'))
console.log('RESULT ' + JSON.stringify([first, second]))
`

describe('npm pack', () => {
  let workDir: string
  const tarballs = new Map<string, { filename: string; files: string[] }>()

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'll-pack-'))
    const copies = copyPackagesWithoutBuild(join(workDir, 'clone'))
    for (const dir of packageDirs) {
      const { stdout } = await npm(['pack', '--json', '--pack-destination', workDir], join(copies, dir))
      // npm prints the prepack script's output before the JSON.
      const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
        filename: string
        files: Array<{ path: string }>
      }>
      tarballs.set(dir, {
        filename: join(workDir, packed?.filename as string),
        files: (packed?.files ?? []).map((f) => f.path),
      })
    }
  }, 240_000)

  afterAll(() => rmSync(workDir, { recursive: true, force: true }))

  it('packs the nine packages, @lambda-lifetime/commons included', () => {
    expect([...tarballs.keys()].sort()).toEqual(
      ['breaker', 'commons', 'container', 'emulator', 'logger', 'metrics', 'pool', 'report', 'tracer'].sort(),
    )
  })

  it.each(packageDirs)('builds and packs only lib, README, LICENSE and package.json for %s', (dir) => {
    const files = tarballs.get(dir)?.files ?? []
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'lib/index.js', 'lib/index.d.ts']),
    )
    const unexpected = files.filter(
      (file) =>
        !(
          file === 'package.json' ||
          file === 'README.md' ||
          file === 'LICENSE' ||
          /^(lib|bin|docs|runtime)\//.test(file)
        ),
    )
    expect(unexpected).toEqual([])
    expect(files.some((file) => file.includes('.test.') || file.startsWith('src/'))).toBe(false)
  })

  it('ships the repository LICENSE in every package', () => {
    const license = readFileSync(join(root, 'LICENSE'), 'utf8')
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 lambda-lifetime contributors\n/)
    for (const dir of packageDirs) {
      expect(manifest(dir).license).toBe('MIT')
      expect(readFileSync(join(packagesDir, dir, 'LICENSE'), 'utf8')).toBe(license)
    }
  })

  it('installs outside the repository, type-checks, and runs a handler with the four middlewares', async () => {
    // Prepare: a user's project
    const project = join(workDir, 'user-project')
    mkdirSync(project)
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user-project', private: true, type: 'module' }),
    )
    const specs = [...tarballs.values()].map((tarball) => tarball.filename)
    await npm(
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...specs, ...PEERS],
      project,
    )
    const names = packageDirs.map((dir) => manifest(dir).name as string)
    const imports = names.map((name, index) => `import * as p${index} from '${name}'`)
    writeFileSync(
      join(project, 'index.ts'),
      [
        ...imports,
        "import { containerLifetime, type InvocationView } from '@lambda-lifetime/container'",
        "import middy from '@middy/core'",
        'export const handler = middy().use(containerLifetime()).handler(async (_event: unknown, context) => {',
        '  const view: InvocationView = context.container',
        '  return view.invocation',
        '})',
        `export const loaded = [${names.map((_, index) => `Object.keys(p${index}).length`).join(', ')}]`,
      ].join('\n'),
    )
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2024',
          noEmit: true,
          types: ['node'],
          skipLibCheck: true,
        },
        files: ['index.ts'],
      }),
    )
    writeFileSync(
      join(project, 'exports.mjs'),
      `${imports.join('\n')}\nconsole.log(JSON.stringify([${names.map((_, i) => `Object.keys(p${i})`).join(', ')}]))\n`,
    )
    writeFileSync(join(project, 'handler.mjs'), USER_HANDLER)

    // Act
    const typecheck = await run(process.execPath, [
      join(project, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      project,
    ]).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    )
    const exportsRun = await run(process.execPath, [join(project, 'exports.mjs')], { cwd: project })
    const handlerRun = await run(process.execPath, [join(project, 'handler.mjs')], {
      cwd: project,
      timeout: 30_000,
    })

    // Assess: the types
    expect(typecheck).toBe('ok')
    // Assess: every package loads and exports something
    const exported = JSON.parse(exportsRun.stdout) as string[][]
    expect(exported).toHaveLength(names.length)
    for (const list of exported) expect(list.length).toBeGreaterThan(0)
    expect(exported[packageDirs.indexOf('container')]).toEqual(
      expect.arrayContaining(['containerLifetime', 'onLifecycle', 'onShutdown', 'enableGracefulShutdown']),
    )
    // Assess: the handler ran twice in one container, with one pool and the breaker's action
    const resultLine = handlerRun.stdout.split('\n').find((line) => line.startsWith('RESULT '))
    const [first, second] = JSON.parse(resultLine?.slice('RESULT '.length) ?? 'null') as Array<{
      containerId: string
      invocation: number
      startType: string
      pool: number
      doubled: number
    }>
    expect(first).toMatchObject({ invocation: 1, startType: 'cold', pool: 1, doubled: 4 })
    expect(second).toMatchObject({ invocation: 2, startType: 'warm', pool: 1, doubled: 42 })
    expect(second?.containerId).toBe(first?.containerId)
    expect(first?.containerId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/)
    // Assess: the logger wrote its lines through Powertools, naming the container
    const logLines = handlerRun.stdout.split('\n').filter((line) => line.startsWith('{'))
    expect(logLines.length).toBeGreaterThan(0)
    expect(logLines.some((line) => line.includes(first?.containerId as string))).toBe(true)
  }, 300_000)
})
