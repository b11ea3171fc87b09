/**
 * The user's own project on the emulator, for the daily loop: a SAM template or a CDK cloud assembly
 * loaded (`loadProject`), TypeScript handlers bundled as CDK's `NodejsFunction` bundles them
 * (`createFunctionBuilder`), every API route served on one HTTP port (`apiRoutes`), and hot reload the
 * way Lambda deploys: on a change to a function's sources the code is built again and `redeploy`ed (new
 * environments, cold starts; the old ones finish and get the SIGTERM rules). A build that fails keeps
 * the previous version serving and prints the build error.
 */
import { dirname, join, resolve, sep } from 'node:path'
import { startEmulator } from './emulator.js'
import {
  type BuildOutcome,
  createFunctionBuilder,
  type FunctionBuilder,
  formatBuildOutcome,
  type PathWatcher,
  watchPaths,
} from './project/reload.js'
import { type HttpRoute, loadProject, type Project } from './project/template.js'
import type { Emulator, EmulatorOptions, FunctionConfig, StopSummary } from './types.js'

/** Options of `startDevServer`. */
export interface DevServerOptions {
  /** A SAM template, a `cdk.out` (or its `manifest.json`), or a folder holding either. */
  readonly template: string
  /** A `sam local --env-vars` file. */
  readonly envVarsFile?: string
  /** Where bundles go. Default `.lambda-lifetime/build` in the working directory. */
  readonly buildDir?: string
  /** Rebuild and redeploy on source changes. Default true. */
  readonly watch?: boolean
  /** Colour in build errors. Default false. */
  readonly color?: boolean
  /** The emulator's options but the functions (ports, rules, `onEvent`, …). */
  readonly emulator?: Omit<EmulatorOptions, 'functions' | 'apiRoutes'>
  /** Where the lines for people go (skipped resources, reloads, build errors). */
  readonly print?: (line: string) => void
}

/** A running project. */
export interface DevServer {
  readonly emulator: Emulator
  readonly project: Project
  /** Routes served on the HTTP port (Function URLs only when the project has no API routes). */
  readonly routes: readonly HttpRoute[]
  /** Builds again now, as a save would (the tests' and the bench's entry). */
  rebuild(functionName: string): Promise<BuildOutcome>
  stop(): Promise<StopSummary>
}

/** One line listing what the emulator does not run: `AWS::SQS::Queue ×2, AWS::DynamoDB::Table`. */
export const describeSkipped = (skipped: Readonly<Record<string, number>>): string | null => {
  const entries = Object.entries(skipped)
  if (entries.length === 0) return null
  const list = entries.map(([type, count]) => (count > 1 ? `${type} ×${count}` : type)).join(', ')
  return `not run locally (no local meaning, or not supported): ${list}`
}

/**
 * API routes share one port; a Function URL is a `$default` of its own host, so it joins them only when
 * the project has no API route it would shadow.
 */
const servedRoutes = (routes: readonly HttpRoute[]): readonly HttpRoute[] => {
  const apis = routes.filter((route) => route.kind !== 'function-url')
  return apis.length > 0 ? apis : routes
}

const isUnder = (path: string, folder: string): boolean => path === folder || path.startsWith(folder + sep)

/**
 * Loads, builds and serves a project; watches its sources unless `watch: false`. Throws when the
 * template cannot be used or a first build fails (with the build error: file, line, esbuild message).
 *
 * @example
 * ```ts
 * const server = await startDevServer({ template: 'template.yaml', emulator: { httpPort: 3000 }, print: console.log })
 * // curl localhost:3000/orders/42; edit src/app.ts: the next call runs the new code in a new environment
 * await server.stop()
 * ```
 */
export const startDevServer = async (options: DevServerOptions): Promise<DevServer> => {
  const print = options.print ?? (() => {})
  const color = options.color ?? false
  const emulatorOptions = options.emulator ?? {}
  const project = loadProject(options.template, {
    ...(emulatorOptions.region === undefined ? {} : { region: emulatorOptions.region }),
    ...(emulatorOptions.accountId === undefined ? {} : { accountId: emulatorOptions.accountId }),
    ...(options.envVarsFile === undefined ? {} : { envVarsFile: options.envVarsFile }),
  })
  const skipped = describeSkipped(project.skipped)
  if (skipped !== null) print(skipped)
  for (const warning of project.warnings) print(`warning: ${warning}`)
  if (project.functions.length === 0)
    throw new TypeError(`${options.template}: no function with local code to serve`)

  // Beside the log streams: `.lambda-lifetime/build` by default.
  const buildDir = resolve(
    options.buildDir ??
      (emulatorOptions.logDir === undefined
        ? '.lambda-lifetime/build'
        : join(dirname(resolve(emulatorOptions.logDir)), 'build')),
  )
  const builders = new Map<string, FunctionBuilder>()
  const configs: FunctionConfig[] = []
  for (const fn of project.functions) {
    const builder = createFunctionBuilder(fn, { buildDir })
    const outcome = await builder.build()
    if (!outcome.ok) throw new Error(formatBuildOutcome(outcome, { color, functionName: fn.name }))
    builders.set(fn.name, builder)
    configs.push(outcome.built.config)
  }
  const routes = servedRoutes(project.routes)
  const left = project.routes.filter((route) => !routes.includes(route))
  if (left.length > 0)
    print(
      `Function URLs not on the HTTP port (the API routes are): ${left.map((route) => route.functionName).join(', ')}; call them with lambda-lifetime invoke`,
    )
  const emulator = await startEmulator({ ...emulatorOptions, functions: configs, apiRoutes: routes })
  // Bundles and log streams are written as the emulator runs: never a reason to reload.
  const ignored = [buildDir, emulator.logDir]

  const watchers = new Map<string, PathWatcher>()
  const rebuild = async (functionName: string): Promise<BuildOutcome> => {
    const builder = builders.get(functionName)
    if (builder === undefined) throw new TypeError(`no function ${functionName} in ${options.template}`)
    const previous = builder.current?.version
    const outcome = await builder.build()
    if (!outcome.ok) {
      print(formatBuildOutcome(outcome, { color, functionName }))
      return outcome
    }
    const { draining } = await emulator.redeploy(outcome.built.config)
    watchers.get(functionName)?.update(outcome.built.watchFiles)
    if (previous !== undefined) builder.pruneBefore(previous)
    const old =
      draining === 0
        ? 'no environment of the old code'
        : `${draining} environment(s) of v${previous} draining`
    print(
      `${functionName} v${outcome.built.version} built in ${Math.round(outcome.durationMs)} ms: the next invocation starts a new environment; ${old}`,
    )
    return outcome
  }
  if (options.watch ?? true) {
    for (const [name, builder] of builders) {
      const watchFiles = builder.current?.watchFiles ?? []
      const onChange = (changed: readonly string[]): void => {
        if (changed.every((path) => ignored.some((folder) => isUnder(resolve(path), folder)))) return
        void rebuild(name)
      }
      watchers.set(name, watchPaths(watchFiles, onChange))
    }
    // New functions or routes need a new emulator: say so rather than serve a stale project silently.
    const templateChanged = (changed: readonly string[]): void =>
      print(
        `${changed.join(', ')} changed: functions, routes and settings are read at start; stop and run serve again to pick them up (code changes reload by themselves)`,
      )
    watchers.set('', watchPaths(project.files, templateChanged))
  }
  return {
    emulator,
    project,
    routes,
    rebuild,
    async stop() {
      for (const watcher of watchers.values()) watcher.close()
      return emulator.stop()
    },
  }
}
