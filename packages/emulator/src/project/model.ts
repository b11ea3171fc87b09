/**
 * The neutral model of a project: the functions and HTTP routes the loaders read from SAM templates and
 * CDK cloud assemblies, and the error a template that cannot be used gives.
 *
 * Wiring: `template.ts` re-exports all of it; the emulator takes `ProjectFunction`s through
 * `toFunctionConfig`, the router takes `HttpRoute`s.
 */

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
  /** `AWS::StackName` of a SAM template (a CDK stack has its own). Default `local`. */
  readonly stackName?: string
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
