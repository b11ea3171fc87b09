/**
 * Bundles an example's handler with esbuild into `examples/<name>/dist/index.mjs`, the way the CDK
 * stack's `NodejsFunction` does for AWS (one ES module, CommonJS dependencies given a `require`), so the
 * emulator runs what would be deployed.
 *
 * One difference: `@lambda-lifetime/*` resolve to the packages' TypeScript sources, so local runs and
 * tests never depend on a previous `tsc --build`. `@aws-sdk/*` stay external, as on AWS, where the
 * Node.js runtime ships the SDK; here they resolve from the repository's node_modules.
 */
import { existsSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

const workspaceSources = {
  name: 'lambda-lifetime-sources',
  setup(builder) {
    builder.onResolve({ filter: /^@lambda-lifetime\/[a-z-]+$/ }, ({ path }) => {
      const source = `${repoRoot}packages/${path.slice('@lambda-lifetime/'.length)}/src/index.ts`
      return existsSync(source) ? { path: source } : undefined
    })
  },
}

/**
 * Bundles `examples/<name>/src/handler.ts` and returns where the emulator finds it. Several processes may
 * bundle the same example at once (Jest workers, `npm start` beside `npm run demo`): each file is written
 * under a name of its own and renamed into place, so a runtime never loads a half-written bundle.
 *
 * @example
 * const { taskRoot, handler } = await bundleExample('hello')
 * // taskRoot: '/…/examples/hello/dist', handler: 'index.handler'
 */
export const bundleExample = async (name) => {
  const exampleDir = `${repoRoot}examples/${name}`
  const result = await build({
    entryPoints: [`${exampleDir}/src/handler.ts`],
    outfile: `${exampleDir}/dist/index.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    sourcemap: 'linked',
    external: ['@aws-sdk/*', 'pg-native'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    plugins: [workspaceSources],
    logLevel: 'warning',
    write: false,
  })
  for (const file of result.outputFiles) {
    const partial = `${file.path}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`
    await mkdir(dirname(file.path), { recursive: true })
    await writeFile(partial, file.contents)
    await rename(partial, file.path)
  }
  return { taskRoot: `${exampleDir}/dist`, handler: 'index.handler' }
}
