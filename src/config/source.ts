// What the loader reads (SourceText) and what it hands to the compiler (LoadedResource).

/** One file's text. `dir` is the absolute folder of the file (relative paths in documents resolve there). */
export interface SourceText {
  readonly file: string
  readonly dir: string
  readonly text: string
  /** Added to every reported line: used when one stored document is re-parsed alone. */
  readonly lineOffset?: number
}

export type FieldPath = readonly (string | number)[]

export interface Position { readonly line: number; readonly col: number }

/** One YAML/JSON document of the Kubernetes shape, with a way back to FILE:LINE:COL. */
export interface LoadedResource {
  readonly apiVersion: string
  readonly kind: string
  readonly namespace: string            // metadata.namespace, default 'default'
  readonly name: string                 // metadata.name ('' when missing)
  readonly qualifiedName: string        // 'namespace/name'
  readonly file: string
  readonly dir: string
  readonly line: number                 // where the document starts (1-based)
  readonly col: number
  /** This document's source alone; re-parse it with lineOffset = line - 1 to keep positions. */
  readonly text: string
  readonly value: Record<string, unknown>
  /**
   * Position of the key or the value at `path`. A path that does not exist resolves to its
   * deepest existing ancestor (its key when `which` is 'key').
   */
  locate(path: FieldPath, which: 'key' | 'value'): Position
}
