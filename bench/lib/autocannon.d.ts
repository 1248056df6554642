// autocannon ships no types; this is the part the load generator uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  interface Options {
    /** Several base URLs: the connections are spread over them. */
    url: string | string[];
    connections?: number;
    duration?: number;
    overallRate?: number;
    timeout?: number;
    headers?: Record<string, string>;
    requests?: Array<Record<string, unknown> & { setupRequest?: (req: Record<string, unknown>) => Record<string, unknown> }>;
  }
  function autocannon(opts: Options): EventEmitter;
  export default autocannon;
}
