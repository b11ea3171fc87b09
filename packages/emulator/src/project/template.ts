/**
 * The user's own project as the emulator sees it: the functions and HTTP routes of a SAM template
 * (`template.yaml`/`.yml`/`.json`) or of a CDK app's synthesized cloud assembly (`cdk.out`), in one
 * neutral model.
 *
 * Wiring (the step after this one):
 * - `lambda-lifetime serve --template <file|dir> [--env-vars env.json] [--parameter-overrides K=V]`:
 *   `loadProject(path, { region, accountId, envVarsFile, parameters })`, print `project.skipped` and
 *   `project.warnings` once, build each function with `createFunctionBuilder` (`reload.ts`: TypeScript
 *   bundled, JavaScript as is), `startEmulator({ functions: outcomes.map((o) => o.built.config) })`, and
 *   serve `project.routes` on the HTTP port through `createRouter` (`routes.ts`), building a 2.0 or 1.0
 *   event from the matched route's `payloadFormat` (see `test/project/pieces.test.ts`, which does all of
 *   this by hand).
 * - Without `--template`, `serve` looks in the working directory (`findProjectFile`), so
 *   `cd examples/orders-api && npx cdk synth && lambda-lifetime serve` is the whole set-up.
 * - Hot reload: `watchPaths` on each build's `watchFiles` (`reload.ts`), and on `project.files` to load
 *   the template again when it changes.
 *
 * The loaders are split by seam: `model.ts` (the types), `reader.ts` (one template, checked accessors),
 * `sam.ts` (serverless functions), `cloudformation.ts` (resources and routes), this file (finding and
 * loading a project, env-vars files, CDK manifests).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describeValue, isRecord } from '@lambda-lifetime/commons'
import type { FunctionConfig } from '../types.js'
import { readResources } from './cloudformation.js'
import {
  type HttpRoute,
  type LoadProjectOptions,
  type Project,
  type ProjectFunction,
  TemplateError,
} from './model.js'
import { readTemplateFile, TemplateReader } from './reader.js'

export type { ApiKind, HttpRoute, LoadProjectOptions, Project, ProjectFunction } from './model.js'
export { TemplateError } from './model.js'

const SAM_TEMPLATE_NAMES = ['template.yaml', 'template.yml', 'template.json'] as const

/**
 * Finds the project file in a directory: a SAM template first, else `cdk.out/manifest.json`, else a
 * `manifest.json` in the directory itself (it is a `cdk.out`). Undefined when there is neither.
 *
 * @example
 * ```ts
 * findProjectFile('examples/orders-api') // '/…/examples/orders-api/cdk.out/manifest.json' after `cdk synth`
 * ```
 */
export const findProjectFile = (directory: string): string | undefined => {
  const candidates = [
    ...SAM_TEMPLATE_NAMES.map((name) => join(directory, name)),
    join(directory, 'cdk.out', 'manifest.json'),
    join(directory, 'manifest.json'),
  ]
  return candidates.map((file) => resolve(file)).find((file) => existsSync(file))
}

/**
 * Loads a SAM template, or a CDK cloud assembly (`cdk.out` or its `manifest.json`), or a directory that
 * holds either, into functions and routes with intrinsics resolved to local values.
 *
 * @example
 * ```ts
 * const project = loadProject('examples/orders-api/cdk.out', { region: 'eu-west-1' })
 * project.functions[0]?.handler  // 'index.handler'
 * project.routes[0]              // { api: 'OrdersHttpApi…', kind: 'http-api', method: 'ANY', path: '$default', … }
 * project.skipped                // { 'AWS::DynamoDB::GlobalTable': 1 }
 * ```
 */
export const loadProject = (path: string, options: LoadProjectOptions = {}): Project => {
  const absolute = resolve(path)
  if (!existsSync(absolute)) throw new TemplateError(absolute, '', 'does not exist')
  const file = statSync(absolute).isDirectory() ? findProjectFile(absolute) : absolute
  if (file === undefined) {
    throw new TemplateError(
      absolute,
      '',
      `has no ${SAM_TEMPLATE_NAMES.join(', ')}, cdk.out/manifest.json or manifest.json`,
    )
  }
  const envVars = options.envVarsFile === undefined ? {} : readEnvVarsFile(options.envVarsFile)
  const project = file.endsWith('manifest.json')
    ? loadCdkAssembly(file, options)
    : loadSamTemplate(file, options)
  return applyEnvVars(project, envVars)
}

/** Per-function variables from an env-vars file; `Parameters` applies to every function. */
export type EnvVarsFile = Readonly<Record<string, Readonly<Record<string, string>>>>

/**
 * Reads a `sam local --env-vars` file: `{ "<function logical id or name>": { VAR: value }, "Parameters":
 * { VAR: value } }`. Values may be strings, numbers or booleans; they become strings.
 *
 * @example
 * ```ts
 * readEnvVarsFile('env.json') // { Orders: { TABLE: 'orders-local' }, Parameters: { STAGE: 'dev' } }
 * ```
 */
export const readEnvVarsFile = (file: string): EnvVarsFile => {
  const absolute = resolve(file)
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(absolute, 'utf8'))
  } catch (error) {
    throw new TemplateError(absolute, '', `is not a readable JSON file: ${(error as Error).message}`)
  }
  if (!isRecord(parsed)) throw new TemplateError(absolute, '(top level)', 'must be an object')
  const result: Record<string, Record<string, string>> = {}
  for (const [target, variables] of Object.entries(parsed)) {
    result[target] = stringRecord(variables, absolute, target)
  }
  return result
}

const stringRecord = (value: unknown, file: string, path: string): Record<string, string> => {
  if (!isRecord(value)) throw new TemplateError(file, path, `must be an object, got ${describeValue(value)}`)
  const result: Record<string, string> = {}
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      throw new TemplateError(file, `${path}.${key}`, `must be a string, got ${describeValue(item)}`)
    }
    result[key] = String(item)
  }
  return result
}

const applyEnvVars = (project: Project, envVars: EnvVarsFile): Project => {
  if (Object.keys(envVars).length === 0) return project
  const functions = project.functions.map((fn) => ({
    ...fn,
    env: { ...fn.env, ...envVars.Parameters, ...envVars[fn.logicalId], ...envVars[fn.name] },
  }))
  return { ...project, functions }
}

/**
 * The `FunctionConfig` the emulator takes, from a project function (after bundling, pass the bundle's
 * directory and handler instead of the source ones).
 *
 * @example
 * ```ts
 * startEmulator({ functions: project.functions.map((fn) => toFunctionConfig(fn)) })
 * ```
 */
export const toFunctionConfig = (
  fn: ProjectFunction,
  built: { readonly codeDir: string; readonly handler: string } = fn,
): FunctionConfig => ({
  name: fn.name,
  handler: built.handler,
  codeDir: built.codeDir,
  env: fn.env,
  memoryMb: fn.memoryMb,
  timeoutMs: fn.timeoutMs,
  ...(fn.reservedConcurrency === undefined ? {} : { concurrency: fn.reservedConcurrency }),
  ...(fn.provisioned === undefined ? {} : { provisioned: fn.provisioned }),
})

/**
 * Loads one SAM template (YAML or JSON): its `AWS::Serverless::Function`s with `Globals.Function` merged
 * in, and the routes of their `HttpApi`/`Api` events and `FunctionUrlConfig`. Plain `AWS::Lambda::*` and
 * API Gateway resources in the same template are read too.
 *
 * @example
 * ```ts
 * const project = loadSamTemplate('template.yaml', { parameters: { Stage: 'dev' } })
 * ```
 */
export const loadSamTemplate = (file: string, options: LoadProjectOptions = {}): Project => {
  const absolute = resolve(file)
  const stackName = options.stackName ?? 'local'
  const reader = new TemplateReader(absolute, readTemplateFile(absolute), stackName, options)
  const { functions, routes } = readResources(reader, dirname(absolute))
  return {
    kind: 'sam',
    files: [absolute],
    functions,
    routes,
    skipped: reader.skipped,
    warnings: reader.warnings,
  }
}

interface StackArtifact {
  readonly name: string
  readonly templateFile: string
  readonly assemblyDir: string
}

/** Stack artifacts of a manifest, nested assemblies (CDK stages) included. */
const stackArtifacts = (manifestFile: string, depth = 0): StackArtifact[] => {
  let manifest: unknown
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
  } catch (error) {
    throw new TemplateError(
      manifestFile,
      '',
      `is not a readable cloud assembly manifest: ${(error as Error).message}`,
    )
  }
  const artifacts = isRecord(manifest) ? manifest.artifacts : undefined
  if (!isRecord(artifacts)) throw new TemplateError(manifestFile, 'artifacts', 'must be an object')
  const assemblyDir = dirname(manifestFile)
  const stacks: StackArtifact[] = []
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (!isRecord(artifact) || !isRecord(artifact.properties)) continue
    const { properties } = artifact
    if (artifact.type === 'aws:cloudformation:stack' && typeof properties.templateFile === 'string') {
      const name = typeof properties.stackName === 'string' ? properties.stackName : id
      stacks.push({ name, templateFile: join(assemblyDir, properties.templateFile), assemblyDir })
    }
    if (artifact.type === 'cdk:cloud-assembly' && typeof properties.directoryName === 'string' && depth < 8) {
      stacks.push(...stackArtifacts(join(assemblyDir, properties.directoryName, 'manifest.json'), depth + 1))
    }
  }
  return stacks
}

/**
 * Loads a CDK cloud assembly (`cdk.out/manifest.json`): every stack's template, each
 * `AWS::Lambda::Function` with the asset folder of its `aws:asset:path` metadata as code, Function URLs,
 * HTTP API (`AWS::ApiGatewayV2::*`) and REST API (`AWS::ApiGateway::*`) routes. `cdk synth` writes the
 * metadata by default; an app synthesized with `--no-asset-metadata` has no local code to run.
 *
 * @example
 * ```ts
 * const project = loadCdkAssembly('cdk.out/manifest.json')
 * ```
 */
export const loadCdkAssembly = (manifestFile: string, options: LoadProjectOptions = {}): Project => {
  const absolute = resolve(manifestFile)
  const functions: ProjectFunction[] = []
  const routes: HttpRoute[] = []
  const skipped: Record<string, number> = {}
  const warnings: string[] = []
  const files: string[] = []
  for (const stack of stackArtifacts(absolute)) {
    files.push(stack.templateFile)
    const reader = new TemplateReader(
      stack.templateFile,
      readTemplateFile(stack.templateFile),
      stack.name,
      options,
    )
    const found = readResources(reader, stack.assemblyDir)
    for (const fn of found.functions) {
      if (functions.some((other) => other.name === fn.name)) {
        warnings.push(`${stack.name}/${fn.logicalId}: a function named ${fn.name} is already loaded, skipped`)
      } else {
        functions.push(fn)
      }
    }
    routes.push(...found.routes)
    warnings.push(...reader.warnings)
    for (const [type, count] of Object.entries(reader.skipped)) skipped[type] = (skipped[type] ?? 0) + count
  }
  return { kind: 'cdk', files, functions, routes, skipped, warnings }
}
