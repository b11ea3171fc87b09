/**
 * From a project function to code the emulator can run, again after every save: `createFunctionBuilder`
 * finds the handler file, bundles TypeScript (`bundle.ts`) into a new numbered folder per build, and keeps
 * the last good build when a new one fails; `watchPaths` says when sources change.
 *
 * Wiring (hot reload, the way Lambda deploys):
 * 1. At start: `builder = createFunctionBuilder(fn, { buildDir: '.lambda-lifetime/build' })`, `await
 *    builder.build()`, start the emulator with `outcome.built.config`.
 * 2. `watchPaths(outcome.built.watchFiles, () => rebuild())`; on `ok`, hand the new `config` to the pool
 *    as a new version (new environments, cold starts; old environments finish and get SIGTERM) and print
 *    one line (function, `v<version>`, environments draining); `watcher.update(outcome.built.watchFiles)`
 *    since imports may have changed. On `!ok`, print `formatBuildOutcome(outcome)` and keep serving the
 *    old version.
 * 3. Old build folders stay until their environments are gone (`builder.pruneBefore(version)`).
 */
import { type FSWatcher, readdirSync, rmSync, statSync, watch } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { FunctionConfig } from '../types.js'
import { BundleError, bundleHandler, findHandlerEntry } from './bundle.js'
import { type ProjectFunction, toFunctionConfig } from './template.js'

/** One successful build of a function. */
export interface BuiltFunction {
  /** 1 for the first build, then one more per successful rebuild. */
  readonly version: number
  /** What to give the emulator: the bundle's folder and handler, `--enable-source-maps` in `NODE_OPTIONS`. */
  readonly config: FunctionConfig
  /** Files (and, for JavaScript code, the code folder) whose change means a new version. */
  readonly watchFiles: readonly string[]
  readonly bundled: boolean
}

/** The result of `build()`: the new version, or why there is none (the previous one keeps serving). */
export type BuildOutcome =
  | { readonly ok: true; readonly built: BuiltFunction; readonly durationMs: number }
  | {
      readonly ok: false
      readonly error: Error
      readonly durationMs: number
      readonly serving?: BuiltFunction
    }

/** Builds one function, version after version. */
export interface FunctionBuilder {
  readonly functionName: string
  /** The last good build, if any. */
  readonly current: BuiltFunction | undefined
  /** Builds the code as it is now on disk. Never rejects: a failure is an outcome. */
  build(): Promise<BuildOutcome>
  /** Removes the build folders of versions older than `version`. */
  pruneBefore(version: number): void
}

/** A handler whose file is not there: the message says where the runtime would look. */
export class HandlerNotFoundError extends Error {
  constructor(fn: ProjectFunction) {
    super(
      `${fn.name}: no file for handler "${fn.handler}" in ${fn.codeDir} (looked for .js, .mjs, .cjs, .ts, .mts, .cts, .tsx)`,
      { cause: { package: '@lambda-lifetime/emulator' } },
    )
    this.name = 'HandlerNotFoundError'
  }
}

const withSourceMaps = (
  env: Readonly<Record<string, string>>,
  nodeOptions: string,
): Record<string, string> => {
  const existing = env.NODE_OPTIONS ?? ''
  return {
    ...env,
    NODE_OPTIONS: existing.includes(nodeOptions) ? existing : `${existing} ${nodeOptions}`.trim(),
  }
}

/** SAM's esbuild functions name their entry in `Metadata.BuildProperties.EntryPoints`; the export is the handler's. */
const entryOf = (fn: ProjectFunction) => {
  if (fn.entryPoint === undefined) return findHandlerEntry(fn.codeDir, fn.handler)
  const exportName = fn.handler.slice(fn.handler.lastIndexOf('.') + 1)
  return { file: resolve(fn.codeDir, fn.entryPoint), exportName, needsBundle: true }
}

/**
 * A builder for one function: JavaScript runs from its folder as is, TypeScript is bundled into
 * `<buildDir>/<function>/<version>` so that environments of an older version keep their files while they
 * drain.
 *
 * @example
 * ```ts
 * const builder = createFunctionBuilder(project.functions[0], { buildDir: '.lambda-lifetime/build' })
 * const outcome = await builder.build()
 * if (outcome.ok) startEmulator({ functions: [outcome.built.config] })
 * else console.error(formatBuildOutcome(outcome, { color: false }))
 * ```
 */
export const createFunctionBuilder = (
  fn: ProjectFunction,
  options: { readonly buildDir: string },
): FunctionBuilder => {
  const functionDir = resolve(options.buildDir, fn.name)
  let current: BuiltFunction | undefined
  let attempts = 0
  let queue: Promise<unknown> = Promise.resolve()

  const buildOnce = async (): Promise<BuiltFunction> => {
    const entry = entryOf(fn)
    const version = (current?.version ?? 0) + 1
    if (entry === undefined) throw new HandlerNotFoundError(fn)
    if (!entry.needsBundle) {
      return { version, config: toFunctionConfig(fn), watchFiles: [fn.codeDir], bundled: false }
    }
    attempts += 1
    const bundle = await bundleHandler({
      entry: entry.file,
      exportName: entry.exportName,
      // A failed attempt must not take the number of the next good version's folder.
      outDir: join(functionDir, `${version}-${attempts}`),
      runtime: fn.runtime,
    })
    const config = toFunctionConfig({ ...fn, env: withSourceMaps(fn.env, bundle.nodeOptions) }, bundle)
    return { version, config, watchFiles: bundle.watchFiles, bundled: true }
  }

  const buildAndRecord = async (): Promise<BuildOutcome> => {
    const startedAt = performance.now()
    try {
      current = await buildOnce()
      return { ok: true, built: current, durationMs: performance.now() - startedAt }
    } catch (error) {
      const durationMs = performance.now() - startedAt
      return {
        ok: false,
        error: error as Error,
        durationMs,
        ...(current === undefined ? {} : { serving: current }),
      }
    }
  }

  return {
    functionName: fn.name,
    get current() {
      return current
    },
    build() {
      // One build at a time: saves that come during a build queue behind it and get the next version.
      const next = queue.then(buildAndRecord)
      queue = next
      return next
    },
    pruneBefore(version) {
      let names: string[] = []
      try {
        names = readdirSync(functionDir)
      } catch {
        return // nothing built yet
      }
      for (const name of names) {
        const folderVersion = Number(name.split('-')[0])
        if (Number.isInteger(folderVersion) && folderVersion < version) {
          rmSync(join(functionDir, name), { recursive: true, force: true })
        }
      }
    },
  }
}

/**
 * A failed build for the terminal: the build error with file, line and column (colour when asked), and
 * which version keeps serving.
 *
 * @example
 * ```ts
 * formatBuildOutcome(outcome, { color: process.stderr.isTTY })
 * // orders: build failed, v3 keeps serving
 * // src/app.ts:3:14: error: Expected ";" but found "orders"
 * ```
 */
export const formatBuildOutcome = (
  outcome: Extract<BuildOutcome, { ok: false }>,
  options: { readonly color: boolean; readonly functionName?: string },
): string => {
  const name = options.functionName === undefined ? '' : `${options.functionName}: `
  const serving =
    outcome.serving === undefined ? 'nothing to serve' : `v${outcome.serving.version} keeps serving`
  const detail = outcome.error instanceof BundleError ? outcome.error.format(options) : outcome.error.message
  return `${name}build failed, ${serving}\n${detail}`
}

/** Watches files and folders for changes. */
export interface PathWatcher {
  /** Watches these paths instead (after a rebuild found other imports). */
  update(paths: readonly string[]): void
  close(): void
}

/**
 * Calls `onChange` with the changed paths once changes settle (`debounceMs`, default 50). Files are
 * watched through their folder, so an editor that saves by renaming a new file over the old one is still
 * seen; a folder is watched with everything under it.
 *
 * @example
 * ```ts
 * const watcher = watchPaths(built.watchFiles, (changed) => rebuild(changed))
 * // later
 * watcher.close()
 * ```
 */
export const watchPaths = (
  paths: readonly string[],
  onChange: (changed: readonly string[]) => void,
  options: { readonly debounceMs?: number } = {},
): PathWatcher => {
  const debounceMs = options.debounceMs ?? 50
  let watchers: FSWatcher[] = []
  let pending = new Set<string>()
  let timer: NodeJS.Timeout | undefined

  const report = (path: string): void => {
    pending.add(path)
    clearTimeout(timer)
    timer = setTimeout(() => {
      const changed = [...pending]
      pending = new Set()
      onChange(changed)
    }, debounceMs)
  }

  const start = (list: readonly string[]): void => {
    const files = new Map<string, Set<string>>()
    for (const path of list.map((item) => resolve(item))) {
      let isDirectory = false
      try {
        isDirectory = statSync(path).isDirectory()
      } catch {
        // A file that is gone now (deleted between build and watch) is watched through its folder.
      }
      if (isDirectory) {
        watchers.push(watch(path, { recursive: true }, (_, name) => report(name ? join(path, name) : path)))
      } else {
        const names = files.get(dirname(path)) ?? new Set<string>()
        names.add(basename(path))
        files.set(dirname(path), names)
      }
    }
    for (const [directory, names] of files) {
      try {
        watchers.push(
          watch(directory, (_, name) => {
            if (name !== null && names.has(name)) report(join(directory, name))
          }),
        )
      } catch {
        // The folder itself is gone: nothing left to watch there.
      }
    }
  }

  const close = (): void => {
    clearTimeout(timer)
    for (const watcher of watchers) watcher.close()
    watchers = []
  }

  start(paths)
  return {
    update(next) {
      close()
      start(next)
    },
    close,
  }
}
