// Configures the Glewlwyd gen.sh started (http://127.0.0.1:4952, a fresh
// database from Debian's init.sqlite3.sql, its administrator admin with the
// password that script sets, "password") through its administration API, as
// its admin web app would: an OpenID Connect plugin instance "oidc" (RS256
// with the key pair KEY.pem/CERT.pem made for the run, codes living
// CODE_TTL seconds, PKCE allowed), a user alice and one confidential client
// web-app whose one redirect URI is http://localhost:4953/callback.
// Usage: node setup.mjs KEY.pem CERT.pem CODE_TTL. Secrets are test-only.
import { readFileSync } from 'node:fs';

const [key, cert, ttl] = process.argv.slice(2);
const API = 'http://127.0.0.1:4952/api';
let cookie = '';
async function call(method, path, body) {
  const r = await fetch(`${API}${path}`, {
    method, headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: body && JSON.stringify(body),
  });
  const set = r.headers.get('set-cookie');
  if (set) cookie = set.split(';')[0];
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text;
}
await call('POST', '/auth/', { username: 'admin', password: 'password' });
await call('POST', '/mod/plugin/', {
  module: 'oidc', name: 'oidc', display_name: 'OpenID Connect', enabled: true,
  parameters: {
    iss: 'http://127.0.0.1:4952/api/oidc', 'jwt-type': 'rsa', 'jwt-key-size': '256',
    key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'),
    'code-duration': Number(ttl), 'refresh-token-duration': 1209600, 'access-token-duration': 3600,
    'auth-type-code-enabled': true, 'auth-type-refresh-enabled': true, 'auth-type-implicit-enabled': false,
    'auth-type-password-enabled': false, 'auth-type-client-enabled': false, 'auth-type-token-id-token-enabled': false,
    'auth-type-none-enabled': false, 'auth-type-device-enabled': false,
    'pkce-allowed': true, 'pkce-method-plain-allowed': false, 'allowed-scope': ['openid'],
  },
});
await call('POST', '/user/', { username: 'alice', name: 'Alice (test user)', password: 'test-only-password', scope: ['openid'], enabled: true });
await call('POST', '/client/', {
  client_id: 'web-app', name: 'Web App', confidential: true, password: 'test-only-glewlwyd-client-secret',
  redirect_uri: ['http://localhost:4953/callback'], authorization_type: ['code', 'refresh_token'],
  token_endpoint_auth_method: ['client_secret_basic'],
  scope: ['openid'], enabled: true,
});
console.log('glewlwyd: plugin oidc, user alice, client web-app');
