import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from '@jest/globals'
import { TemplateSyntaxError } from '../../src/project/cfn-yaml.js'
import {
  findProjectFile,
  loadCdkAssembly,
  loadProject,
  loadSamTemplate,
  readEnvVarsFile,
  TemplateError,
  toFunctionConfig,
} from '../../src/project/template.js'

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../../test/fixtures/projects/${name}`, import.meta.url))

/** Runs `work` with a fresh temporary directory, removed afterwards whatever happens. */
const withTempDir = <T>(work: (dir: string) => T): T => {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-project-'))
  try {
    return work(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Writes a one-resource SAM template and loads it. */
const loadSamText = (text: string, options = {}) =>
  withTempDir((dir) => {
    writeFileSync(join(dir, 'template.yaml'), text)
    return loadProject(dir, options)
  })

describe('loadProject on a SAM template', () => {
  test('reads both functions with Globals merged and intrinsics resolved to local values', () => {
    // Act
    const project = loadProject(fixture('sam-app'), { region: 'eu-west-1', accountId: '111122223333' })

    // Assess
    expect(project.kind).toBe('sam')
    expect(project.files).toEqual([join(fixture('sam-app'), 'template.yaml')])
    const [orders, greeter] = project.functions
    expect(orders).toEqual({
      name: 'Orders',
      logicalId: 'Orders',
      stack: 'local',
      handler: 'app.handler',
      codeDir: join(fixture('sam-app'), 'src/orders'),
      runtime: 'nodejs24.x',
      memoryMb: 256,
      timeoutMs: 10_000,
      architecture: 'arm64',
      reservedConcurrency: 5,
      env: {
        STAGE: 'dev',
        POWERTOOLS_SERVICE_NAME: 'sam-app',
        TABLE_NAME: 'OrdersTable',
        TABLE_ARN: 'arn:aws:dynamodb:eu-west-1:111122223333:table/OrdersTable',
        QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111122223333/orders',
        LOG_LEVEL: 'DEBUG',
        REGION_ZONE: 'eu-west-1a',
        GREETER: 'greeter/arn:aws:lambda:eu-west-1:111122223333:function:greeter',
      },
    })
    expect(greeter).toMatchObject({
      name: 'greeter',
      logicalId: 'Greeter',
      timeoutMs: 5000,
      provisioned: 1,
      entryPoint: 'app.ts',
      env: { STAGE: 'dev', POWERTOOLS_SERVICE_NAME: 'sam-app' },
    })
  })

  test('reads HttpApi, Api and Function URL routes, skips other event types', () => {
    // Act
    const { routes } = loadProject(fixture('sam-app'))

    // Assess
    expect(
      routes.map((route) => [route.kind, route.payloadFormat, route.method, route.path, route.functionName]),
    ).toEqual([
      ['http-api', '2.0', 'GET', '/orders', 'Orders'],
      ['http-api', '2.0', 'GET', '/orders/{id}', 'Orders'],
      ['rest-api', '1.0', 'ANY', '/v1/orders/{proxy+}', 'Orders'],
      ['http-api', '2.0', 'GET', '/hello/{name}', 'greeter'],
      ['http-api', '2.0', 'ANY', '$default', 'greeter'],
      ['function-url', '2.0', 'ANY', '$default', 'greeter'],
    ])
    expect(routes[0]?.api).toBe('ServerlessHttpApi')
    expect(routes[2]?.api).toBe('ServerlessRestApi')
    expect(routes[5]?.api).toBe('GreeterUrl')
  })

  test('lists unsupported resource types once with their count', () => {
    // Act
    const project = loadProject(fixture('sam-app'))

    // Assess
    expect(project.skipped).toEqual({ 'AWS::DynamoDB::Table': 1, 'AWS::SQS::Queue': 2 })
    expect(project.warnings).toEqual([])
  })

  test('parameter overrides win over Default and drive conditions', () => {
    // Act
    const project = loadProject(join(fixture('sam-app'), 'template.yaml'), { parameters: { Stage: 'prod' } })

    // Assess
    expect(project.functions[0]?.env).toMatchObject({ STAGE: 'prod', LOG_LEVEL: 'WARN' })
    expect(project.functions[0]?.stack).toBe('local')
  })

  test('the stack name option is AWS::StackName', () => {
    // Act
    const project = loadSamText(
      'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Environment: { Variables: { S: !Ref AWS::StackName } }\n',
      { stackName: 'shop-dev' },
    )

    // Assess
    expect(project.functions[0]).toMatchObject({ stack: 'shop-dev', env: { S: 'shop-dev' } })
  })

  test('an env-vars file overrides per function (by logical id or name) and for all (Parameters)', () => {
    // Act
    const project = loadProject(fixture('sam-app'), { envVarsFile: join(fixture('sam-app'), 'env.json') })

    // Assess
    expect(project.functions[0]?.env).toMatchObject({ TABLE_NAME: 'orders-local', SHARED: 'everyone' })
    expect(project.functions[1]?.env).toMatchObject({ GREETING: 'hi', SHARED: 'everyone', STAGE: 'dev' })
  })

  test('finds template.yml and template.json too, and SAM defaults apply', () => {
    withTempDir((dir) => {
      // Prepare
      const template = {
        Resources: { Fn: { Type: 'AWS::Serverless::Function', Properties: { Handler: 'index.handler' } } },
      }
      writeFileSync(join(dir, 'template.json'), JSON.stringify(template))

      // Act
      const project = loadProject(dir)

      // Assess
      expect(findProjectFile(dir)).toBe(join(dir, 'template.json'))
      expect(project.functions[0]).toMatchObject({
        codeDir: dir,
        runtime: 'nodejs24.x',
        memoryMb: 128,
        timeoutMs: 3000,
        architecture: 'x86_64',
        env: {},
      })
    })
  })

  test('explicit APIs, a 1.0 HttpApi payload, an HttpApi event with only a path', () => {
    // Act
    const project = loadSamText(`
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Rest:
    Type: AWS::Serverless::Api
    Properties: { StageName: prod }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Events:
        A: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /a, Method: x-amazon-apigateway-any-method, PayloadFormatVersion: '1.0' } }
        B: { Type: HttpApi, Properties: { Path: /b } }
        C: { Type: Api, Properties: { RestApiId: !Ref Rest, Path: /c, Method: post } }
`)

    // Assess
    expect(project.routes).toEqual([
      { api: 'Api', kind: 'http-api', payloadFormat: '1.0', method: 'ANY', path: '/a', functionName: 'Fn' },
      {
        api: 'ServerlessHttpApi',
        kind: 'http-api',
        payloadFormat: '2.0',
        method: 'ANY',
        path: '/b',
        functionName: 'Fn',
      },
      { api: 'Rest', kind: 'rest-api', payloadFormat: '1.0', method: 'POST', path: '/c', functionName: 'Fn' },
    ])
    expect(project.skipped).toEqual({})
  })

  test('Globals merge maps, append lists and replace plain values; the function wins', () => {
    // Act
    const project = loadSamText(`
Globals:
  Function:
    Timeout: 9
    Layers: [a]
    Environment: { Variables: { A: global, B: global } }
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Timeout: 2
      Layers: [b]
      Environment: { Variables: { B: local, N: 3, T: true, O: { x: 1 } } }
`)

    // Assess
    expect(project.functions[0]).toMatchObject({
      timeoutMs: 2000,
      env: { A: 'global', B: 'local', N: '3', T: 'true', O: '{"x":1}' },
    })
  })

  test('resources whose Condition is false are not there; image and inline functions are warned about', () => {
    // Act
    const project = loadSamText(`
Parameters:
  WithExtra: { Type: String, Default: 'no' }
Conditions:
  Extra: !Equals [!Ref WithExtra, 'yes']
Resources:
  Extra:
    Type: AWS::Serverless::Function
    Condition: Extra
    Properties: { Handler: index.handler }
  Image:
    Type: AWS::Serverless::Function
    Properties: { PackageType: Image, ImageUri: repo:latest }
  Inline:
    Type: AWS::Serverless::Function
    Properties: { Handler: index.handler, InlineCode: 'exports.handler = 1' }
`)

    // Assess
    expect(project.functions).toEqual([])
    expect(project.warnings).toEqual([
      'Image: container image and inline code functions are not run locally',
      'Inline: container image and inline code functions are not run locally',
    ])
  })
})

describe('loadProject errors name the file and the path', () => {
  test.each([
    ['Resources.Fn.Properties.Handler must be a string, got 3', 'Properties: { Handler: 3 }'],
    [
      'Resources.Fn.Properties.MemorySize must be a whole number, got "lots"',
      'Properties: { Handler: a.b, MemorySize: lots }',
    ],
    [
      'Resources.Fn.Properties.Timeout must be a whole number, got -1',
      'Properties: { Handler: a.b, Timeout: -1 }',
    ],
    [
      'Resources.Fn.Properties.CodeUri must be a local folder',
      'Properties: { Handler: a.b, CodeUri: { Bucket: b, Key: k } }',
    ],
    [
      'Resources.Fn.Properties.Architectures[0] must be x86_64 or arm64',
      'Properties: { Handler: a.b, Architectures: [mips] }',
    ],
    [
      'Resources.Fn.Properties.Environment.Variables must be an object',
      'Properties: { Handler: a.b, Environment: { Variables: [] } }',
    ],
    [
      'Resources.Fn.Properties.Environment must be an object',
      'Properties: { Handler: a.b, Environment: [] }',
    ],
    [
      'Resources.Fn.Properties.Events.E.Properties must have Path and Method',
      'Properties: { Handler: a.b, Events: { E: { Type: Api, Properties: { Path: /x } } } }',
    ],
    ['Resources.Fn.Properties must be an object', 'Properties: 7'],
  ])('%s', (message, body) => {
    // Act
    let error: unknown
    try {
      loadSamText(`Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    ${body}\n`)
    } catch (caught) {
      error = caught
    }

    // Assess
    expect(error).toBeInstanceOf(TemplateError)
    expect((error as Error).message).toMatch(/template\.yaml: /)
    expect((error as Error).message).toContain(message)
  })

  test.each([
    ['(top level) must be an object', '[1, 2]'],
    ['Resources must be an object', 'Resources: 3'],
    ['Resources.X must be an object', 'Resources: { X: 1 }'],
    ['Resources.X.Type must be a string', 'Resources: { X: { Properties: {} } }'],
  ])('structure: %s', (message, text) => {
    // Act / Assess
    expect(() => loadSamText(text)).toThrow(message)
  })

  test('YAML that does not parse names the file, line and column', () => {
    // Act / Assess
    expect(() => loadSamText('Resources:\n  Fn: [\n')).toThrow(TemplateSyntaxError)
    expect(() => loadSamText('Resources:\n  Fn: [\n')).toThrow(/template\.yaml: .*line 3/)
  })

  test('a missing path and a folder without a project say so', () => {
    withTempDir((dir) => {
      // Act / Assess
      expect(() => loadProject(join(dir, 'nope'))).toThrow(/nope: does not exist/)
      expect(() => loadProject(dir)).toThrow(/has no template.yaml, template.yml, template.json, cdk.out/)
    })
  })

  test('a bad env-vars file is refused with its path', () => {
    withTempDir((dir) => {
      // Prepare
      writeFileSync(join(dir, 'broken.json'), '{')
      writeFileSync(join(dir, 'list.json'), '[]')
      writeFileSync(join(dir, 'nested.json'), '{ "Fn": { "A": { "deep": 1 } } }')
      writeFileSync(join(dir, 'flat.json'), '{ "Fn": 3 }')

      // Act / Assess
      expect(() => readEnvVarsFile(join(dir, 'broken.json'))).toThrow(
        /broken\.json: is not a readable JSON file/,
      )
      expect(() => readEnvVarsFile(join(dir, 'list.json'))).toThrow('(top level) must be an object')
      expect(() => readEnvVarsFile(join(dir, 'nested.json'))).toThrow('Fn.A must be a string, got an object')
      expect(() => readEnvVarsFile(join(dir, 'flat.json'))).toThrow('Fn must be an object, got 3')
    })
  })

  test('env-vars values become strings', () => {
    withTempDir((dir) => {
      // Prepare
      writeFileSync(join(dir, 'env.json'), '{ "Fn": { "N": 1, "B": false, "S": "x" } }')

      // Act / Assess
      expect(readEnvVarsFile(join(dir, 'env.json'))).toEqual({ Fn: { N: '1', B: 'false', S: 'x' } })
    })
  })
})

describe('loadProject on a CDK cloud assembly', () => {
  test('reads functions with their asset folders, URLs, HTTP and REST API routes', () => {
    // Act
    const project = loadProject(fixture('cdk-assembly'), { region: 'eu-central-1' })

    // Assess
    expect(project.kind).toBe('cdk')
    expect(project.functions.map((fn) => [fn.name, fn.constructPath, fn.codeDir, fn.runtime])).toEqual([
      ['OrdersA9B65338', 'Shop/Orders', join(fixture('cdk-assembly'), 'asset.orders'), 'nodejs24.x'],
      ['shop-items', 'Shop/Items', join(fixture('cdk-assembly'), 'asset.items'), 'nodejs22.x'],
    ])
    expect(project.functions[0]).toMatchObject({
      stack: 'ShopStack',
      memoryMb: 512,
      timeoutMs: 10_000,
      architecture: 'arm64',
      reservedConcurrency: 3,
      provisioned: 2,
      env: {
        TABLE_NAME: 'OrdersTable0F1E2D3C',
        TABLE_ARN: 'arn:aws:dynamodb:eu-central-1:000000000000:table/OrdersTable0F1E2D3C',
      },
    })
    expect(
      project.routes.map((route) => [
        route.api,
        route.kind,
        route.payloadFormat,
        route.method,
        route.path,
        route.functionName,
      ]),
    ).toEqual([
      ['ShopHttpApi92336FF9', 'http-api', '2.0', 'GET', '/orders/{id}', 'OrdersA9B65338'],
      ['ShopHttpApi92336FF9', 'http-api', '1.0', 'ANY', '/items/{proxy+}', 'shop-items'],
      ['ShopHttpApi92336FF9', 'http-api', '2.0', 'ANY', '$default', 'OrdersA9B65338'],
      ['ShopRestApi4D5E6F70', 'rest-api', '1.0', 'GET', '/items/{id}', 'shop-items'],
      ['ShopRestApi4D5E6F70', 'rest-api', '1.0', 'ANY', '/', 'shop-items'],
      ['OrdersUrl5E6F7A8B', 'function-url', '2.0', 'ANY', '$default', 'OrdersA9B65338'],
    ])
    expect(project.skipped).toEqual({ 'AWS::DynamoDB::Table': 1, 'AWS::SQS::Queue': 1 })
    expect(project.warnings).toEqual(['InlineC0FFEE00: no local code (no aws:asset:path metadata), not run'])
  })

  test('nested assemblies (CDK stages) are read; a missing asset folder and a duplicate name are warned about', () => {
    withTempDir((dir) => {
      // Prepare: the fixture twice, once as a stage, and one stack whose asset folder is gone
      cpSync(fixture('cdk-assembly'), join(dir, 'assembly-Stage'), { recursive: true })
      cpSync(fixture('cdk-assembly'), dir, { recursive: true })
      rmSync(join(dir, 'asset.items'), { recursive: true })
      const manifest = {
        version: '55.0.0',
        artifacts: {
          Shop: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Shop.template.json' } },
          Stage: { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Stage' } },
          Broken: 'not an artifact',
        },
      }
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest))

      // Act
      const project = loadCdkAssembly(join(dir, 'manifest.json'))

      // Assess
      expect(project.files).toEqual([
        join(dir, 'Shop.template.json'),
        join(dir, 'assembly-Stage', 'Shop.template.json'),
      ])
      expect(project.functions.map((fn) => [fn.stack, fn.name])).toEqual([
        ['Shop', 'OrdersA9B65338'],
        ['ShopStack', 'shop-items'],
      ])
      expect(project.warnings).toContain(
        `ItemsB1C2D3E4: asset folder ${join(dir, 'asset.items')} is missing (run cdk synth again)`,
      )
      expect(project.warnings).toContain(
        'ShopStack/OrdersA9B65338: a function named OrdersA9B65338 is already loaded, skipped',
      )
      expect(project.skipped).toEqual({ 'AWS::DynamoDB::Table': 2, 'AWS::SQS::Queue': 2 })
      // Routes to the function whose code is missing are not served.
      expect(project.routes.filter((route) => route.functionName === 'shop-items')).toHaveLength(3)
    })
  })

  test('a manifest that is not one is refused with its path', () => {
    withTempDir((dir) => {
      // Prepare
      writeFileSync(join(dir, 'manifest.json'), '{"version":"55.0.0"}')
      mkdirSync(join(dir, 'bad'))
      writeFileSync(join(dir, 'bad', 'manifest.json'), 'nope')

      // Act / Assess
      expect(() => loadProject(dir)).toThrow(/manifest\.json: artifacts must be an object/)
      expect(() => loadProject(join(dir, 'bad'))).toThrow(/is not a readable cloud assembly manifest/)
    })
  })

  test('toFunctionConfig gives the emulator the function, or its bundle', () => {
    // Prepare
    const [orders] = loadProject(fixture('cdk-assembly')).functions
    if (orders === undefined) throw new Error('fixture has no function')

    // Act
    const direct = toFunctionConfig(orders)
    const bundled = toFunctionConfig(orders, { codeDir: '/build/orders', handler: 'index.main' })

    // Assess
    expect(direct).toEqual({
      name: 'OrdersA9B65338',
      handler: 'index.handler',
      codeDir: orders.codeDir,
      env: orders.env,
      memoryMb: 512,
      timeoutMs: 10_000,
      concurrency: 3,
      provisioned: 2,
    })
    expect(bundled).toMatchObject({ codeDir: '/build/orders', handler: 'index.main' })
    expect(
      toFunctionConfig({ ...orders, reservedConcurrency: undefined, provisioned: undefined }),
    ).not.toHaveProperty('concurrency')
  })
})

describe('loadSamTemplate on a template that also has plain CloudFormation resources', () => {
  test('an AWS::Lambda::Function without asset metadata is warned about, its routes dropped', () => {
    withTempDir((dir) => {
      // Prepare
      const template = {
        Resources: {
          Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'i.h', Code: { ZipFile: 'x' } } },
          Url: {
            Type: 'AWS::Lambda::Url',
            Properties: { TargetFunctionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
          },
          Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'WEBSOCKET' } },
          Route: {
            Type: 'AWS::ApiGatewayV2::Route',
            Properties: { ApiId: { Ref: 'Api' }, RouteKey: '$connect', Target: 'integrations/Nothing' },
          },
        },
      }
      writeFileSync(join(dir, 'stack.json'), JSON.stringify(template))

      // Act
      const project = loadSamTemplate(join(dir, 'stack.json'))

      // Assess
      expect(project.functions).toEqual([])
      expect(project.routes).toEqual([])
      expect(project.warnings).toEqual([
        'Fn: no local code (no aws:asset:path metadata), not run',
        'Route: route $connect has no Lambda integration, not served',
      ])
    })
  })
})

describe('loadProject on less common shapes', () => {
  test('plain CloudFormation: mappings, list parameters, string architectures, routes without ids or paths', () => {
    withTempDir((dir) => {
      // Prepare
      const asset = join(dir, 'asset.fn')
      mkdirSync(asset)
      const lambda = (extra: Record<string, unknown>) => ({
        Type: 'AWS::Lambda::Function',
        Properties: { Handler: 'index.handler', ...extra },
        Metadata: { 'aws:asset:path': asset, 'aws:asset:property': 'Code' },
      })
      const fnArn = { 'Fn::GetAtt': ['Fn', 'Arn'] }
      const template = {
        Parameters: {
          Arch: { Type: 'String', Default: 'arm64' },
          Zones: { Type: 'CommaDelimitedList', Default: 'a,b' },
          NoDefault: { Type: 'String' },
          Odd: 5,
        },
        Mappings: { Sizes: { dev: { Memory: 1024 } } },
        Resources: {
          Fn: lambda({
            Architectures: { Ref: 'Arch' },
            MemorySize: { 'Fn::FindInMap': ['Sizes', 'dev', 'Memory'] },
            Environment: {},
          }),
          Other: lambda({
            Environment: {
              Variables: { Z: { 'Fn::Select': [1, { Ref: 'Zones' }] }, P: { Ref: 'NoDefault' } },
            },
          }),
          Integration: { Type: 'AWS::ApiGatewayV2::Integration', Properties: { IntegrationUri: fnArn } },
          NoApiRoute: {
            Type: 'AWS::ApiGatewayV2::Route',
            Properties: { RouteKey: 'GET', Target: 'integrations/Integration' },
          },
          Socket: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'WEBSOCKET' } },
          SocketRoute: {
            Type: 'AWS::ApiGatewayV2::Route',
            Properties: {
              ApiId: { Ref: 'Socket' },
              RouteKey: '$connect',
              // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation substitution
              Target: { 'Fn::Sub': 'integrations/${Integration}' },
            },
          },
          RootMethod: {
            Type: 'AWS::ApiGateway::Method',
            Properties: { HttpMethod: 'GET', Integration: { Uri: fnArn } },
          },
          MockMethod: {
            Type: 'AWS::ApiGateway::Method',
            Properties: { HttpMethod: 'GET', Integration: { Type: 'MOCK' } },
          },
          NoIntegration: { Type: 'AWS::ApiGateway::Method', Properties: { HttpMethod: 'GET' } },
          ExternalUrl: {
            Type: 'AWS::Lambda::Url',
            Properties: { TargetFunctionArn: 'arn:aws:lambda:us-east-1:1:function:elsewhere' },
          },
          PlainAlias: {
            Type: 'AWS::Lambda::Alias',
            Properties: { FunctionName: { Ref: 'Fn' }, Name: 'live' },
          },
        },
      }
      writeFileSync(
        join(dir, 'manifest.json'),
        JSON.stringify({
          artifacts: { S: { type: 'aws:cloudformation:stack', properties: { templateFile: 't.json' } } },
        }),
      )
      writeFileSync(join(dir, 't.json'), JSON.stringify(template))

      // Act
      const project = loadProject(dir)

      // Assess
      expect(
        project.functions.map((fn) => [
          fn.name,
          fn.architecture,
          fn.memoryMb,
          fn.runtime,
          fn.constructPath,
          fn.env,
        ]),
      ).toEqual([
        ['Fn', 'arm64', 1024, 'nodejs24.x', undefined, {}],
        ['Other', 'x86_64', 128, 'nodejs24.x', undefined, { Z: 'b', P: 'NoDefault' }],
      ])
      expect(project.routes).toEqual([
        {
          api: 'HttpApi',
          kind: 'http-api',
          payloadFormat: '2.0',
          method: 'GET',
          path: '/',
          functionName: 'Fn',
        },
        {
          api: 'RestApi',
          kind: 'rest-api',
          payloadFormat: '1.0',
          method: 'GET',
          path: '/',
          functionName: 'Fn',
        },
      ])
    })
  })

  test('SAM: an absolute CodeUri, a plain-string ApiId, a method without a path', () => {
    // Act
    const project = loadSamText(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      CodeUri: /srv/code
      Events:
        A: { Type: HttpApi, Properties: { ApiId: SharedApi, Method: post } }
        B: { Type: HttpApi, Properties: { ApiId: 5, Path: /b, Method: get } }
`)

    // Assess
    expect(project.functions[0]?.codeDir).toBe('/srv/code')
    expect(project.routes.map((route) => [route.api, route.method, route.path])).toEqual([
      ['SharedApi', 'POST', '/'],
      ['ServerlessHttpApi', 'GET', '/b'],
    ])
  })

  test('a manifest that is JSON but not an object is refused', () => {
    withTempDir((dir) => {
      // Prepare
      writeFileSync(join(dir, 'manifest.json'), '[]')

      // Act / Assess
      expect(() => loadCdkAssembly(join(dir, 'manifest.json'))).toThrow('artifacts must be an object')
    })
  })
})
