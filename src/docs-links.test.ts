import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** README.md, every page under docs/ and every README under examples/. */
function pages(): string[] {
  const found = [join(root, 'README.md')]
  const walk = (dir: string, only?: RegExp) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path, only)
      else if (name.endsWith('.md') && (!only || only.test(name))) found.push(path)
    }
  }
  walk(join(root, 'docs'))
  walk(join(root, 'examples'), /^README\.md$/)
  return found
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
}

/** The anchors of a markdown file's headings (outside code blocks). */
function anchors(path: string): Set<string> {
  const result = new Set<string>()
  let code = false
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('```')) code = !code
    const heading = !code && /^#{1,6}\s+(.*)$/.exec(line)
    if (heading) result.add(slug(heading[1]!))
  }
  return result
}

/** Markdown links of a text outside code blocks and inline code. */
function links(text: string): string[] {
  const result: string[] = []
  let code = false
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) code = !code
    if (code) continue
    for (const match of line.replace(/`[^`]*`/g, '``').matchAll(/\]\(([^)\s]+)\)/g)) result.push(match[1]!)
  }
  return result
}

test('every relative link in the README, docs/ and the examples resolves, anchors included', () => {
  const broken: string[] = []
  for (const page of pages()) {
    const text = readFileSync(page, 'utf8')
    for (const link of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue
      const [path = '', anchor] = link.split('#')
      const target = path === '' ? page : resolve(dirname(page), decodeURIComponent(path))
      const where = `${relative(root, page)}: ${link}`
      if (!existsSync(target)) broken.push(`${where} (no such file)`)
      else if (anchor && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${where} (no such heading)`)
    }
  }
  assert.deepEqual(broken, [])
})

test('the repository speaks of itself alone: no links outside it', () => {
  for (const page of pages()) {
    for (const link of links(readFileSync(page, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue
      const target = resolve(dirname(page), link.split('#')[0] || '.')
      assert.ok(!relative(root, target).startsWith('..'), `${relative(root, page)} links outside the repository: ${link}`)
    }
  }
})
