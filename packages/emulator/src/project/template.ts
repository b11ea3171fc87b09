/**
 * The user's own project as the emulator sees it: the functions and HTTP routes of a SAM template
 * (`template.yaml`/`.yml`/`.json`) or of a CDK app's synthesized cloud assembly (`cdk.out`), in one
 * neutral model.
 *
 * Wiring (the step after this one):
 * - `lambda-lifetime serve --template <file|dir> [--env-vars env.json] [--parameter-overrides K=V]`:
 *   `loadProject(path, { region, accountId, envVarsFile, parameters })`, print `project.skipped` and
 *   `project.warnings` once, then `startEmulator({ functions: project.functions.map(toFunctionConfig) })`
 *   after bundling every TypeScript entry (`bundle.ts`), and serve `project.routes` on the HTTP port through
 *   `createRouter` (`routes.ts`), building a 2.0 or 1.0 event from the matched route's `payloadFormat`.
 * - Without `--template`, `serve` looks in the working directory (`findProjectFile`), so
 *   `cd examples/orders-api && npx cdk synth && lambda-lifetime serve` is the whole set-up.
 * - Hot reload: watch `codeDir` (or the bundle's `inputs`), reload the template itself on change.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { describeValue, isRecord } from '@lambda-lifetime/commons'
import type { FunctionConfig } from '../types.js'
import { parseTemplateText } from './cfn-yaml.js'
import {
  intrinsicName,
  type PseudoParameters,
  type ResolveScope,
  referencedLogicalIds,
  resolveIntrinsics,
} from './intrinsics.js'

/** One function of the project, with what the emulator needs to run it. */
export interface ProjectFunction {
  /** `FunctionName` when the template sets one as a plain value, else the logical id. */
  readonly name: string
  readonly logicalId: string
  /** Stack (CDK) or template file name (SAM) it comes from. */
  readonly stack: string
  /** CDK construct path (`Orders/Orders`), when the template has it: a friendlier alias of a hashed id. */
  readonly constructPath?: string
  /** `_HANDLER` as written: `app.handler`, `src/index.handler`. */
  readonly handler: string
  /** Absolute directory of the code (SAM `CodeUri`, CDK asset folder). */
  readonly codeDir: string
  /** `nodejs24.x`, … */
  readonly runtime: string
  readonly memoryMb: number
  readonly timeoutMs: number
  readonly env: Readonly<Record<string, string>>
  readonly reservedConcurrency?: number
  readonly provisioned?: number
  readonly architecture: 'x86_64' | 'arm64'
  /** SAM `Metadata.BuildProperties.EntryPoints[0]` when the function is built with esbuild. */
  readonly entryPoint?: string
}

/** What kind of front door a route belongs to. */
export type ApiKind = 'http-api' | 'rest-api' | 'function-url'

/** One HTTP route: `GET /orders/{id}` of an API, to a function. */
export interface HttpRoute {
  /** Logical id of the API (`ServerlessHttpApi`, `ServerlessRestApi` for SAM's implicit ones). */
  readonly api: string
  readonly kind: ApiKind
  /** `2.0` for HTTP APIs (unless an integration says otherwise) and Function URLs, `1.0` for REST APIs. */
  readonly payloadFormat: '1.0' | '2.0'
  /** Upper case, or `ANY`. */
  readonly method: string
  /** `/orders/{id}`, `/files/{proxy+}`, or `$default`. */
  readonly path: string
  /** `name` of the target function. */
  readonly functionName: string
}

/** The loaded project. */
export interface Project {
  readonly kind: 'sam' | 'cdk'
  /** The template files read, absolute. */
  readonly files: readonly string[]
  readonly functions: readonly ProjectFunction[]
  readonly routes: readonly HttpRoute[]
  /** Resource types the emulator does not run (DynamoDB tables, queues, …) → how many: list once, not fatal. */
  readonly skipped: Readonly<Record<string, number>>
  /** Things that load but may surprise (a function without local code, a name used twice). */
  readonly warnings: readonly string[]
}

/** Options of `loadProject`. */
export interface LoadProjectOptions {
  /** `AWS::Region`. Default `us-east-1`. */
  readonly region?: string
  /** `AWS::AccountId`. Default `000000000000`. */
  readonly accountId?: string
  /** `AWS::Partition`. Default `aws`. */
  readonly partition?: string
  /** Template parameter overrides (as `--parameter-overrides`), over each parameter's `Default`. */
  readonly parameters?: Readonly<Record<string, string>>
  /** A `sam local --env-vars` file: `{ "<logical id or name>": { VAR: value }, "Parameters": { VAR: value } }`. */
  readonly envVarsFile?: string
}

/** A template that loads but says something the emulator cannot use; names the file and the path. */
export class TemplateError extends Error {
  readonly file: string
  readonly path: string
  constructor(file: string, path: string, message: string) {
    super(path === '' ? `${file}: ${message}` : `${file}: ${path} ${message}`, {
      cause: { package: '@lambda-lifetime/emulator' },
    })
    this.name = 'TemplateError'
    this.file = file
    this.path = path
  }
}

const SAM_TEMPLATE_NAMES = ['template.yaml', 'template.yml', 'template.json'] as const

/** Types that have no local meaning worth a line (permissions, log groups, deployments, CDK bookkeeping). */
const NOT_NEEDED_LOCALLY = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Version',
  'AWS::Logs::LogGroup',
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGatewayV2::Stage',
  'AWS::ApiGatewayV2::Deployment',
])

/** Types this loader reads. */
const READ_TYPES = new Set([
  'AWS::Serverless::Function',
  'AWS::Serverless::HttpApi',
  'AWS::Serverless::Api',
  'AWS::Lambda::Function',
  'AWS::Lambda::Url',
  'AWS::Lambda::Alias',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
])

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
type EnvVarsFile = Readonly<Record<string, Readonly<Record<string, string>>>>

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

// ───────────────────────────── one template ─────────────────────────────

interface Resource {
  readonly Type: string
  readonly Properties: Record<string, unknown>
  readonly Metadata: Record<string, unknown>
  readonly Condition?: string
}

/** One template being read: its resources, the intrinsic scope and the checked accessors. */
class TemplateReader {
  readonly file: string
  readonly resources: Record<string, Resource> = {}
  readonly scope: ResolveScope
  readonly skipped: Record<string, number> = {}
  readonly warnings: string[] = []
  readonly globals: Record<string, unknown>

  constructor(file: string, template: unknown, stackName: string, options: LoadProjectOptions) {
    this.file = file
    if (!isRecord(template)) throw new TemplateError(file, '(top level)', 'must be an object')
    const resources = template.Resources
    if (!isRecord(resources)) throw new TemplateError(file, 'Resources', 'must be an object')
    for (const [logicalId, resource] of Object.entries(resources)) {
      const path = `Resources.${logicalId}`
      if (!isRecord(resource)) throw new TemplateError(file, path, 'must be an object')
      if (typeof resource.Type !== 'string') throw new TemplateError(file, `${path}.Type`, 'must be a string')
      const properties = resource.Properties ?? {}
      if (!isRecord(properties)) throw new TemplateError(file, `${path}.Properties`, 'must be an object')
      const metadata = isRecord(resource.Metadata) ? resource.Metadata : {}
      this.resources[logicalId] = {
        Type: resource.Type,
        Properties: properties,
        Metadata: metadata,
        ...(typeof resource.Condition === 'string' ? { Condition: resource.Condition } : {}),
      }
    }
    const globals = isRecord(template.Globals) ? template.Globals.Function : undefined
    this.globals = isRecord(globals) ? globals : {}
    this.scope = {
      pseudo: pseudoParameters(stackName, options),
      parameters: parameterValues(template.Parameters, options.parameters ?? {}),
      resourceTypes: Object.fromEntries(Object.entries(this.resources).map(([id, r]) => [id, r.Type])),
      resourceNames: this.localNames(),
      conditions: isRecord(template.Conditions) ? template.Conditions : {},
      mappings: isRecord(template.Mappings) ? template.Mappings : {},
    }
  }

  /** A function's `Ref` is its name; a plain `FunctionName` is used as is. */
  private localNames(): Record<string, string> {
    const names: Record<string, string> = {}
    for (const [logicalId, resource] of Object.entries(this.resources)) {
      const name = resource.Properties.FunctionName
      names[logicalId] = typeof name === 'string' && isFunctionType(resource.Type) ? name : logicalId
    }
    return names
  }

  /** Resources whose `Condition` is false locally are not there, as in a deployed stack. */
  active(): Array<[string, Resource]> {
    return Object.entries(this.resources).filter(
      ([, resource]) => resource.Condition === undefined || this.conditionHolds(resource.Condition),
    )
  }

  private conditionHolds(name: string): boolean {
    return resolveIntrinsics(this.scope, { Condition: name }) === true
  }

  countSkipped(type: string): void {
    if (READ_TYPES.has(type) || NOT_NEEDED_LOCALLY.has(type)) return
    this.skipped[type] = (this.skipped[type] ?? 0) + 1
  }

  resolve(value: unknown): unknown {
    return resolveIntrinsics(this.scope, value)
  }

  string(value: unknown, path: string): string {
    const resolved = this.resolve(value)
    if (typeof resolved !== 'string') {
      throw new TemplateError(this.file, path, `must be a string, got ${describeValue(resolved)}`)
    }
    return resolved
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path)
  }

  optionalInteger(value: unknown, path: string): number | undefined {
    if (value === undefined) return undefined
    const resolved = this.resolve(value)
    const number = typeof resolved === 'string' && resolved.trim() !== '' ? Number(resolved) : resolved
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
      throw new TemplateError(this.file, path, `must be a whole number, got ${describeValue(resolved)}`)
    }
    return number
  }

  environment(value: unknown, path: string): Record<string, string> {
    if (value === undefined) return {}
    const resolved = this.resolve(value)
    if (!isRecord(resolved)) throw new TemplateError(this.file, path, 'must be an object')
    const variables = resolved.Variables ?? {}
    if (!isRecord(variables)) throw new TemplateError(this.file, `${path}.Variables`, 'must be an object')
    return Object.fromEntries(
      Object.entries(variables).map(([key, item]) => [
        key,
        typeof item === 'string' ? item : typeof item === 'object' ? JSON.stringify(item) : String(item),
      ]),
    )
  }

  architecture(value: unknown, path: string): 'x86_64' | 'arm64' {
    if (value === undefined) return 'x86_64'
    const resolved = this.resolve(value)
    const [first] = Array.isArray(resolved) ? resolved : [resolved]
    if (first !== 'x86_64' && first !== 'arm64') {
      throw new TemplateError(this.file, `${path}[0]`, `must be x86_64 or arm64, got ${describeValue(first)}`)
    }
    return first
  }

  /** The logical id an `ApiId`/`RestApiId` property refers to (`Ref: MyApi`), if any. */
  apiReferencedBy(value: unknown): string | undefined {
    if (value === undefined) return undefined
    return referencedLogicalIds(value)[0] ?? (typeof value === 'string' ? value : undefined)
  }

  /** The first function a value refers to (`Fn::GetAtt [Fn, Arn]`, `Ref Fn`, `${Fn.Arn}` in a `Fn::Sub`). */
  functionReferencedBy(value: unknown): string | undefined {
    const logicalId = referencedLogicalIds(value).find((id) => isFunctionType(this.resources[id]?.Type))
    return logicalId === undefined ? undefined : this.scope.resourceNames[logicalId]
  }
}

const isFunctionType = (type: string | undefined): boolean =>
  type === 'AWS::Lambda::Function' || type === 'AWS::Serverless::Function'

const pseudoParameters = (stackName: string, options: LoadProjectOptions): PseudoParameters => ({
  region: options.region ?? 'us-east-1',
  accountId: options.accountId ?? '000000000000',
  partition: options.partition ?? 'aws',
  stackName,
})

const parameterValues = (
  declared: unknown,
  overrides: Readonly<Record<string, string>>,
): Record<string, unknown> => {
  const values: Record<string, unknown> = {}
  if (isRecord(declared)) {
    for (const [name, parameter] of Object.entries(declared)) {
      const fallback = isRecord(parameter) ? parameter.Default : undefined
      const type = isRecord(parameter) ? parameter.Type : undefined
      const value = overrides[name] ?? fallback ?? name
      values[name] = type === 'CommaDelimitedList' && typeof value === 'string' ? value.split(',') : value
    }
  }
  return values
}

const readTemplateFile = (file: string): unknown => parseTemplateText(readFileSync(file, 'utf8'), file)

const secondsToMs = (seconds: number | undefined, fallback: number): number => (seconds ?? fallback) * 1000

// ───────────────────────────── SAM ─────────────────────────────

/** SAM's Globals rule: maps merge (the function wins), lists append, plain values are replaced. */
const mergeGlobals = (globals: unknown, local: unknown): unknown => {
  if (Array.isArray(globals) && Array.isArray(local)) return [...globals, ...local]
  if (isRecord(globals) && isRecord(local) && intrinsicName(local) === undefined) {
    const merged: Record<string, unknown> = { ...globals }
    for (const [key, value] of Object.entries(local)) merged[key] = mergeGlobals(globals[key], value)
    return merged
  }
  return local
}

const IMPLICIT_HTTP_API = 'ServerlessHttpApi'
const IMPLICIT_REST_API = 'ServerlessRestApi'

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
  const stackName = options.parameters?.StackName ?? 'local'
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

const readSamFunction = (
  reader: TemplateReader,
  logicalId: string,
  resource: Resource,
  baseDir: string,
): { fn?: ProjectFunction; routes: HttpRoute[] } => {
  const path = `Resources.${logicalId}.Properties`
  const properties = mergeGlobals(reader.globals, resource.Properties) as Record<string, unknown>
  const name = reader.scope.resourceNames[logicalId] as string
  if (properties.PackageType === 'Image' || properties.InlineCode !== undefined) {
    reader.warnings.push(`${logicalId}: container image and inline code functions are not run locally`)
    return { routes: [] }
  }
  const codeUri = properties.CodeUri === undefined ? '.' : reader.resolve(properties.CodeUri)
  if (typeof codeUri !== 'string') {
    throw new TemplateError(reader.file, `${path}.CodeUri`, 'must be a local folder to run locally')
  }
  const buildProperties = isRecord(resource.Metadata.BuildProperties) ? resource.Metadata.BuildProperties : {}
  const [entryPoint] = Array.isArray(buildProperties.EntryPoints) ? buildProperties.EntryPoints : []
  const provisioned = isRecord(properties.ProvisionedConcurrencyConfig)
    ? reader.optionalInteger(
        properties.ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions,
        `${path}.ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions`,
      )
    : undefined
  const reservedConcurrency = reader.optionalInteger(
    properties.ReservedConcurrentExecutions,
    `${path}.ReservedConcurrentExecutions`,
  )
  const fn: ProjectFunction = {
    name,
    logicalId,
    stack: reader.scope.pseudo.stackName,
    handler: reader.string(properties.Handler, `${path}.Handler`),
    codeDir: isAbsolute(codeUri) ? codeUri : resolve(baseDir, codeUri),
    runtime: reader.optionalString(properties.Runtime, `${path}.Runtime`) ?? 'nodejs24.x',
    memoryMb: reader.optionalInteger(properties.MemorySize, `${path}.MemorySize`) ?? 128,
    timeoutMs: secondsToMs(reader.optionalInteger(properties.Timeout, `${path}.Timeout`), 3),
    env: reader.environment(properties.Environment, `${path}.Environment`),
    architecture: reader.architecture(properties.Architectures, `${path}.Architectures`),
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
    ...(provisioned === undefined ? {} : { provisioned }),
    ...(typeof entryPoint === 'string' ? { entryPoint } : {}),
  }
  return { fn, routes: samEventRoutes(reader, logicalId, properties, name) }
}

const samEventRoutes = (
  reader: TemplateReader,
  logicalId: string,
  properties: Record<string, unknown>,
  functionName: string,
): HttpRoute[] => {
  const routes: HttpRoute[] = []
  const events = isRecord(properties.Events) ? properties.Events : {}
  for (const [eventId, event] of Object.entries(events)) {
    const path = `Resources.${logicalId}.Properties.Events.${eventId}`
    if (!isRecord(event) || (event.Type !== 'HttpApi' && event.Type !== 'Api')) continue
    const eventProperties = isRecord(event.Properties) ? event.Properties : {}
    const rawPath = reader.optionalString(eventProperties.Path, `${path}.Properties.Path`)
    const rawMethod = reader.optionalString(eventProperties.Method, `${path}.Properties.Method`)
    if (event.Type === 'HttpApi') {
      const api = reader.apiReferencedBy(eventProperties.ApiId) ?? IMPLICIT_HTTP_API
      const isDefault = rawPath === undefined && rawMethod === undefined
      routes.push({
        api,
        kind: 'http-api',
        payloadFormat: eventProperties.PayloadFormatVersion === '1.0' ? '1.0' : '2.0',
        method: isDefault ? 'ANY' : normalizeMethod(rawMethod ?? 'ANY'),
        path: isDefault ? '$default' : (rawPath ?? '/'),
        functionName,
      })
    } else {
      if (rawPath === undefined || rawMethod === undefined) {
        throw new TemplateError(reader.file, `${path}.Properties`, 'must have Path and Method (an Api event)')
      }
      const api = reader.apiReferencedBy(eventProperties.RestApiId) ?? IMPLICIT_REST_API
      routes.push({
        api,
        kind: 'rest-api',
        payloadFormat: '1.0',
        method: normalizeMethod(rawMethod),
        path: rawPath,
        functionName,
      })
    }
  }
  if (properties.FunctionUrlConfig !== undefined)
    routes.push(functionUrlRoute(`${logicalId}Url`, functionName))
  return routes
}

/** `x-amazon-apigateway-any-method` and `any` are ANY. */
const normalizeMethod = (method: string): string => {
  const upper = method.toUpperCase()
  return upper === 'X-AMAZON-APIGATEWAY-ANY-METHOD' ? 'ANY' : upper
}

const functionUrlRoute = (api: string, functionName: string): HttpRoute => ({
  api,
  kind: 'function-url',
  payloadFormat: '2.0',
  method: 'ANY',
  path: '$default',
  functionName,
})

// ───────────────────────────── CloudFormation (CDK output and plain templates) ─────────────────────────────

const readLambdaFunction = (
  reader: TemplateReader,
  logicalId: string,
  resource: Resource,
  assemblyDir: string,
): ProjectFunction | undefined => {
  const path = `Resources.${logicalId}.Properties`
  const properties = resource.Properties
  const assetPath = resource.Metadata['aws:asset:path']
  if (typeof assetPath !== 'string' || resource.Metadata['aws:asset:property'] !== 'Code') {
    reader.warnings.push(`${logicalId}: no local code (no aws:asset:path metadata), not run`)
    return undefined
  }
  const codeDir = resolve(assemblyDir, assetPath)
  if (!existsSync(codeDir)) {
    reader.warnings.push(`${logicalId}: asset folder ${codeDir} is missing (run cdk synth again)`)
    return undefined
  }
  const reservedConcurrency = reader.optionalInteger(
    properties.ReservedConcurrentExecutions,
    `${path}.ReservedConcurrentExecutions`,
  )
  const cdkPath = resource.Metadata['aws:cdk:path']
  return {
    name: reader.scope.resourceNames[logicalId] as string,
    logicalId,
    stack: reader.scope.pseudo.stackName,
    ...(typeof cdkPath === 'string' ? { constructPath: cdkPath.replace(/\/Resource$/, '') } : {}),
    handler: reader.string(properties.Handler, `${path}.Handler`),
    codeDir,
    runtime: reader.optionalString(properties.Runtime, `${path}.Runtime`) ?? 'nodejs24.x',
    memoryMb: reader.optionalInteger(properties.MemorySize, `${path}.MemorySize`) ?? 128,
    timeoutMs: secondsToMs(reader.optionalInteger(properties.Timeout, `${path}.Timeout`), 3),
    env: reader.environment(properties.Environment, `${path}.Environment`),
    architecture: reader.architecture(properties.Architectures, `${path}.Architectures`),
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
  }
}

/** Routes of `AWS::ApiGatewayV2::Route`s: `RouteKey` + `Target: integrations/<id>` → the integration's function. */
const httpApiRoutes = (reader: TemplateReader, active: Array<[string, Resource]>): HttpRoute[] => {
  const routes: HttpRoute[] = []
  for (const [logicalId, resource] of active) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Route') continue
    const path = `Resources.${logicalId}.Properties`
    const routeKey = reader.string(resource.Properties.RouteKey, `${path}.RouteKey`)
    const target = resource.Properties.Target
    // `integrations/${Ref}` as CDK writes it, or a literal `integrations/<id>`.
    const integrationId =
      referencedLogicalIds(target)[0] ??
      (typeof target === 'string' ? target.replace(/^integrations\//, '') : undefined)
    const integration = integrationId === undefined ? undefined : reader.resources[integrationId]
    const functionName = integration && reader.functionReferencedBy(integration.Properties.IntegrationUri)
    if (functionName === undefined || integration === undefined) {
      reader.warnings.push(`${logicalId}: route ${routeKey} has no Lambda integration, not served`)
      continue
    }
    const api = referencedLogicalIds(resource.Properties.ApiId)[0] ?? 'HttpApi'
    const apiResource = reader.resources[api]
    if (apiResource !== undefined && apiResource.Properties.ProtocolType === 'WEBSOCKET') continue
    const [method, routePath] = routeKey === '$default' ? ['ANY', '$default'] : routeKey.split(/\s+/, 2)
    routes.push({
      api,
      kind: 'http-api',
      payloadFormat: integration.Properties.PayloadFormatVersion === '1.0' ? '1.0' : '2.0',
      method: normalizeMethod(method ?? 'ANY'),
      path: routePath ?? '/',
      functionName,
    })
  }
  return routes
}

/** REST API routes: `AWS::ApiGateway::Method` on a resource tree built from `ParentId` + `PathPart`. */
const restApiRoutes = (reader: TemplateReader, active: Array<[string, Resource]>): HttpRoute[] => {
  const pathOf = (resourceId: string | undefined, depth = 0): string => {
    const resource = resourceId === undefined ? undefined : reader.resources[resourceId]
    if (resource?.Type !== 'AWS::ApiGateway::Resource' || depth > 64) return ''
    const parent = referencedLogicalIds(resource.Properties.ParentId)[0]
    return `${pathOf(parent, depth + 1)}/${String(reader.resolve(resource.Properties.PathPart))}`
  }
  const routes: HttpRoute[] = []
  for (const [logicalId, resource] of active) {
    if (resource.Type !== 'AWS::ApiGateway::Method') continue
    const integration = resource.Properties.Integration
    const functionName = isRecord(integration) ? reader.functionReferencedBy(integration.Uri) : undefined
    if (functionName === undefined) continue
    const path = `Resources.${logicalId}.Properties`
    const api = referencedLogicalIds(resource.Properties.RestApiId)[0] ?? 'RestApi'
    routes.push({
      api,
      kind: 'rest-api',
      payloadFormat: '1.0',
      method: normalizeMethod(reader.string(resource.Properties.HttpMethod, `${path}.HttpMethod`)),
      path: pathOf(referencedLogicalIds(resource.Properties.ResourceId)[0]) || '/',
      functionName,
    })
  }
  return routes
}

/** Function URLs (`AWS::Lambda::Url`) and provisioned concurrency on aliases (`AWS::Lambda::Alias`). */
const urlRoutesAndAliases = (
  reader: TemplateReader,
  active: Array<[string, Resource]>,
  functions: ProjectFunction[],
): { routes: HttpRoute[]; functions: ProjectFunction[] } => {
  const routes: HttpRoute[] = []
  let updated = functions
  for (const [logicalId, resource] of active) {
    if (resource.Type === 'AWS::Lambda::Url') {
      const functionName = reader.functionReferencedBy(resource.Properties.TargetFunctionArn)
      if (functionName !== undefined) routes.push(functionUrlRoute(logicalId, functionName))
    }
    if (resource.Type === 'AWS::Lambda::Alias') {
      const config = resource.Properties.ProvisionedConcurrencyConfig
      const functionName = reader.functionReferencedBy(resource.Properties.FunctionName)
      if (!isRecord(config) || functionName === undefined) continue
      const provisioned = reader.optionalInteger(
        config.ProvisionedConcurrentExecutions,
        `Resources.${logicalId}.Properties.ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions`,
      )
      updated = updated.map((fn) => (fn.name === functionName && provisioned ? { ...fn, provisioned } : fn))
    }
  }
  return { routes, functions: updated }
}

const readResources = (
  reader: TemplateReader,
  baseDir: string,
): { functions: ProjectFunction[]; routes: HttpRoute[] } => {
  const active = reader.active()
  let functions: ProjectFunction[] = []
  const routes: HttpRoute[] = []
  for (const [logicalId, resource] of active) {
    reader.countSkipped(resource.Type)
    if (resource.Type === 'AWS::Serverless::Function') {
      const sam = readSamFunction(reader, logicalId, resource, baseDir)
      if (sam.fn !== undefined) functions.push(sam.fn)
      routes.push(...sam.routes)
    } else if (resource.Type === 'AWS::Lambda::Function') {
      const fn = readLambdaFunction(reader, logicalId, resource, baseDir)
      if (fn !== undefined) functions.push(fn)
    }
  }
  const extra = urlRoutesAndAliases(reader, active, functions)
  functions = extra.functions
  routes.push(...httpApiRoutes(reader, active), ...restApiRoutes(reader, active), ...extra.routes)
  const served = new Set(functions.map((fn) => fn.name))
  return { functions, routes: routes.filter((route) => served.has(route.functionName)) }
}

// ───────────────────────────── CDK cloud assembly ─────────────────────────────

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
