// Lambda's nodejs22.x runs callback-style handlers, `(event, context, callback)`; aws-lambda-ric 4.x
// (the client of nodejs24.x and Managed Instances) refuses them at init. On Node 22 outside Managed
// Instances the emulator hands the runtime client this module as the handler: it loads the function's
// handler as the client would (same file lookup, same nested export names) and gives the client an
// async handler that settles when the callback is called or the returned promise settles, first one wins.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming')

const handlerString = process.env._LAMBDA_LIFETIME_HANDLER ?? ''
const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd()
// The function sees its own handler name, as on Lambda.
process.env._HANDLER = handlerString
delete process.env._LAMBDA_LIFETIME_HANDLER

const loadModule = async () => {
  const file = basename(handlerString)
  const moduleRoot = handlerString.slice(0, handlerString.length - file.length)
  const dot = file.indexOf('.')
  const moduleName = file.slice(0, dot)
  const base = resolve(taskRoot, moduleRoot, moduleName)
  for (const extension of ['', '.js', '.mjs', '.cjs']) {
    const path = `${base}${extension}`
    if (existsSync(path)) return { module: await import(pathToFileURL(path).href), name: file.slice(dot + 1) }
  }
  const require = createRequire(join(taskRoot, 'index.js'))
  return {
    module: require(require.resolve(moduleName, { paths: [taskRoot, join(taskRoot, moduleRoot)] })),
    name: file.slice(dot + 1),
  }
}

const findIn = (name, module) =>
  name
    .split('.')
    .reduce((nested, key) => (nested && typeof nested === 'object' ? nested[key] : undefined), module)

const { module, name } = await loadModule()
const userHandler = findIn(name, module) ?? findIn(name, module?.default)
if (typeof userHandler !== 'function') {
  const error = new Error(
    `${handlerString} is ${userHandler === undefined ? 'undefined or not exported' : 'not a function'}`,
  )
  error.name = 'Runtime.HandlerNotFound'
  throw error
}

const takesCallback = userHandler.length >= 3 && !userHandler[STREAMING]

/** The function's handler, with a callback-style one turned into an async one. */
export const handler = takesCallback
  ? (event, context) =>
      new Promise((resolvePromise, rejectPromise) => {
        const callback = (error, result) => (error ? rejectPromise(error) : resolvePromise(result))
        try {
          const returned = userHandler(event, context, callback)
          if (returned && typeof returned.then === 'function') returned.then(resolvePromise, rejectPromise)
        } catch (error) {
          rejectPromise(error)
        }
      })
  : userHandler
