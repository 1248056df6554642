// Validates generated manifests as files: every document against the Kubernetes (or Prometheus
// Operator) JSON schema of its kind, then the rules a Haven cluster's workloads should follow
// (the restricted Pod Security Standard, limits, probes, disruption budgets, network policies),
// and that the alert rules use series the service exports.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import pino from 'pino';
import { createMetrics } from '../../src/modules/metrics/metrics-registry.js';
import { createServiceMetrics, SERIES_FROM_OTHER_MODULES } from '../../src/modules/metrics/service-metrics.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : f.endsWith('.yaml') ? [p] : [];
  });
}

/** The names Prometheus sees for the service's series (a histogram's _bucket, _count, _sum too). */
async function exportedSeries(): Promise<Set<string>> {
  const metrics = createMetrics({ logger: pino({ level: 'silent' }) });
  createServiceMetrics({ metrics, db: undefined as never, clock: { now: () => new Date() }, queueName: 'q', queueCounts: async () => ({}), poolStats: () => undefined });
  metrics.reportState();
  const names = new Set<string>(SERIES_FROM_OTHER_MODULES);
  for (const m of metrics.registry.getMetricsAsArray()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(m.name + s);
  }
  return names;
}

function podChecks(where: string, spec: Doc, errors: string[]) {
  const err = (m: string) => errors.push(`${where}: ${m}`);
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) err('uses the host network, PID or IPC namespace');
  if ((spec.volumes ?? []).some((v: Doc) => v.hostPath)) err('mounts a hostPath volume');
  if (spec.automountServiceAccountToken !== false) err('mounts a service account token it does not need');
  if (spec.securityContext?.runAsNonRoot !== true) err('pod securityContext.runAsNonRoot is not true');
  if (spec.securityContext?.seccompProfile?.type !== 'RuntimeDefault') err('pod seccompProfile is not RuntimeDefault');
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Doc[]) {
    const at = (m: string) => err(`container ${c.name}: ${m}`);
    const sc = c.securityContext ?? {};
    if (sc.privileged) at('is privileged');
    if (sc.allowPrivilegeEscalation !== false) at('allowPrivilegeEscalation is not false');
    if (sc.readOnlyRootFilesystem !== true) at('root filesystem is not read-only');
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) at('does not drop ALL capabilities');
    if ((sc.capabilities?.add ?? []).length > 0) at('adds capabilities');
    if (sc.runAsUser === 0) at('runs as root');
    for (const kind of ['requests', 'limits']) {
      for (const r of ['cpu', 'memory']) if (!c.resources?.[kind]?.[r]) at(`has no ${kind}.${r}`);
    }
    if (!/:[^:/]+$/.test(c.image ?? '') || /:latest$/.test(c.image)) at(`image ${c.image} has no fixed tag`);
    for (const e of c.env ?? []) if (e.value !== undefined && /SECRET|KEY|PASSWORD|TOKEN|DATABASE_URL/.test(e.name) && !e.name.startsWith('NODE_')) at(`${e.name} is a literal value, not from a Secret`);
  }
}

/** Errors in the manifests under `dir` (empty when valid). */
export async function validateManifests(dir: string): Promise<{ errors: string[]; objects: number }> {
  const errors: string[] = [];
  const docs: Array<{ file: string; doc: Doc }> = [];
  for (const file of yamlFiles(dir)) {
    const rel = relative(dir, file);
    for (const parsed of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (parsed.errors.length > 0) {
        errors.push(`${rel}: YAML: ${parsed.errors.map((e) => e.message).join('; ')}`);
        continue;
      }
      const doc = parsed.toJS() as Doc | null;
      if (doc === null) continue;
      if (doc.kind === 'Kustomization') {
        for (const r of doc.resources ?? []) if (!existsSync(join(dirname(file), r))) errors.push(`${rel}: resource ${r} does not exist`);
        continue;
      }
      docs.push({ file: rel, doc });
    }
  }

  const series = await exportedSeries();
  for (const { file, doc } of docs) {
    const where = `${file}: ${doc.kind}/${doc.metadata?.name}`;
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    if (!Model) {
      errors.push(`${where}: ${doc.apiVersion} ${doc.kind} is not a kind this generator knows (Secrets are never generated)`);
      continue;
    }
    try {
      new Model(doc as never).validate();
    } catch (e) {
      errors.push(`${where}: schema: ${(e as Error).message}`);
    }
    if (doc.kind === 'Deployment' || doc.kind === 'Job') podChecks(where, doc.spec?.template?.spec ?? {}, errors);
    if (doc.kind === 'Deployment') {
      for (const c of doc.spec?.template?.spec?.containers ?? []) {
        if (!c.livenessProbe || !c.readinessProbe) errors.push(`${where}: container ${c.name} lacks a liveness or readiness probe`);
      }
      const labels = doc.spec?.template?.metadata?.labels ?? {};
      const covered = docs.some(
        (o) => o.doc.kind === 'PodDisruptionBudget' && Object.entries(o.doc.spec?.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
      );
      if (!covered) errors.push(`${where}: no PodDisruptionBudget selects its pods`);
    }
    if (doc.kind === 'PrometheusRule') {
      for (const g of doc.spec?.groups ?? []) {
        for (const r of g.rules ?? []) {
          for (const m of String(r.expr).matchAll(/spreiding_[a-z0-9_]+/g)) {
            if (!series.has(m[0])) errors.push(`${where}: alert ${r.alert} uses ${m[0]}, which nothing exports`);
          }
        }
      }
    }
  }
  const workloads = docs.filter((d) => d.doc.kind === 'Deployment');
  if (workloads.length > 0) {
    const denyAll = docs.some((d) => d.doc.kind === 'NetworkPolicy' && (d.doc.spec?.policyTypes ?? []).length === 2 && !d.doc.spec?.ingress && !d.doc.spec?.egress);
    if (!denyAll) errors.push('no default-deny NetworkPolicy');
  }
  return { errors, objects: docs.length };
}
