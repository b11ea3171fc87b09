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
 * Bundles `examples/<name>/src/handler.ts` and returns where the emulator finds it.
 *
 * @example
 * const { taskRoot, handler } = await bundleExample('hello')
 * // taskRoot: '/…/examples/hello/dist', handler: 'index.handler'
 */
export const bundleExample = async (name) => {
  const exampleDir = `${repoRoot}examples/${name}`
  await build({
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
  })
  return { taskRoot: `${exampleDir}/dist`, handler: 'index.handler' }
}
