// Alert rules (PrometheusRule). State gauges are reported by every api replica alike: `max`
// takes one of them; counters and histograms add up over the processes with `sum`.
import type { Environment } from './environments.js';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical' };
  annotations: { summary: string; description: string };
}

export function alertGroups(env: Environment): Array<{ name: string; rules: Rule[] }> {
  const rules: Rule[] = [
    {
      alert: 'SpreidingOutboxBacklogOld',
      expr: 'max(spreiding_outbox_oldest_unsent_age_seconds) > 60',
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Accepted registrations are not reaching the queue',
        description: 'The oldest unsent outbox row is {{ $value | humanizeDuration }} old (more than a minute): Redis is unreachable or no api process runs the relay. Nothing is lost; proposals wait.',
      },
    },
    {
      alert: 'SpreidingProposalLagHigh',
      expr: 'histogram_quantile(0.99, sum by (le) (rate(spreiding_proposal_lag_seconds_bucket[5m]))) > 5',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Proposals take longer than 5 s (p99)',
        description: 'The 99th percentile from queued to proposed is {{ $value | humanizeDuration }}: the workers fall behind (too few, starved of CPU, or waiting for the ledger lock: see spreiding_ledger_lock_wait_seconds).',
      },
    },
    {
      alert: 'SpreidingDeadlineSignalsHigh',
      // Reported by the deadline-signal module as spreiding_deadline_signals_open{stage,level}.
      expr: `sum(max by (stage, level) (spreiding_deadline_signals_open)) > ${env.deadlineSignalsThreshold}`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `More than ${env.deadlineSignalsThreshold} deadline signals are open`,
        description: '{{ $value }} registrations have passed a deadline (proposal, review, acceptance or transfer): see GET /api/v1/signals.',
      },
    },
    {
      alert: 'SpreidingJobsFailing',
      expr: 'sum by (queue, job) (rate(spreiding_job_failures_total[5m])) > 0',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Jobs keep failing',
        description: 'Job {{ $labels.job }} on queue {{ $labels.queue }} has failed attempts for 10 minutes (retried with backoff); see the worker logs.',
      },
    },
    {
      alert: 'SpreidingJobsFailedForGood',
      expr: 'max by (queue) (delta(spreiding_queue_jobs{state="failed"}[15m])) > 0',
      for: '0m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Jobs used up their attempts',
        description: 'Jobs on queue {{ $labels.queue }} failed for good; the outbox relay re-sends the allocations of registrations still queued after a minute, but find out why.',
      },
    },
  ];
  return [{ name: 'spreiding', rules }];
}

/** Every series the rules use, for the generator's check that each exists (or is announced). */
export function seriesInRules(env: Environment): string[] {
  const names = new Set<string>();
  for (const g of alertGroups(env)) for (const r of g.rules) for (const m of r.expr.matchAll(/spreiding_[a-z0-9_]+/g)) names.add(m[0]);
  return [...names];
}
