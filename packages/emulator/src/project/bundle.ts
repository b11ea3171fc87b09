/**
 * TypeScript handlers bundled with esbuild the way CDK's `NodejsFunction` bundles them, so local code is
 * the code Lambda would run: one file, `--platform=node`, `--target` from the runtime (`nodejs24.x` →
 * `node24`), `@aws-sdk/*` left out (the runtime ships it), esbuild's own main fields for Node. Three
 * choices go beyond `NodejsFunction`'s defaults, as issue 14 asks and as this repository's examples set
 * them: ESM output (`index.mjs`, CDK's name for it), source maps on (with `--enable-source-maps` in the
 * runtime a stack trace points at the `.ts` line), and the `createRequire` banner that lets bundled
 * CommonJS dependencies call `require` from an ES module.
 *
 * Wiring:
 * - `serve`: for each function, `findHandlerEntry(codeDir, handler)`; when `needsBundle`, `bundleHandler`
 *   into `.lambda-lifetime/build/<function>` and run the function with the result's `codeDir`/`handler`,
 *   adding `nodeOptions` to its `NODE_OPTIONS`.
 * - Hot reload: watch `result.watchFiles` (from esbuild's metafile); on a change, bundle again into a new
 *   folder (`build/<function>/<version>`) so environments of the old code keep their files while they
 *   drain. A `BundleError` keeps the old code serving and prints `error.format()`.
 */
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { styleText } from 'node:util'
import { build, type Message } from 'esbuild'

/** Where a handler string points: the file and the export. */
export interface HandlerEntry {
  /** Absolute path of the handler file. */
  readonly file: string
  /** Exported function name (`handler` of `app.handler`). */
  readonly exportName: string
  /** True for `.ts`, `.mts`, `.cts`, `.tsx`: Node runs them only bundled (or stripped) here. */
  readonly needsBundle: boolean
}

/** Options of `bundleHandler`. */
export interface BundleOptions {
  /** Absolute (or working-directory relative) path of the entry file. */
  readonly entry: string
  /** The handler's export name. Default `handler`. */
  readonly exportName?: string
  /** Output folder (created); the bundle is `index.mjs` in it, with `index.mjs.map`. */
  readonly outDir: string
  /** Lambda runtime, for the target: `nodejs24.x` → `node24`. Default `nodejs24.x`. */
  readonly runtime?: string
  /** Modules left out of the bundle. Default `['@aws-sdk/*']`, as `NodejsFunction` on Node 18+. */
  readonly external?: readonly string[]
  /** Minify (`NodejsFunction` default false). */
  readonly minify?: boolean
}

/** A finished bundle. */
export interface BundleResult {
  /** The folder to use as the function's `codeDir` (`LAMBDA_TASK_ROOT`). */
  readonly codeDir: string
  /** The `_HANDLER` to run: `index.<export>`. */
  readonly handler: string
  readonly outFile: string
  /** Source files the bundle was built from (absolute, `node_modules` left out): what to watch. */
  readonly watchFiles: readonly string[]
  /** Add to the function's `NODE_OPTIONS` so stack traces use the source map. */
  readonly nodeOptions: '--enable-source-maps'
  /** esbuild warnings, formatted like errors. */
  readonly warnings: readonly BuildProblem[]
}

/** One esbuild message, with its place in the source. */
export interface BuildProblem {
  readonly message: string
  /** Absolute file path, when esbuild gave a place. */
  readonly file?: string
  readonly line?: number
  /** 1-based, as editors count. */
  readonly column?: number
  readonly lineText?: string
}

const TYPESCRIPT_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx'] as const
/** Node's runtime client looks for these, in this order, before TypeScript is considered. */
const JAVASCRIPT_EXTENSIONS = ['.js', '.mjs', '.cjs'] as const

/** A build that failed: every error with file, line, column and esbuild's text. */
export class BundleError extends Error {
  readonly problems: readonly BuildProblem[]
  readonly entry: string
  constructor(entry: string, problems: readonly BuildProblem[]) {
    super(formatBuildProblems(problems, { color: false }), {
      cause: { package: '@lambda-lifetime/emulator' },
    })
    this.name = 'BundleError'
    this.entry = entry
    this.problems = problems
  }

  /** The problems for a terminal; colour only when asked (pass `stream.isTTY && !process.env.NO_COLOR`). */
  format(options: { readonly color: boolean }): string {
    return formatBuildProblems(this.problems, options)
  }
}

/**
 * Finds the file of a handler string in a code folder: `app.handler` → `app.js`/`.mjs`/`.cjs`, else
 * `app.ts`/`.mts`/`.cts`/`.tsx` (then `needsBundle`). Undefined when there is no such file.
 *
 * @example
 * ```ts
 * findHandlerEntry('/work/app/src', 'orders/app.handler')
 * // { file: '/work/app/src/orders/app.ts', exportName: 'handler', needsBundle: true }
 * ```
 */
export const findHandlerEntry = (codeDir: string, handler: string): HandlerEntry | undefined => {
  const dot = handler.lastIndexOf('.')
  if (dot <= 0 || dot === handler.length - 1) return undefined
  const modulePath = resolve(codeDir, handler.slice(0, dot))
  const exportName = handler.slice(dot + 1)
  for (const extension of JAVASCRIPT_EXTENSIONS) {
    if (existsSync(`${modulePath}${extension}`)) {
      return { file: `${modulePath}${extension}`, exportName, needsBundle: false }
    }
  }
  for (const extension of TYPESCRIPT_EXTENSIONS) {
    if (existsSync(`${modulePath}${extension}`)) {
      return { file: `${modulePath}${extension}`, exportName, needsBundle: true }
    }
  }
  return undefined
}

/**
 * `NodejsFunction`'s target for a runtime: the Node major of `nodejsNN.x`. Other runtimes get `node24`.
 *
 * @example
 * ```ts
 * esbuildTarget('nodejs22.x') // 'node22'
 * ```
 */
export const esbuildTarget = (runtime: string): string => {
  const major = /^nodejs(\d+)/.exec(runtime)?.[1]
  return major === undefined ? 'node24' : `node${major}`
}

/** ES modules have no `require`; bundled CommonJS dependencies still call it. */
const REQUIRE_SHIM =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"

const toProblem = (message: Message, workingDir: string): BuildProblem => {
  const { location } = message
  if (location === null) return { message: message.text }
  return {
    message: message.text,
    file: isAbsolute(location.file) ? location.file : resolve(workingDir, location.file),
    line: location.line,
    column: location.column + 1,
    lineText: location.lineText,
  }
}

/**
 * Bundles a handler entry into `outDir/index.mjs` (+ source map) and says what to run and what to watch.
 * A failed build throws a `BundleError` with every error's file, line and column.
 *
 * @example
 * ```ts
 * const bundle = await bundleHandler({ entry: 'src/app.ts', outDir: '.lambda-lifetime/build/orders', runtime: 'nodejs24.x' })
 * bundle.handler     // 'index.handler'
 * bundle.watchFiles  // ['/…/src/app.ts', '/…/src/db.ts']
 * ```
 */
export const bundleHandler = async (options: BundleOptions): Promise<BundleResult> => {
  const entry = resolve(options.entry)
  const outDir = resolve(options.outDir)
  const outFile = join(outDir, 'index.mjs')
  const workingDir = dirname(entry)
  let result: Awaited<ReturnType<typeof build<{ metafile: true; write: true }>>>
  try {
    result = await build({
      entryPoints: [entry],
      absWorkingDir: workingDir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: esbuildTarget(options.runtime ?? 'nodejs24.x'),
      outfile: outFile,
      sourcemap: true,
      minify: options.minify ?? false,
      external: [...(options.external ?? ['@aws-sdk/*'])],
      banner: { js: REQUIRE_SHIM },
      metafile: true,
      write: true,
      logLevel: 'silent',
    })
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors
    if (!Array.isArray(messages)) throw error
    throw new BundleError(
      entry,
      messages.map((message) => toProblem(message, workingDir)),
    )
  }
  const watchFiles = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes('node_modules/') && !input.includes(':'))
    .map((input) => resolve(workingDir, input))
  return {
    codeDir: outDir,
    handler: `index.${options.exportName ?? 'handler'}`,
    outFile,
    watchFiles,
    nodeOptions: '--enable-source-maps',
    warnings: result.warnings.map((message) => toProblem(message, workingDir)),
  }
}

/** Relative to the working directory when the file is inside it, else absolute. */
const displayPath = (file: string, cwd: string): string => {
  const path = relative(cwd, file)
  return path.startsWith('..') || isAbsolute(path) ? file : path
}

/**
 * Formats build problems the way a terminal shows a compiler error: `file:line:column: error: text`, the
 * source line and a caret under the column. Paths are relative to the working directory.
 *
 * @example
 * ```ts
 * formatBuildProblems(error.problems, { color: process.stderr.isTTY })
 * // src/app.ts:3:14: error: Expected ";" but found "orders"
 * //     const x = 1 orders
 * //                 ^
 * ```
 */
export const formatBuildProblems = (
  problems: readonly BuildProblem[],
  options: { readonly color: boolean; readonly cwd?: string },
): string => {
  const paint = (format: Parameters<typeof styleText>[0], text: string): string =>
    options.color ? styleText(format, text, { validateStream: false }) : text
  return problems
    .map((problem) => {
      const place =
        problem.file === undefined
          ? ''
          : `${displayPath(problem.file, options.cwd ?? process.cwd())}:${problem.line}:${problem.column}: `
      const head = `${paint('bold', place)}${paint('red', 'error:')} ${problem.message}`
      if (problem.lineText === undefined || problem.column === undefined) return head
      const caret = `${' '.repeat(problem.column - 1)}^`
      return `${head}\n    ${problem.lineText}\n    ${paint('green', caret)}`
    })
    .join('\n')
}
