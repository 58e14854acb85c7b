// Shared shapes of the intermediate representation (IR).
// The IR is plain JSON data: no classes, functions, Maps or timestamps; durations are `…Ms` numbers.

/** Labels on instances and workloads. Keys sorted when emitted. */
export type Labels = Readonly<Record<string, string>>

/** A fully qualified resource name: `namespace/name`. */
export type QualifiedName = string
