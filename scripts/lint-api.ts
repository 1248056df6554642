// `npm run lint:api`: the Dutch API Design Rules linter (Spectral, the official ADR ruleset) on
// the committed OpenAPI document. Exits non-zero on any error-severity finding.
// The ruleset stays in ../shared/api-design-rules (it is the government's, not ours to fork);
// ADR_RULESET points elsewhere, e.g. at a checkout with a newer ruleset.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const document = resolve(root, 'openapi/openapi.json');
// Read here rather than through src/config.ts: this is a developer tool, not the service.
const ruleset = resolve(root, process.env.ADR_RULESET ?? '../shared/api-design-rules/ruleset.yaml');
const spectral = resolve(root, 'node_modules/.bin/spectral');

function fail(message: string): never {
  process.stderr.write(`lint:api: ${message}\n`);
  process.exit(2);
}

if (!existsSync(document)) fail(`${document} does not exist; run npm run openapi first`);
if (!existsSync(ruleset)) fail(`no ruleset at ${ruleset}; set ADR_RULESET to the ADR ruleset.yaml`);
if (!existsSync(spectral)) fail(`${spectral} is missing; run npm ci (the linter is a dev dependency)`);

process.stdout.write(`ADR linter: ${document}\n  ruleset ${ruleset}\n`);
const result = spawnSync(spectral, ['lint', '--ruleset', ruleset, '--fail-severity', 'error', '--format', 'stylish', document], {
  cwd: root,
  stdio: 'inherit',
});
if (result.error) fail(`could not run spectral: ${result.error.message}`);
if (result.status !== 0) {
  process.stderr.write(`lint:api: the OpenAPI document breaks the API Design Rules (spectral exit ${result.status ?? result.signal})\n`);
  process.exit(result.status || 1);
}
process.stdout.write('lint:api: 0 errors\n');
