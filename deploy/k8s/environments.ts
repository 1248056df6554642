// The two generated environments. `production` is the default with what changes for production
// (an overlay, written in TypeScript so every result is validated as a whole).

export interface Environment {
  name: 'default' | 'production';
  namespace: string;
  /** Image name as kustomize's `images:` transformer finds it; the tag is the package version. */
  image: string;
  replicas: { api: number; worker: number };
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  /** V8's old space, below the memory limit (the rest: code, buffers, the new space). */
  maxOldSpaceMb: number;
  /** `ScheduleAnyway` spreads when it can; `DoNotSchedule` insists (Haven clusters span zones). */
  zoneSpread: 'ScheduleAnyway' | 'DoNotSchedule';
  /** Namespaces allowed in: the ingress controller's (to the API) and Prometheus's (to /metrics). */
  ingressNamespace: string;
  monitoringNamespace: string;
  /** Public host name and cert-manager issuer; no Ingress without it. */
  ingress?: { host: string; clusterIssuer: string; className: string };
  /** Non-secret settings (the ConfigMap); secrets come from existing Secret objects. */
  settings: Record<string, string>;
  /** The PostgreSQL role of the api and worker: the migrate Job grants it (DATABASE_APP_ROLE). */
  appRole: string;
  /** The alert on open deadline signals fires above this many. */
  deadlineSignalsThreshold: number;
}

const base: Environment = {
  name: 'default',
  namespace: 'spreiding',
  image: 'spreiding',
  replicas: { api: 2, worker: 2 },
  resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  maxOldSpaceMb: 320,
  zoneSpread: 'ScheduleAnyway',
  ingressNamespace: 'ingress-nginx',
  monitoringNamespace: 'monitoring',
  settings: {
    HOST: '0.0.0.0',
    PORT: '3000',
    METRICS_PORT: '9464',
    METRICS_HOST: '0.0.0.0',
    LOG_LEVEL: 'info',
    // One proxy hop: the ingress controller.
    TRUST_PROXY: '1',
    SHUTDOWN_TIMEOUT_MS: '25000',
    DATABASE_POOL_MAX: '10',
  },
  appRole: 'spreiding_app',
  deadlineSignalsThreshold: 10,
};

const production: Environment = {
  ...base,
  name: 'production',
  replicas: { api: 3, worker: 3 },
  resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  maxOldSpaceMb: 704,
  zoneSpread: 'DoNotSchedule',
  ingress: { host: 'spreiding.example.nl', clusterIssuer: 'letsencrypt', className: 'nginx' },
  settings: {
    ...base.settings,
    // Tokens from the organisation's OIDC server; replace with yours (kustomize configMapGenerator
    // with behavior: merge, or edit after generating).
    AUTH_JWKS_URL: 'https://login.example.nl/realms/spreiding/protocol/openid-connect/certs',
    AUTH_JWT_ISSUER: 'https://login.example.nl/realms/spreiding',
    AUTH_JWT_AUDIENCE: 'spreiding-api',
  },
};

export const ENVIRONMENTS: readonly Environment[] = [base, production];
