// One request's state as it moves through a listener's chain. Created once per request with a
// fixed shape; filters mutate `path` and `headers` before the upstream request is made.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'

export class Exchange {
  /** Response headers added by filters (ResponseHeaderModifier), applied when the response starts. */
  responseHeaders: ResponseHeaderEdit | null = null
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    public path: string,              // normalized path, without the query
    readonly query: string | null,
    public headers: OutgoingHttpHeaders,
    readonly startMs: number,
  ) {}

  get target(): string { return this.query === null ? this.path : `${this.path}?${this.query}` }
}

export type ResponseHeaderEdit = (headers: OutgoingHttpHeaders) => void
