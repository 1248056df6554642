// One Prometheus registry per process (api and worker in `npm start` share it). Series are cheap
// to update; what costs a query (state read from PostgreSQL or Redis) is read only when scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';

/** Every series of the service starts with this; label values come from fixed sets (README). */
export const METRIC_PREFIX = 'spreiding_';

const NAME = /^spreiding_[a-z][a-z0-9_]*$/;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** State read from the database at most this often, however many scrapers ask. */
const STATE_MAX_AGE_MS = 2_000;

export interface MetricDefinition<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface Metrics {
  readonly registry: Registry;
  counter<L extends string = never>(def: MetricDefinition<L>): Counter<L>;
  histogram<L extends string = never>(def: MetricDefinition<L> & { buckets?: number[] }): Histogram<L>;
  /** `collect` runs when scraped, to set values read from memory (never a query: see stateGauge). */
  gauge<L extends string = never>(def: MetricDefinition<L> & { collect?: (this: Gauge<L>) => void }): Gauge<L>;
  /**
   * A gauge whose values are read when scraped (from PostgreSQL, Redis…), at most every 2 s, and
   * only in the processes that report shared state (the api; see README). `read` returns one
   * value per label set; label sets it no longer returns drop to 0. A failing read leaves the
   * last values and counts in spreiding_metrics_read_errors_total.
   */
  stateGauge<L extends string = never>(
    def: MetricDefinition<L>,
    read: () => Promise<Array<{ labels?: Partial<Record<L, string>>; value: number }>>,
  ): void;
  /** Turns on the state gauges registered so far and later (the api process calls it once). */
  reportState(): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(deps: { logger: Logger }): Metrics {
  const registry = new Registry();
  // The usual process series (CPU, memory, event loop lag, GC), under their usual names.
  collectDefaultMetrics({ register: registry });
  // Processes that do not report state show no state series at all (not zeros).
  let reporting = false;
  const pending: Array<() => void> = [];
  const readErrors = new Counter({
    name: `${METRIC_PREFIX}metrics_read_errors_total`,
    help: 'State gauges whose read failed at scrape time (the last values were kept)',
    labelNames: ['metric'] as const,
    registers: [registry],
  });

  const check = (name: string) => {
    if (!NAME.test(name)) throw new Error(`metric ${name}: names start with ${METRIC_PREFIX} and use [a-z0-9_]`);
  };

  return {
    registry,
    counter<L extends string = never>(def: MetricDefinition<L>) {
      check(def.name);
      return new Counter<L>({ name: def.name, help: def.help, labelNames: def.labelNames ?? [], registers: [registry] });
    },
    histogram<L extends string = never>(def: MetricDefinition<L> & { buckets?: number[] }) {
      check(def.name);
      return new Histogram<L>({ name: def.name, help: def.help, labelNames: def.labelNames ?? [], buckets: def.buckets ?? LATENCY_BUCKETS, registers: [registry] });
    },
    gauge<L extends string = never>(def: MetricDefinition<L> & { collect?: (this: Gauge<L>) => void }) {
      check(def.name);
      return new Gauge<L>({ name: def.name, help: def.help, labelNames: def.labelNames ?? [], registers: [registry], ...(def.collect ? { collect: def.collect } : {}) });
    },
    stateGauge<L extends string = never>(def: MetricDefinition<L>, read: () => Promise<Array<{ labels?: Partial<Record<L, string>>; value: number }>>) {
      check(def.name);
      const register = () => stateGauge(registry, def, read, (name, err) => {
        readErrors.inc({ metric: name });
        deps.logger.debug({ err: { message: err.message }, metric: name }, 'metrics: state read failed');
      });
      if (reporting) register();
      else pending.push(register);
    },
    reportState() {
      reporting = true;
      for (const register of pending.splice(0)) register();
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

function stateGauge<L extends string>(
  registry: Registry,
  def: MetricDefinition<L>,
  read: () => Promise<Array<{ labels?: Partial<Record<L, string>>; value: number }>>,
  onError: (name: string, err: Error) => void,
) {
  let readAt = 0;
  let last: Array<{ labels?: Partial<Record<L, string>>; value: number }> = [];
  new Gauge<L>({
    name: def.name,
    help: def.help,
    labelNames: def.labelNames ?? [],
    registers: [registry],
    async collect() {
      if (Date.now() - readAt >= STATE_MAX_AGE_MS) {
        try {
          last = await read();
          readAt = Date.now();
        } catch (err) {
          onError(def.name, err as Error);
        }
      }
      // Label sets not read now disappear (a status no registration has any more).
      this.reset();
      for (const v of last) {
        if (v.labels && Object.keys(v.labels).length > 0) this.set(v.labels as never, v.value);
        else this.set(v.value);
      }
    },
  });
}
