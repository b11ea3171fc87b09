/**
 * Case 2, the cold cost: what each package adds to a cold start. Import time is measured in a fresh Node
 * process per sample (the time of `await import(pkg)` there), alternating with the anchor's; bundle size
 * is the package bundled and minified by esbuild, its peer dependencies left out (the user brings them).
 */
import { execFile } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { baselineCase, comparedCase, skippedCase, valueCase } from '../harness/cases.js'
import { alternate, compare } from '../harness/measure.js'
import type { CaseResult, Mode, Suite, Target } from '../harness/types.js'

const run = promisify(execFile)
const ROOT = new URL('../../', import.meta.url)
const BUNDLES = new URL('../.tmp/bundles/', import.meta.url)
const ANCHOR = '@aws-lambda-powertools/logger'
const PACKAGES = ['container', 'logger', 'pool', 'breaker', 'emulator', 'report'].map(
  (name) => `@lambda-lifetime/${name}`,
)
const CONTAINER = '@lambda-lifetime/container'
const EMPTY = 'import an empty one-line module (bundled setting)'

const IMPORT_TARGET: Target = { on: 'value', op: '<=', limit: 2, text: '<= 2 ms' }
const BUNDLE_TARGET: Target = { on: 'value', op: '<', limit: 5_000, text: '< 5 KB (5,000 B) minified' }

/**
 * The Node built-ins aws-lambda-ric (the runtime client Lambda runs) loads before it loads the handler:
 * a function pays for them whether or not its code imports them, so the "in the runtime" figure
 * preloads them. Without it, node:http alone (~60 ms on this machine) would be charged to any package
 * that imports it.
 */
const RUNTIME_BUILTINS = [
  'node:path',
  'node:fs',
  'node:net',
  'node:http',
  'node:os',
  'node:util',
  'node:async_hooks',
]

const IMPORT_TIMER = [
  'const [specifier, preload] = process.argv.slice(1)',
  "for (const builtin of preload.split(',').filter(Boolean)) await import(builtin)",
  'const t = performance.now()',
  'await import(specifier)',
  'process.stdout.write(String(performance.now() - t))',
].join('\n')

/** Milliseconds `await import(specifier)` takes in a fresh Node process, after importing `preload`. */
const importTime = async (specifier: string, preload: readonly string[]): Promise<number> => {
  const args = ['--input-type=module', '-e', IMPORT_TIMER, specifier, preload.join(',')]
  const { stdout } = await run(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  return Number(stdout)
}

const packageJsonOf = async (specifier: string): Promise<{ peerDependencies?: Record<string, string> }> => {
  const path = new URL(`node_modules/${specifier}/package.json`, ROOT)
  return JSON.parse(await readFile(path, 'utf8'))
}

interface BundleSize {
  /** Where the bundle was written, to time its import too. */
  readonly file: string
  readonly bytes: number
  readonly gzipBytes: number
  readonly external: readonly string[]
}

/** Size of `export * from specifier`, bundled, minified ESM for Node, peers external. */
const bundleSize = async (specifier: string, exports = '*'): Promise<BundleSize> => {
  const external = Object.keys((await packageJsonOf(specifier)).peerDependencies ?? {})
  const result = await build({
    stdin: { contents: `export ${exports} from '${specifier}'`, resolveDir: ROOT.pathname, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external,
    // CommonJS dependencies (opossum, pg) call require(); an ESM bundle needs one, as AWS CDK's docs advise.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    write: false,
    logLevel: 'silent',
  })
  const contents = result.outputFiles[0]?.contents ?? new Uint8Array()
  const file = new URL(`${`${specifier}${exports}`.replace(/[^a-z]+/g, '_')}.mjs`, BUNDLES).pathname
  await writeFile(file, contents)
  return { file, bytes: contents.length, gzipBytes: gzipSync(contents).length, external }
}

/** A package has landed once its built entry exports something. */
const landed = async (specifier: string): Promise<boolean> => {
  try {
    return Object.keys(await import(specifier)).length > 0
  } catch {
    return false
  }
}

/** The import cases of one setting (bare process, or as the runtime leaves it), each against the anchor's. */
const importCases = (
  samples: Map<string, number[]>,
  present: readonly string[],
  setting: { readonly label: string; readonly note: string; readonly target: boolean },
): CaseResult[] => {
  const anchor = samples.get(ANCHOR) ?? []
  return [
    baselineCase(
      { name: `import ${ANCHOR}${setting.label}`, baseline: null, unit: 'ms', note: setting.note },
      anchor,
    ),
    ...present.map((specifier) =>
      comparedCase(
        {
          name: `import ${specifier}${setting.label}`,
          baseline: `import ${ANCHOR}${setting.label}`,
          unit: 'ms',
          ...(setting.target && specifier === CONTAINER ? { target: IMPORT_TARGET } : {}),
          note: setting.note,
        },
        compare(samples.get(specifier) ?? [], anchor),
      ),
    ),
  ]
}

const bundleCases = (bundles: Map<string, BundleSize>, present: readonly string[]): CaseResult[] => {
  const anchor = bundles.get(ANCHOR) as BundleSize
  const noteOf = (bundle: BundleSize) =>
    `esbuild minified ESM, ${bundle.gzipBytes} B gzipped` +
    (bundle.external.length === 0 ? '' : `; peers left out: ${bundle.external.join(', ')}`)
  const cases = [
    valueCase({ name: `bundle ${ANCHOR}`, baseline: null, unit: 'B', note: noteOf(anchor) }, anchor.bytes),
  ]
  for (const specifier of present) {
    const bundle = bundles.get(specifier) as BundleSize
    cases.push(
      valueCase(
        {
          name: `bundle ${specifier}`,
          baseline: `bundle ${ANCHOR}`,
          unit: 'B',
          ...(specifier === CONTAINER ? { target: BUNDLE_TARGET } : {}),
          note: noteOf(bundle),
        },
        bundle.bytes,
        bundle.bytes / anchor.bytes,
      ),
    )
  }
  return cases
}

/** What a function that imports only the middleware bundles: the package is `sideEffects: false`. */
const treeShakenCase = async (bundles: Map<string, BundleSize>): Promise<CaseResult> => {
  const shaken = await bundleSize(CONTAINER, '{ containerLifetime }')
  const anchor = bundles.get(ANCHOR) as BundleSize
  return valueCase(
    {
      name: `bundle ${CONTAINER}, containerLifetime only`,
      baseline: `bundle ${ANCHOR}`,
      unit: 'B',
      note: `\`export { containerLifetime }\`, tree-shaken; ${shaken.gzipBytes} B gzipped`,
    },
    shaken.bytes,
    shaken.bytes / anchor.bytes,
  )
}

export const coldSuite: Suite = {
  id: 'cold',
  name: 'cold cost',
  async run(mode: Mode): Promise<CaseResult[]> {
    const present: string[] = []
    const skipped: CaseResult[] = []
    for (const specifier of PACKAGES) {
      if (await landed(specifier)) present.push(specifier)
      else
        skipped.push(
          skippedCase(
            { name: `import ${specifier}`, baseline: `import ${ANCHOR}`, unit: 'ms' },
            'not landed',
          ),
        )
    }
    await mkdir(BUNDLES, { recursive: true })
    const bundles = new Map<string, BundleSize>()
    for (const specifier of [ANCHOR, ...present]) bundles.set(specifier, await bundleSize(specifier))
    const rounds = mode === 'quick' ? 3 : 15
    const empty = new URL('empty.mjs', BUNDLES).pathname
    await writeFile(empty, 'export {}\n')
    const measure = (preload: readonly string[], bundled: boolean) =>
      alternate(
        [
          ...[ANCHOR, ...present].map((specifier) => {
            const target = bundled ? (bundles.get(specifier)?.file ?? specifier) : specifier
            return [specifier, () => importTime(target, preload)] as const
          }),
          // The floor: what any one-file import costs here (module loader, file read, compile).
          ...(bundled ? [[EMPTY, () => importTime(empty, preload)] as const] : []),
        ],
        rounds,
      )
    const inRuntime = 'fresh process, runtime built-ins preloaded (see README)'
    const bundledSamples = await measure(RUNTIME_BUILTINS, true)
    return [
      ...importCases(await measure(RUNTIME_BUILTINS, false), present, {
        label: '',
        note: `${inRuntime}, package as installed (one file per module); median of ${rounds}`,
        target: true,
      }),
      ...importCases(bundledSamples, present, {
        label: ' (bundled)',
        note: `${inRuntime}, the esbuild bundle below (how functions are deployed); median of ${rounds}`,
        target: true,
      }),
      baselineCase(
        {
          name: EMPTY,
          baseline: null,
          unit: 'ms',
          note: `the floor of any import here; median of ${rounds}`,
        },
        bundledSamples.get(EMPTY) ?? [],
      ),
      ...importCases(await measure([], false), present, {
        label: ' (bare process)',
        note: `fresh Node process, nothing preloaded, package as installed; median of ${rounds}`,
        target: false,
      }),
      ...bundleCases(bundles, present),
      ...(present.includes(CONTAINER) ? [await treeShakenCase(bundles)] : []),
      ...skipped,
    ]
  },
}
