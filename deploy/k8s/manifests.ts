// The Kubernetes objects of one environment, built with kubernetes-models: typed against the
// Kubernetes API, and each validated against its JSON schema before it is written.
import { readFileSync } from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Service, ServiceAccount, type IContainer, type IEnvVar, type IPodSpec, type IProbe } from 'kubernetes-models/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { Environment } from './environments.js';
import { alertGroups } from './alerts.js';

export type K8sObject = { toJSON(): unknown; validate(): void; kind: string; metadata?: { name?: string } };

/** The files of an environment: each a list of objects (kustomize resources). */
export interface Bundle {
  /** The service: `kubectl apply -k <env>` (after the migrate Job). */
  app: K8sObject[];
  /** The migrate Job: applied and awaited before each rollout of a new version. */
  migrate: K8sObject[];
  /** Prometheus Operator objects (needs its CRDs): ServiceMonitor and PrometheusRule. */
  monitoring: K8sObject[];
}

const APP_PORT = 3000;
const METRICS_PORT = 9464;
/** The node image's `node` user. */
const UID = 1000;
/** Secret objects the operator creates beforehand (deploy/README.md); never generated here. */
export const SECRETS = { app: 'spreiding-secrets', migrate: 'spreiding-migrate' } as const;

const labels = (component: string) => ({
  'app.kubernetes.io/name': 'spreiding',
  'app.kubernetes.io/component': component,
  'app.kubernetes.io/part-of': 'spreiding',
});
const selector = (component: string) => ({ 'app.kubernetes.io/name': 'spreiding', 'app.kubernetes.io/component': component });

const secretEnv = (secret: string, key: string, optional = false): IEnvVar => ({ name: key, valueFrom: { secretKeyRef: { name: secret, key, optional } } });

/** What every process reads from Secrets; the rest comes from the ConfigMap. */
function appSecrets(): IEnvVar[] {
  return [
    secretEnv(SECRETS.app, 'DATABASE_URL'),
    secretEnv(SECRETS.app, 'REDIS_URL'),
    secretEnv(SECRETS.app, 'PII_ENCRYPTION_KEY'),
    secretEnv(SECRETS.app, 'PII_HMAC_KEY'),
    // HS256 secret or (production) a JWKS URL in the ConfigMap: one of the two.
    secretEnv(SECRETS.app, 'AUTH_JWT_SECRET', true),
    secretEnv(SECRETS.app, 'PII_ENCRYPTION_PREVIOUS_KEYS', true),
    secretEnv(SECRETS.app, 'METRICS_TOKEN', true),
    secretEnv(SECRETS.app, 'OTEL_EXPORTER_OTLP_ENDPOINT', true),
    secretEnv(SECRETS.app, 'OTEL_EXPORTER_OTLP_HEADERS', true),
  ];
}

/** Non-root, read-only root filesystem, no privilege escalation, no capabilities: the restricted Pod Security Standard. */
function container(env: Environment, name: string, command: string[], extra: Partial<IContainer>): IContainer {
  return {
    name,
    image: `${env.image}:${VERSION}`,
    imagePullPolicy: 'IfNotPresent',
    command,
    envFrom: [{ configMapRef: { name: 'spreiding-config' } }],
    // A variable in `extra.env` replaces the one of the same name (the migrate Job's DATABASE_URL).
    env: [
      ...appSecrets().filter((e) => !(extra.env ?? []).some((x) => x.name === e.name)),
      { name: 'NODE_OPTIONS', value: `--max-old-space-size=${env.maxOldSpaceMb}` },
      ...(extra.env ?? []),
    ],
    resources: env.resources,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: UID,
      runAsGroup: UID,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'env')),
  };
}

function podSpec(env: Environment, component: string, c: IContainer, extra: Partial<IPodSpec>, spread = true): IPodSpec {
  return {
    serviceAccountName: 'spreiding',
    automountServiceAccountToken: false,
    // No SPREIDING_API_PORT-style variables from Services: config reads the environment.
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [c],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
    ...(spread ? { topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: env.zoneSpread, labelSelector: { matchLabels: selector(component) } },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector(component) } },
    ] } : {}),
    ...extra,
  };
}

const httpProbe = (path: string, port: string, o: Partial<IProbe>): IProbe => ({ httpGet: { path, port }, timeoutSeconds: 3, ...o });

/** The image tag and the migrate Job's name follow the release (package.json). */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildBundle(env: Environment): Bundle {
  const ns = env.namespace;
  const meta = (name: string, component: string, more: Record<string, unknown> = {}) => ({ name, namespace: ns, labels: labels(component), ...more });

  const serviceAccount = new ServiceAccount({ metadata: meta('spreiding', 'service'), automountServiceAccountToken: false });
  const config = new ConfigMap({ metadata: meta('spreiding-config', 'service'), data: env.settings });

  const ports = [
    { name: 'http', containerPort: APP_PORT, protocol: 'TCP' as const },
    { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' as const },
  ];
  /** A long-running process: a new pod is ready before an old one goes. */
  const deployment = (component: 'api' | 'worker', replicas: number, c: IContainer, gracePeriodSeconds: number) =>
    new Deployment({
      metadata: meta(`spreiding-${component}`, component),
      spec: {
        replicas,
        selector: { matchLabels: selector(component) },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: { metadata: { labels: labels(component) }, spec: podSpec(env, component, c, { terminationGracePeriodSeconds: gracePeriodSeconds }) },
      },
    });
  const api = deployment(
    'api',
    env.replicas.api,
    container(env, 'api', ['node', 'dist/src/server.js'], {
      ports,
      startupProbe: httpProbe('/api/v1/health', 'http', { periodSeconds: 2, failureThreshold: 30 }),
      livenessProbe: httpProbe('/api/v1/health', 'http', { periodSeconds: 10, failureThreshold: 3 }),
      readinessProbe: httpProbe('/api/v1/ready', 'http', { periodSeconds: 5, failureThreshold: 2 }),
      // Endpoints are removed while the pod still serves; then SIGTERM drains in-flight
      // requests (SHUTDOWN_TIMEOUT_MS, 25 s) well within the grace period.
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
    }),
    40,
  );
  const worker = deployment(
    'worker',
    env.replicas.worker,
    container(env, 'worker', ['node', 'dist/src/worker.js'], {
      ports: [ports[1]!],
      // The worker serves no API: its metrics port answers /health while the job runner runs.
      livenessProbe: httpProbe('/health', 'metrics', { periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 10 }),
      readinessProbe: httpProbe('/health', 'metrics', { periodSeconds: 10 }),
    }),
    // SIGTERM: stop taking jobs, finish the running ones (SHUTDOWN_TIMEOUT_MS), exit.
    35,
  );

  const apiService = new Service({
    metadata: meta('spreiding-api', 'api'),
    spec: {
      selector: selector('api'),
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' },
      ],
    },
  });
  const workerService = new Service({
    metadata: meta('spreiding-worker', 'worker'),
    spec: { clusterIP: 'None', selector: selector('worker'), ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }] },
  });

  const pdb = (component: string) =>
    new PodDisruptionBudget({ metadata: meta(`spreiding-${component}`, component), spec: { maxUnavailable: 1, selector: { matchLabels: selector(component) } } });

  const nsSelector = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
  const partOf = { matchLabels: { 'app.kubernetes.io/part-of': 'spreiding' } };
  const tcp = (port: number) => ({ protocol: 'TCP' as const, port });
  const policies = [
    // Nothing in or out unless a policy below allows it.
    new NetworkPolicy({ metadata: meta('spreiding-default-deny', 'service'), spec: { podSelector: partOf, policyTypes: ['Ingress', 'Egress'] } }),
    new NetworkPolicy({
      metadata: meta('spreiding-api-ingress', 'api'),
      spec: {
        podSelector: { matchLabels: selector('api') },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [nsSelector(env.ingressNamespace)], ports: [tcp(APP_PORT)] },
          { from: [nsSelector(env.monitoringNamespace)], ports: [tcp(METRICS_PORT)] },
        ],
      },
    }),
    new NetworkPolicy({
      metadata: meta('spreiding-worker-ingress', 'worker'),
      spec: { podSelector: { matchLabels: selector('worker') }, policyTypes: ['Ingress'], ingress: [{ from: [nsSelector(env.monitoringNamespace)], ports: [tcp(METRICS_PORT)] }] },
    }),
    new NetworkPolicy({
      metadata: meta('spreiding-egress', 'service'),
      spec: {
        podSelector: partOf,
        policyTypes: ['Egress'],
        egress: [
          { to: [nsSelector('kube-system')], ports: [{ protocol: 'UDP' as const, port: 53 }, tcp(53)] },
          // PostgreSQL, Redis, the OTLP collector and the identity provider's JWKS (HTTPS),
          // wherever they run; narrow `to` to their addresses in your overlay.
          { ports: [tcp(5432), tcp(6379), tcp(4318), tcp(443)] },
        ],
      },
    }),
  ];

  const app: K8sObject[] = [serviceAccount, config, api, worker, apiService, workerService, pdb('api'), pdb('worker'), ...policies];
  if (env.ingress) {
    app.push(
      new Ingress({
        metadata: meta('spreiding-api', 'api', { annotations: { 'cert-manager.io/cluster-issuer': env.ingress.clusterIssuer } }),
        spec: {
          ingressClassName: env.ingress.className,
          tls: [{ hosts: [env.ingress.host], secretName: 'spreiding-tls' }],
          rules: [
            {
              host: env.ingress.host,
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'spreiding-api', port: { name: 'http' } } } }] },
            },
          ],
        },
      }),
    );
  }

  const migrate = new Job({
    // Named after the version: a Job's pod template cannot change, so each release has its own.
    metadata: meta(`spreiding-migrate-${VERSION.replace(/\./g, '-')}`, 'migrate', {
      // Argo CD runs it before syncing the rest; with kubectl, apply and wait for it first.
      annotations: { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' },
    }),
    spec: {
      backoffLimit: 3,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: { labels: labels('migrate') },
        spec: podSpec(
          env,
          'migrate',
          container(env, 'migrate', ['node', 'dist/scripts/migrate.js'], {
            // As the owner of the tables; then it grants the application role (and only that).
            env: [secretEnv(SECRETS.migrate, 'DATABASE_URL'), { name: 'DATABASE_APP_ROLE', value: env.appRole }],
            resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
          }),
          { restartPolicy: 'OnFailure' },
          false,
        ),
      },
    },
  });

  const monitoring: K8sObject[] = [
    new ServiceMonitor({
      metadata: meta('spreiding', 'service'),
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/part-of': 'spreiding' } },
        endpoints: [
          {
            port: 'metrics',
            path: '/metrics',
            interval: '30s',
            authorization: { type: 'Bearer', credentials: { name: SECRETS.app, key: 'METRICS_TOKEN', optional: true } },
          },
        ],
      },
    }),
    new PrometheusRule({ metadata: meta('spreiding', 'service'), spec: { groups: alertGroups(env) } }),
  ];

  return { app, migrate: [migrate], monitoring };
}
