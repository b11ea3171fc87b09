// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation writes its substitutions as ${Name} in plain strings
import { describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { parseTemplateText, TemplateSyntaxError } from '../../src/project/cfn-yaml.js'
import {
  evaluateCondition,
  type ResolveScope,
  referencedLogicalIds,
  resolveIntrinsics,
} from '../../src/project/intrinsics.js'

const scope: ResolveScope = {
  pseudo: { region: 'eu-west-1', accountId: '111122223333', stackName: 'shop', partition: 'aws' },
  parameters: { Stage: 'dev', Zones: ['a', 'b'] },
  resourceTypes: {
    Orders: 'AWS::Lambda::Function',
    Table: 'AWS::DynamoDB::Table',
    Queue: 'AWS::SQS::Queue',
    Topic: 'AWS::SNS::Topic',
    Bucket: 'AWS::S3::Bucket',
    Role: 'AWS::IAM::Role',
    Api: 'AWS::ApiGateway::RestApi',
    Sam: 'AWS::Serverless::Function',
  },
  resourceNames: {
    Orders: 'orders-fn',
    Table: 'Table',
    Queue: 'Queue',
    Topic: 'Topic',
    Bucket: 'Bucket',
    Role: 'Role',
    Api: 'Api',
    Sam: 'Sam',
  },
  conditions: {
    IsDev: { 'Fn::Equals': [{ Ref: 'Stage' }, 'dev'] },
    IsProd: { 'Fn::Not': [{ Condition: 'IsDev' }] },
    Both: { 'Fn::And': [{ Condition: 'IsDev' }, { Condition: 'IsProd' }] },
    Either: { 'Fn::Or': [{ Condition: 'IsDev' }, { Condition: 'IsProd' }] },
    Loop: { Condition: 'Loop' },
    Odd: { 'Fn::Unknown': 1 },
  },
  mappings: { Sizes: { dev: { Memory: 256 } }, Loop: { a: { b: { 'Fn::FindInMap': ['Loop', 'a', 'b'] } } } },
}

const parse = (yaml: string): unknown => parseTemplateText(yaml, 'template.yaml')
const resolveYaml = (yaml: string): unknown =>
  resolveIntrinsics(scope, (parse(`value: ${yaml}`) as { value: unknown }).value)

describe('CloudFormation YAML short tags', () => {
  test.each([
    ['!Ref Stage', { Ref: 'Stage' }],
    ['!GetAtt Orders.Arn', { 'Fn::GetAtt': ['Orders', 'Arn'] }],
    ['!GetAtt [Orders, Arn]', { 'Fn::GetAtt': ['Orders', 'Arn'] }],
    ['!GetAtt Orders', { 'Fn::GetAtt': ['Orders'] }],
    ["!Sub '${Stage}-x'", { 'Fn::Sub': '${Stage}-x' }],
    ['!Join [",", [a, !Ref Stage]]', { 'Fn::Join': [',', ['a', { Ref: 'Stage' }]] }],
    ['!If [IsDev, a, b]', { 'Fn::If': ['IsDev', 'a', 'b'] }],
    ['!Select [0, !GetAZs ""]', { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }],
    ['!ImportValue shared-vpc', { 'Fn::ImportValue': 'shared-vpc' }],
    ['!Split [",", "a,b"]', { 'Fn::Split': [',', 'a,b'] }],
    ['!Base64 { "Fn::Sub": x }', { 'Fn::Base64': { 'Fn::Sub': 'x' } }],
    ['!Equals [a, b]', { 'Fn::Equals': ['a', 'b'] }],
    ['!FindInMap [Sizes, dev, Memory]', { 'Fn::FindInMap': ['Sizes', 'dev', 'Memory'] }],
    ['!Not [!Condition IsDev]', { 'Fn::Not': [{ Condition: 'IsDev' }] }],
    ['!And [!Condition IsDev, true]', { 'Fn::And': [{ Condition: 'IsDev' }, true] }],
    ['!Or [!Condition IsDev, false]', { 'Fn::Or': [{ Condition: 'IsDev' }, false] }],
  ])('%s', (yaml, expected) => {
    // Act / Assess
    expect((parse(`value: ${yaml}`) as { value: unknown }).value).toEqual(expected)
  })

  test('a syntax error is a TemplateSyntaxError naming the file', () => {
    // Act / Assess
    expect(() => parse('a: [')).toThrow(TemplateSyntaxError)
    expect(() => parse('a: [')).toThrow(/^template\.yaml: .*line 1/s)
  })

  test('an alias to an anchor that does not exist is a syntax error (found by the property below)', () => {
    // Act / Assess
    expect(() => parse('a: *missing')).toThrow(TemplateSyntaxError)
    expect(() => parse('*!')).toThrow(/^template\.yaml: /)
  })

  test('any text parses or fails with a TemplateSyntaxError, never anything else', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parse(text)
        } catch (error) {
          expect(error).toBeInstanceOf(TemplateSyntaxError)
        }
      }),
    )
  })
})

describe('resolveIntrinsics', () => {
  test.each([
    ['!Ref Stage', 'dev'],
    ['!Ref Zones', ['a', 'b']],
    ['!Ref Orders', 'orders-fn'],
    ['!Ref Unknown', 'Unknown'],
    ['!Ref AWS::Region', 'eu-west-1'],
    ['!Ref AWS::AccountId', '111122223333'],
    ['!Ref AWS::StackName', 'shop'],
    ['!Ref AWS::StackId', 'arn:aws:cloudformation:eu-west-1:111122223333:stack/shop/local'],
    ['!Ref AWS::Partition', 'aws'],
    ['!Ref AWS::URLSuffix', 'amazonaws.com'],
    ['!Ref AWS::NotificationARNs', []],
    ['!GetAtt Orders.Arn', 'arn:aws:lambda:eu-west-1:111122223333:function:orders-fn'],
    ['!GetAtt Sam.Arn', 'arn:aws:lambda:eu-west-1:111122223333:function:Sam'],
    ['!GetAtt Table.Arn', 'arn:aws:dynamodb:eu-west-1:111122223333:table/Table'],
    ['!GetAtt Table.StreamArn', 'Table.StreamArn'],
    ['!GetAtt Queue.Arn', 'arn:aws:sqs:eu-west-1:111122223333:Queue'],
    ['!GetAtt Topic.Arn', 'arn:aws:sns:eu-west-1:111122223333:Topic'],
    ['!GetAtt Bucket.Arn', 'arn:aws:s3:::Bucket'],
    ['!GetAtt Role.Arn', 'arn:aws:iam::111122223333:role/Role'],
    ['!GetAtt Api.RootResourceId', 'Api-root'],
    ['!GetAtt Api.Arn', 'arn:aws:apigateway:eu-west-1:111122223333:Api'],
    ['!GetAtt Api.ApiEndpoint', 'http://localhost/Api'],
    ['!GetAtt [Orders, Arn]', 'arn:aws:lambda:eu-west-1:111122223333:function:orders-fn'],
    ['{ "Fn::GetAtt": "Orders.Arn" }', 'arn:aws:lambda:eu-west-1:111122223333:function:orders-fn'],
    [
      "!Sub 'q-${Stage}-${AWS::Region}-${Orders.Arn}-${!Literal}'",
      'q-dev-eu-west-1-arn:aws:lambda:eu-west-1:111122223333:function:orders-fn-${Literal}',
    ],
    ["!Sub '${Missing}'", '${Missing}'],
    ["!Sub '${Orders}'", 'orders-fn'],
    ["!Sub ['${a}/${b}', { a: !Ref Stage, b: 2 }]", 'dev/2'],
    ['!Join ["-", [a, !Ref Stage, 3, true]]', 'a-dev-3-true'],
    ['!Join ["", [!Ref Zones]]', 'a,b'],
    ['!Select [1, [x, y, z]]', 'y'],
    ['!Select [1, !Split [",", "a,b,c"]]', 'b'],
    ['!If [IsDev, yes, no]', 'yes'],
    ['!If [IsProd, yes, no]', 'no'],
    ['!Base64 hello', 'aGVsbG8='],
    ['!GetAZs ""', ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']],
    ['!FindInMap [Sizes, dev, Memory]', 256],
    ['!FindInMap [Sizes, prod, Memory]', 'Sizes.prod.Memory'],
    ['!FindInMap [Loop, a, b]', { 'Fn::FindInMap': ['Loop', 'a', 'b'] }],
    ['!ImportValue shared-vpc', 'Fn::ImportValue(shared-vpc)'],
    ['{ "Fn::Length": [1, 2, 3] }', 3],
    ['{ "Fn::ToJsonString": { a: !Ref Stage } }', '{"a":"dev"}'],
    ['!Equals [!Ref Stage, dev]', true],
    ['!Condition IsProd', false],
    ['{ "Fn::Sub": { a: 1 } }', '{"a":1}'],
    ['!GetAtt Elsewhere.Arn', 'arn:aws:local:eu-west-1:111122223333:Elsewhere'],
    ['{ "Fn::GetAtt": [] }', '.'],
    ['{ "Fn::Join": [] }', ''],
    ['{ "Fn::FindInMap": [] }', 'undefined.undefined.undefined'],
  ])('%s', (yaml, expected) => {
    // Act / Assess
    expect(resolveYaml(yaml)).toEqual(expected)
  })

  test('AWS::NoValue removes the property or the list item', () => {
    // Act
    const resolved = resolveYaml('{ a: !If [IsProd, x, !Ref AWS::NoValue], b: [1, !Ref AWS::NoValue, 2] }')

    // Assess
    expect(resolved).toEqual({ b: [1, 2] })
  })

  test('a plain object with several keys is not mistaken for an intrinsic', () => {
    // Act / Assess
    expect(resolveYaml('{ Ref: Stage, Other: 1 }')).toEqual({ Ref: 'Stage', Other: 1 })
  })

  test('never throws on any JSON value, intrinsic-shaped or not', () => {
    const intrinsicKeys = [
      'Ref',
      'Fn::Sub',
      'Fn::Join',
      'Fn::If',
      'Fn::Select',
      'Fn::GetAtt',
      'Fn::Split',
      'Fn::Base64',
      'Fn::FindInMap',
    ]
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 2 }),
        fc
          .record({ key: fc.constantFrom(...intrinsicKeys), argument: tie('node') })
          .map(({ key, argument }) => ({ [key]: argument })),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).node
    fc.assert(
      fc.property(value, (input) => {
        resolveIntrinsics(scope, input)
      }),
    )
  })
})

describe('evaluateCondition', () => {
  test.each([
    ['IsDev', true],
    ['IsProd', false],
    ['Both', false],
    ['Either', true],
    ['Loop', false],
    ['Odd', false],
    ['Missing', false],
  ])('%s is %s', (name, expected) => {
    // Act / Assess
    expect(evaluateCondition(scope, name)).toBe(expected)
  })

  test('literal booleans and inline expressions', () => {
    // Act / Assess
    expect(evaluateCondition(scope, true)).toBe(true)
    expect(evaluateCondition(scope, { 'Fn::Equals': ['a', 'a'] })).toBe(true)
    expect(evaluateCondition(scope, 42)).toBe(false)
  })
})

describe('referencedLogicalIds', () => {
  test.each([
    [{ Ref: 'Orders' }, ['Orders']],
    [{ 'Fn::GetAtt': ['Orders', 'Arn'] }, ['Orders']],
    [{ 'Fn::GetAtt': 'Orders.Arn' }, ['Orders']],
    [{ 'Fn::GetAtt': [{ Ref: 'X' }] }, []],
    [{ 'Fn::Sub': 'arn:${AWS::Region}/functions/${Orders.Arn}/${!Literal}' }, ['AWS::Region', 'Orders']],
    [{ 'Fn::Sub': ['${a}', { a: { Ref: 'Table' } }] }, ['a', 'Table']],
    [{ 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] }, ['Integration']],
    ['plain', []],
  ])('%j', (value, expected) => {
    // Act / Assess
    expect(referencedLogicalIds(value)).toEqual(expected)
  })
})
