/**
 * Every package is publishable: `npm pack` gives a tarball holding only what users need, and a fresh
 * project outside the repository installs the tarballs and imports each package, with its types.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'

const run = promisify(execFile)
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const packagesDir = join(root, 'packages')
const packageNames = readdirSync(packagesDir).filter((name) =>
  existsSync(join(packagesDir, name, 'package.json')),
)
const manifest = (name: string) => JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8'))
const npm = (args: string[], cwd: string) =>
  run('npm', args, { cwd, maxBuffer: 32 * 1024 * 1024, env: process.env })

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

describe('npm pack', () => {
  let workDir: string
  const tarballs = new Map<string, { filename: string; files: string[] }>()

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'll-pack-'))
    for (const name of packageNames) {
      if (!existsSync(join(packagesDir, name, 'lib', 'index.js')))
        throw new Error(`packages/${name} is not built`)
      const { stdout } = await npm(['pack', '--json', '--pack-destination', workDir], join(packagesDir, name))
      const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
      tarballs.set(name, {
        filename: join(workDir, packed?.filename as string),
        files: (packed?.files ?? []).map((f) => f.path),
      })
    }
  }, 120_000)

  afterAll(() => rmSync(workDir, { recursive: true, force: true }))

  it.each(packageNames)('packs only lib, README and package.json for %s', (name) => {
    const files = tarballs.get(name)?.files ?? []
    expect(files).toContain('package.json')
    expect(files).toContain('README.md')
    expect(files).toContain('lib/index.js')
    expect(files).toContain('lib/index.d.ts')
    const unexpected = files.filter(
      (file) =>
        !(
          file === 'package.json' ||
          file === 'README.md' ||
          file === 'LICENSE' ||
          /^(lib|bin|docs)\//.test(file)
        ),
    )
    expect(unexpected).toEqual([])
    expect(files.some((file) => file.includes('.test.') || file.startsWith('src/'))).toBe(false)
  })

  it('installs in a fresh project outside the repository and imports every package with types', async () => {
    // Prepare: a user's project
    const project = join(workDir, 'user-project')
    await run('mkdir', ['-p', project])
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user-project', private: true, type: 'module' }),
    )
    const specs = [...tarballs.values()].map((tarball) => tarball.filename)
    await npm(
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...specs, ...PEERS],
      project,
    )
    const imports = packageNames.map((name, index) => `import * as p${index} from '${manifest(name).name}'`)
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
        `export const loaded = [${packageNames.map((_, index) => `Object.keys(p${index}).length`).join(', ')}]`,
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
      join(project, 'check.mjs'),
      `${imports.join('\n')}\nconsole.log(JSON.stringify([${packageNames.map((_, i) => `Object.keys(p${i})`).join(', ')}]))\n`,
    )

    // Act
    const typecheck = await run(process.execPath, [
      join(project, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      project,
    ]).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    )
    const { stdout } = await run(process.execPath, [join(project, 'check.mjs')], { cwd: project })

    // Assess
    expect(typecheck).toBe('ok')
    const exported = JSON.parse(stdout) as string[][]
    expect(exported).toHaveLength(packageNames.length)
    for (const names of exported) expect(names.length).toBeGreaterThan(0)
    expect(exported[packageNames.indexOf('container')]).toEqual(
      expect.arrayContaining([
        'containerLifetime',
        'getContainer',
        'currentInvocation',
        'onLifecycle',
        'onShutdown',
        'enableGracefulShutdown',
      ]),
    )
  }, 240_000)
})
