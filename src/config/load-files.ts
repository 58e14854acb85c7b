// The only I/O of the config pipeline: files and folders → SourceTexts → resources (→ IR).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { Diagnostic } from '../ir/diagnostic.js'
import type { MeshIR } from '../ir/index.js'
import { compile } from '../compiler/compile.js'
import { sortDiagnostics } from '../compiler/diagnostics.js'
import { loadTexts, type LoadResult } from './load-texts.js'
import type { LoadedResource, SourceText } from './source.js'

const CONFIG_FILE = /\.(ya?ml|json)$/i

function fileProblem(file: string, code: string, message: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
  return { severity, code, file, line: 1, col: 1, path: '', resource: '', message }
}

/** Every config file below `dir` (recursively, in path order, hidden entries skipped), as given + below. */
function listFolder(given: string, below: string, out: string[]): void {
  const entries = readdirSync(join(given, below)).filter(n => !n.startsWith('.')).sort()
  for (const name of entries) {
    const rel = below ? join(below, name) : name
    const st = statSync(join(given, rel), { throwIfNoEntry: false })
    if (!st) continue
    if (st.isDirectory()) listFolder(given, rel, out)
    else if (st.isFile() && CONFIG_FILE.test(name)) out.push(join(given, rel))
  }
}

/** Reads every file named or found below a named folder. Problems become diagnostics, never throws. */
export function readSources(paths: readonly string[]): { sources: SourceText[]; diagnostics: Diagnostic[] } {
  const sources: SourceText[] = []
  const diagnostics: Diagnostic[] = []
  for (const given of paths) {
    const st = statSync(given, { throwIfNoEntry: false })
    if (!st) {
      diagnostics.push(fileProblem(given, 'FILE_NOT_FOUND', 'no such file or folder'))
      continue
    }
    const files: string[] = []
    if (st.isDirectory()) {
      listFolder(given, '', files)
      if (files.length === 0) {
        diagnostics.push(fileProblem(given, 'NO_DOCUMENTS', 'no *.yaml, *.yml or *.json file in this folder', 'warning'))
      }
    } else {
      files.push(given)
    }
    for (const file of files) {
      try {
        sources.push({ file, dir: dirname(resolve(file)), text: readFileSync(file, 'utf8') })
      } catch (err) {
        diagnostics.push(fileProblem(file, 'FILE_UNREADABLE', `cannot read: ${(err as Error).message}`))
      }
    }
  }
  return { sources, diagnostics }
}

/** Files/folders → resources, with read and syntax problems as diagnostics. */
export function loadPaths(paths: readonly string[]): LoadResult {
  const read = readSources(paths)
  const loaded = loadTexts(read.sources)
  return { resources: loaded.resources, diagnostics: sortDiagnostics([...read.diagnostics, ...loaded.diagnostics]) }
}

export interface LoadAndCompileResult {
  readonly resources: LoadedResource[]
  readonly ir: MeshIR
  readonly diagnostics: Diagnostic[]
}

/** What `validate` and `up` run: load, validate, compile; every problem collected and sorted. */
export function loadAndCompile(paths: readonly string[]): LoadAndCompileResult {
  const loaded = loadPaths(paths)
  const compiled = compile(loaded.resources)
  return {
    resources: loaded.resources,
    ir: compiled.ir,
    diagnostics: sortDiagnostics([...loaded.diagnostics, ...compiled.diagnostics]),
  }
}
