// Lambda's Node.js runtimes ship the AWS SDK for JavaScript v3 in /var/runtime/node_modules: code
// bundled with @aws-sdk/* left out, or not bundled at all, imports it from there. Loaded with
// `--import` by the emulator, this module lets `import` and `require` of the SDK's packages fall back
// to the copy installed with the emulator when the function has none of its own. The `from` query of
// this module's URL names a file whose node_modules ancestors hold that copy.
import { createRequire, registerHooks } from 'node:module'
import { pathToFileURL } from 'node:url'

const PROVIDED = /^@(?:aws-sdk|smithy|aws-crypto)\//
const from = new URL(import.meta.url).searchParams.get('from')

if (from !== null) {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context)
      } catch (error) {
        const notFound = error?.code === 'ERR_MODULE_NOT_FOUND' || error?.code === 'MODULE_NOT_FOUND'
        if (!notFound || !PROVIDED.test(specifier)) throw error
        // Node's resolver answers a require() for the requiring module whatever parentURL says.
        if (context.conditions?.includes('require')) {
          return { url: pathToFileURL(createRequire(from).resolve(specifier)).href, shortCircuit: true }
        }
        return nextResolve(specifier, { ...context, parentURL: from })
      }
    },
  })
}
