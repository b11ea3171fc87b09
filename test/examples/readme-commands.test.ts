/**
 * The commands the root README and the examples' READMEs tell a person to run exist: every `npm run <script>`
 * and `npm start|test` names a script of the package.json next to it (or the root's), every
 * `node <file>` a file, every `--flag` of `node scripts/leftovers.mjs` and `npm run bench --` one the
 * script reads. A README that promises a command nobody can run is the first thing a new user meets.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const READMES = [
  'README.md',
  'examples/README.md',
  'examples/hello/README.md',
  'examples/orders-api/README.md',
]

/** The scripts of the package.json in `dir`; none when the folder has no package.json. */
const scriptsOf = (dir: string): Record<string, string> => {
  const file = join(root, dir, 'package.json')
  if (!existsSync(file)) return {}
  return (JSON.parse(readFileSync(file, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}
}

const read = (file: string): string => readFileSync(join(root, file), 'utf8')

describe.each(READMES)('%s', (readme) => {
  const text = read(readme)
  const dir = dirname(readme)

  it('names only npm scripts that exist', () => {
    // Prepare: the scripts the README's folder and the root define
    const known = new Set([...Object.keys(scriptsOf('.')), ...Object.keys(scriptsOf(dir))])

    // Act
    const named = [...text.matchAll(/npm (?:run ([\w:-]+)|(start|test)\b)/g)].map(
      (match) => (match[1] ?? match[2]) as string,
    )
    const missing = named.filter((name) => !known.has(name))

    // Assess
    expect(missing).toEqual([])
  })

  it('names only files that exist when it says `node <file>`', () => {
    // Act
    const files = [...text.matchAll(/\bnode ((?:scripts|bench)\/[\w./-]+)/g)].map(
      (match) => match[1] as string,
    )
    const missing = files.filter((file) => !existsSync(join(root, file)))

    // Assess
    expect(missing).toEqual([])
  })
})

describe('flags the root README gives to the scripts', () => {
  it('are read by the scripts they are given to', () => {
    // Prepare
    const text = read('README.md')
    const uses: Array<[RegExp, string]> = [
      [/npm run bench -- (--[\w-]+)/g, 'bench/run.ts'],
      [/node scripts\/leftovers\.mjs (--[\w-]+)/g, 'scripts/leftovers.mjs'],
    ]

    // Act
    const unread = uses.flatMap(([pattern, file]) =>
      [...text.matchAll(pattern)]
        .map((match) => match[1] as string)
        .filter((flag) => !read(file).includes(`'${flag}'`))
        .map((flag) => `${flag} (${file})`),
    )

    // Assess
    expect(unread).toEqual([])
  })

  it('include the one the README promises for a short benchmark run', () => {
    expect(read('README.md')).toContain('npm run bench -- --quick')
  })
})
