/**
 * CloudFormation YAML: the short intrinsic tags (`!Ref`, `!Sub`, `!GetAtt a.b`, …) read into the long
 * JSON form (`{ Ref: … }`, `{ 'Fn::Sub': … }`), so the rest of the loader sees one shape whatever the
 * template was written in.
 *
 * Wiring: `template.ts` calls `parseTemplateText` for every template file it reads; nothing else needs it.
 */
import { type CollectionTag, parseDocument, type ScalarTag, YAMLMap, YAMLSeq } from 'yaml'

/** Short tag → long key. `!Ref` and `!Condition` keep their name; the others get the `Fn::` prefix. */
const SHORT_TAGS = [
  'Ref',
  'Condition',
  'Sub',
  'GetAtt',
  'Join',
  'If',
  'Select',
  'GetAZs',
  'ImportValue',
  'Split',
  'Base64',
  'Equals',
  'FindInMap',
  'Not',
  'And',
  'Or',
  'Cidr',
  'Length',
  'ToJsonString',
  'Transform',
] as const

const longKey = (name: string): string => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`)

/** `!GetAtt Orders.Arn` is the one short form whose scalar is not the long form's value. */
const scalarValue = (name: string, text: string): unknown => {
  if (name !== 'GetAtt') return text
  const dot = text.indexOf('.')
  return dot === -1 ? [text] : [text.slice(0, dot), text.slice(dot + 1)]
}

const tagsFor = (name: string): Array<ScalarTag | CollectionTag> => {
  const key = longKey(name)
  const tag = `!${name}`
  return [
    { tag, resolve: (text: string) => ({ [key]: scalarValue(name, text) }) },
    {
      tag,
      collection: 'seq',
      nodeClass: YAMLSeq,
      resolve: (seq) => ({ [key]: seq.toJSON() }) as never,
    },
    {
      tag,
      collection: 'map',
      nodeClass: YAMLMap,
      resolve: (map) => ({ [key]: map.toJSON() }) as never,
    },
  ]
}

const CLOUDFORMATION_TAGS = SHORT_TAGS.flatMap(tagsFor)

/** A template file that does not parse: the message names the file, line and column. */
export class TemplateSyntaxError extends Error {
  readonly file: string
  constructor(file: string, message: string) {
    super(`${file}: ${message}`, { cause: { package: '@lambda-lifetime/emulator' } })
    this.name = 'TemplateSyntaxError'
    this.file = file
  }
}

/**
 * Parses a CloudFormation template written in YAML or JSON (JSON is YAML) into plain values, with the
 * short intrinsic tags turned into their long form.
 *
 * @example
 * ```ts
 * parseTemplateText('Value: !GetAtt Orders.Arn', 'template.yaml')
 * // { Value: { 'Fn::GetAtt': ['Orders', 'Arn'] } }
 * ```
 */
export const parseTemplateText = (text: string, file: string): unknown => {
  const document = parseDocument(text, { customTags: CLOUDFORMATION_TAGS, prettyErrors: true })
  const [error] = document.errors
  if (error !== undefined) throw new TemplateSyntaxError(file, error.message)
  try {
    return document.toJS({ maxAliasCount: 1000 })
  } catch (cause) {
    // An alias to an anchor that does not exist (`*name`), or too many aliases: found only when resolved.
    throw new TemplateSyntaxError(file, (cause as Error).message)
  }
}
