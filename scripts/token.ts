// `npm run --silent token -- --role coordinator [--municipality GM0363] [--municipalities GM0363,GM0344] [--sub name] [--hours 8]`
// Prints an HS256 token signed with the configured AUTH_JWT_SECRET (embedded mode: the generated one).
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/boot.js';
import { principalFromClaims, ROLES, signToken, type Role } from '../src/modules/auth/auth-tokens.js';

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        role: { type: 'string' },
        municipality: { type: 'string' },
        municipalities: { type: 'string' },
        sub: { type: 'string' },
        hours: { type: 'string', default: '8' },
      },
      strict: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
})();

const role = values.role as Role | undefined;
if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
const hours = Number(values.hours);
if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 30) fail('--hours must be a number of hours up to 720');
const municipalities = values.municipalities?.split(',').map((s) => s.trim()).filter(Boolean);
const sub = values.sub ?? `cli:${role}${values.municipality ? `:${values.municipality}` : ''}`;

// The same rules the API applies, so the CLI never prints a token the API would refuse.
try {
  principalFromClaims({ sub, role, municipality: values.municipality, municipalities });
} catch (err) {
  fail((err as Error).message);
}

const config = loadConfigOrExit();
if (!config.auth.jwtSecret) fail('AUTH_JWT_SECRET is not set (this deployment verifies tokens with AUTH_JWKS_URL; ask its identity provider)');
const token = await signToken(config.auth.jwtSecret, {
  sub,
  role,
  ...(values.municipality ? { municipality: values.municipality } : {}),
  ...(municipalities ? { municipalities } : {}),
  expiresInSeconds: Math.round(hours * 3600),
  ...(config.auth.issuer ? { issuer: config.auth.issuer } : {}),
  ...(config.auth.audience ? { audience: config.auth.audience } : {}),
});
process.stdout.write(`${token}\n`);
