/**
 * One CloudFormation template being read: its resources, the scope its intrinsics resolve in, the checked
 * accessors that turn a bad property into a `TemplateError` naming the path, and the tally of resource
 * types the emulator does not run.
 *
 * Wiring: internal to the loaders (`sam.ts`, `cloudformation.ts`, `template.ts`).
 */
import { readFileSync } from 'node:fs'
import { describeValue, isRecord } from '@lambda-lifetime/commons'
import { parseTemplateText } from './cfn-yaml.js'
import {
  type PseudoParameters,
  type ResolveScope,
  referencedLogicalIds,
  resolveIntrinsics,
} from './intrinsics.js'
import { type HttpRoute, type LoadProjectOptions, TemplateError } from './model.js'

/** Types that have no local meaning worth a line (permissions, log groups and saved queries, deployments, CDK bookkeeping). */
const NOT_NEEDED_LOCALLY = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Version',
  'AWS::Logs::LogGroup',
  'AWS::Logs::QueryDefinition',
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

/** A resource as the loaders use it: type, properties and metadata checked to be objects. */
export interface Resource {
  readonly Type: string
  readonly Properties: Record<string, unknown>
  readonly Metadata: Record<string, unknown>
  readonly Condition?: string
}

/** One template being read: its resources, the intrinsic scope and the checked accessors. */
export class TemplateReader {
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

/** `AWS::Lambda::Function` or `AWS::Serverless::Function`. */
export const isFunctionType = (type: string | undefined): boolean =>
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

/** Reads and parses a YAML or JSON template file. */
export const readTemplateFile = (file: string): unknown => parseTemplateText(readFileSync(file, 'utf8'), file)

/** A template timeout (seconds) in milliseconds, with the default when absent. */
export const secondsToMs = (seconds: number | undefined, fallback: number): number =>
  (seconds ?? fallback) * 1000

/** `x-amazon-apigateway-any-method` and `any` are ANY. */
export const normalizeMethod = (method: string): string => {
  const upper = method.toUpperCase()
  return upper === 'X-AMAZON-APIGATEWAY-ANY-METHOD' ? 'ANY' : upper
}

/** The one route of a Function URL: every method and path, payload 2.0. */
export const functionUrlRoute = (api: string, functionName: string): HttpRoute => ({
  api,
  kind: 'function-url',
  payloadFormat: '2.0',
  method: 'ANY',
  path: '$default',
  functionName,
})
