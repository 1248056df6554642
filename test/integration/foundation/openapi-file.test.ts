// The committed openapi/openapi.json is what clients and the ADR linter read; it must be the
// document the code generates today.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApi, OPENAPI_FILE } from '../../../scripts/openapi.js';

describe('openapi/openapi.json', () => {
  it('matches the document generated from the route schemas (else: run npm run openapi)', async () => {
    const generated = await generateOpenApi();
    let committed = '';
    try {
      committed = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      expect.fail(`${OPENAPI_FILE} is missing: run npm run openapi and commit the result`);
    }
    // A plain equality check, so the failure message stays short and says what to do.
    expect(committed === generated, 'openapi/openapi.json is stale: run npm run openapi and commit the result').toBe(true);
  });

  it('is generated the same way every time', async () => {
    expect(await generateOpenApi()).toBe(await generateOpenApi());
  });

  it('gives every operation an operationId', async () => {
    const doc = JSON.parse(await generateOpenApi()) as { paths: Record<string, Record<string, { operationId?: string }>> };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method.toUpperCase()} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      }
    }
  });
});
