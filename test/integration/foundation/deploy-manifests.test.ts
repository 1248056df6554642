// The Kubernetes manifests under deploy/kubernetes: generated from deploy/k8s/*.ts (default and
// production), every object valid against its schema, the workload rules a Haven cluster expects
// kept, the alert rules on series the service exports, and the committed files current.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMITTED_DIR, differences, generate } from '../../../deploy/k8s/generate.js';
import { validateManifests } from '../../../deploy/k8s/validate.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spreiding-k8s-'));
  generate(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generated manifests', () => {
  it.each(['default', 'production'])('%s: every object valid, 0 errors', async (env) => {
    const { errors, objects } = await validateManifests(join(dir, env));
    expect(errors).toEqual([]);
    expect(objects).toBeGreaterThanOrEqual(15);
  });

  it('the committed deploy/kubernetes is what the generator writes (run npm run manifests)', () => {
    expect(differences(dir, COMMITTED_DIR)).toEqual([]);
  });

  it('production adds the TLS ingress and insists on spreading over zones', () => {
    const prod = readFileSync(join(dir, 'production', 'spreiding.yaml'), 'utf8');
    expect(prod).toContain('kind: Ingress');
    expect(prod).toContain('cert-manager.io/cluster-issuer');
    expect(prod).toContain('whenUnsatisfiable: DoNotSchedule');
    expect(readFileSync(join(dir, 'default', 'spreiding.yaml'), 'utf8')).not.toContain('kind: Ingress');
  });
});

describe('the validator fails what it should', () => {
  /** A copy of the default manifests with one edit applied to spreiding.yaml. */
  async function errorsAfter(edit: (yaml: string) => string): Promise<string[]> {
    const copy = mkdtempSync(join(tmpdir(), 'spreiding-k8s-bad-'));
    try {
      generate(copy);
      const file = join(copy, 'default', 'spreiding.yaml');
      writeFileSync(file, edit(readFileSync(file, 'utf8')));
      return (await validateManifests(join(copy, 'default'))).errors;
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }

  it.each([
    ['a port that is not a number', (y: string) => y.replace('containerPort: 3000', 'containerPort: http-port'), /containerPort must be integer/],
    ['a privileged container', (y: string) => y.replace('privileged: false', 'privileged: true'), /is privileged/],
    ['a writable root filesystem', (y: string) => y.replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'), /root filesystem is not read-only/],
    ['a container without a memory limit', (y: string) => y.replace(/(limits:\n\s+cpu: "1"\n)\s+memory: 512Mi\n/, '$1'), /has no limits.memory/],
    ['a mutable image tag', (y: string) => y.replace('image: spreiding:0.1.0', 'image: spreiding:latest'), /has no fixed tag/],
    ['no disruption budget', (y: string) => y.replace(/kind: PodDisruptionBudget/g, 'kind: ConfigMap'), /no PodDisruptionBudget|schema/],
    ['a secret as a literal', (y: string) => y.replace(/- name: PII_HMAC_KEY\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: spreiding-secrets\n\s+key: PII_HMAC_KEY\n\s+optional: false\n/, '- name: PII_HMAC_KEY\n              value: c2VjcmV0\n'), /PII_HMAC_KEY is a literal value/],
  ])('%s', async (_what, edit, expected) => {
    const errors = await errorsAfter(edit);
    expect(errors.join('\n')).toMatch(expected);
  });
});
