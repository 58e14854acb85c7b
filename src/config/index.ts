// The config pipeline's entry points: load (I/O at the edge), then the pure compiler.
export type { SourceText, LoadedResource, FieldPath, Position } from './source.js'
export { loadTexts, type LoadResult } from './load-texts.js'
export { loadPaths, readSources, loadAndCompile, type LoadAndCompileResult } from './load-files.js'
export { parseDuration, DURATION_HINT } from './duration.js'
