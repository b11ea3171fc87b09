/**
 * Hot reload (issue 14): from saving a function's TypeScript source to the new code answering through
 * the HTTP front door, as `serve --template` runs it (esbuild rebuild, redeploy, a new environment's cold
 * start). A SAM project with one small TypeScript function is written to a temporary folder; each round
 * rewrites the source with a new version number and polls the route until that version answers.
 * `npm run bench -- --only=reload`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadExport, skippedCase, valueCase } from '../harness/cases.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Version:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src
      Runtime: nodejs22.x
      Events:
        Get:
          Type: HttpApi
          Properties: { Path: /version, Method: GET }
`

const source = (version: number): string =>
  `export const handler = async (): Promise<{ statusCode: number; body: string }> => ({ statusCode: 200, body: '${version}' })\n`

interface DevServerLike {
  readonly emulator: { readonly httpUrl: string | null }
  stop(): Promise<unknown>
}

const SPEC = {
  name: 'hot reload: save to the new code answering (median)',
  baseline: null,
  unit: 'ms',
  target: { on: 'value', op: '<', limit: 1_000, text: '< 1000 ms' },
} as const

/** Polls the route until it answers `version`; returns the milliseconds from `since`. */
const waitForVersion = async (url: string, version: number, since: number): Promise<number> => {
  const deadline = since + 30_000
  while (performance.now() < deadline) {
    const response = await fetch(url).catch(() => null)
    if (response !== null && (await response.text()) === String(version)) return performance.now() - since
    await sleep(5)
  }
  throw new Error(`version ${version} did not answer within 30 s`)
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

export const reloadSuite: Suite = {
  id: 'reload',
  name: 'hot reload (serve --template, a TypeScript function)',
  async run(mode: Mode): Promise<CaseResult[]> {
    const startDevServer = await loadExport<(options: object) => Promise<DevServerLike>>(
      '@lambda-lifetime/emulator',
      'startDevServer',
    )
    if (startDevServer === undefined) return [skippedCase(SPEC, 'startDevServer has not landed')]
    const folder = await mkdtemp(join(tmpdir(), 'll-bench-reload-'))
    const file = join(folder, 'src', 'app.ts')
    let server: DevServerLike | undefined
    try {
      await writeFile(join(folder, 'template.yaml'), TEMPLATE)
      await mkdir(join(folder, 'src'))
      await writeFile(file, source(0))
      server = await startDevServer({
        template: folder,
        buildDir: join(folder, '.build'),
        emulator: { httpPort: 0, logDir: join(folder, 'logs') },
      })
      const url = `${server.emulator.httpUrl}/version`
      await waitForVersion(url, 0, performance.now())
      const rounds = mode === 'quick' ? 3 : 10
      const times: number[] = []
      for (let version = 1; version <= rounds; version++) {
        const saved = performance.now()
        await writeFile(file, source(version))
        times.push(await waitForVersion(url, version, saved))
      }
      const result = valueCase(
        {
          ...SPEC,
          note: `${rounds} saves: min ${Math.round(Math.min(...times))} ms, max ${Math.round(Math.max(...times))} ms`,
        },
        median(times),
      )
      return [result]
    } catch (error) {
      return [skippedCase(SPEC, (error as Error).message)]
    } finally {
      await server?.stop()
      await rm(folder, { recursive: true, force: true })
    }
  },
}
