import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compareHostnames, hostCovers, intersectHostname, routeHostnames } from './hostnames.js'

const intersections: { route: string; listener: string; want: string | null }[] = [
  { route: 'api.example.com', listener: 'api.example.com', want: 'api.example.com' },
  { route: 'api.example.com', listener: 'www.example.com', want: null },
  { route: 'api.example.com', listener: '*.example.com', want: 'api.example.com' },
  { route: 'a.b.example.com', listener: '*.example.com', want: 'a.b.example.com' },
  { route: 'example.com', listener: '*.example.com', want: null },
  { route: '*.example.com', listener: 'api.example.com', want: 'api.example.com' },
  { route: '*.example.com', listener: 'example.com', want: null },
  { route: '*.example.com', listener: '*.example.com', want: '*.example.com' },
  { route: '*.api.example.com', listener: '*.example.com', want: '*.api.example.com' },
  { route: '*.example.com', listener: '*.api.example.com', want: '*.api.example.com' },
  { route: '*.example.com', listener: '*.example.org', want: null },
  { route: 'api.example.com', listener: '*.api.example.com', want: null },
  { route: 'xexample.com', listener: '*.example.com', want: null },
]

for (const c of intersections) {
  test(`intersectHostname(${c.route}, ${c.listener})`, () => {
    assert.equal(intersectHostname(c.route, c.listener), c.want)
  })
}

const lists: { name: string; route: string[]; listener: string | null; want: string[] }[] = [
  { name: 'neither side', route: [], listener: null, want: ['*'] },
  { name: 'listener only', route: [], listener: '*.example.com', want: ['*.example.com'] },
  { name: 'route only', route: ['a.example.com', 'b.example.com'], listener: null, want: ['a.example.com', 'b.example.com'] },
  { name: 'some match', route: ['a.example.com', 'a.example.org'], listener: '*.example.com', want: ['a.example.com'] },
  { name: 'none match', route: ['a.example.org'], listener: '*.example.com', want: [] },
]

for (const c of lists) {
  test(`routeHostnames: ${c.name}`, () => {
    assert.deepEqual(routeHostnames(c.route, c.listener), c.want)
  })
}

test('compareHostnames orders exact, then wildcards longest first, then *', () => {
  const hosts = ['*', '*.example.com', 'b.example.com', '*.api.example.com', 'a.example.com']
  assert.deepEqual([...hosts].sort(compareHostnames),
    ['a.example.com', 'b.example.com', '*.api.example.com', '*.example.com', '*'])
})

const coverCases: { general: string; specific: string; want: boolean }[] = [
  { general: '*', specific: 'a.example.com', want: true },
  { general: '*', specific: '*.example.com', want: true },
  { general: '*.example.com', specific: 'a.example.com', want: true },
  { general: '*.example.com', specific: '*.eu.example.com', want: true },
  { general: '*.example.com', specific: 'example.com', want: false },
  { general: '*.eu.example.com', specific: '*.example.com', want: false },
  { general: 'a.example.com', specific: 'a.example.com', want: true },
  { general: 'a.example.com', specific: '*', want: false },
]

for (const c of coverCases) {
  test(`hostCovers(${c.general}, ${c.specific})`, () => {
    assert.equal(hostCovers(c.general, c.specific), c.want)
  })
}
