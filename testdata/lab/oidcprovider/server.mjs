// The fixture lab's fourth provider: panva's oidc-provider (npm, version
// pinned by ../package-lock.json), run unmodified. This file adds only what
// the provider needs to run: a configuration with the lab's clients, an
// interaction handler that signs in the lab user (oidc-provider ships no
// production login page), TLS with a key log, and log lines (fingerprints
// only) from the provider's own events.
//
// Usage: node server.mjs CONFIG.json, with the listening socket as fd 3
// (opened by the recorder, so its capture filter knows the port). Prints
// "ready" on stdout when serving; log lines follow on stdout.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import Provider from 'oidc-provider';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const fp = (v) => (v ? `sha256:${createHash('sha256').update(String(v)).digest('hex').slice(0, 12)}` : '');
const quote = (v) => (/^[\w.:\/-]*$/.test(String(v)) && String(v) !== '' ? String(v) : JSON.stringify(String(v)));
// slog's text format, as the Go providers' log lines
const log = (msg, attrs = {}) => {
  const kv = Object.entries(attrs).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${quote(v)}`);
  process.stdout.write(`level=INFO msg=${quote(msg)}${kv.length ? ` ${kv.join(' ')}` : ''}\n`);
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(6).toString('hex'), use: 'sig', alg: 'RS256' };

const provider = new Provider(cfg.issuer, {
  clients: cfg.clients,
  jwks: { keys: [jwk] },
  // A deployment whose session cookie is sent in third-party frames too
  // (the recorder's SessionSameSiteNone: SameSite=None; oidc-provider adds
  // Secure over TLS), as a silent renewal in a hidden iframe needs;
  // otherwise oidc-provider's default, SameSite=Lax.
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    ...(cfg.sessionSameSiteNone ? { long: { httpOnly: true, sameSite: 'none' } } : {}),
  },
  claims: { openid: ['sub'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'profile'],
  ttl: {
    AuthorizationCode: cfg.codeTTL || 60,
    AccessToken: 3600,
    IdToken: 3600,
    Grant: 86400,
    Interaction: 3600,
    Session: 86400,
    RefreshToken: cfg.refreshTTL || 86400,
    DeviceCode: cfg.deviceCodeTTL || 600,
  },
  // Pushed authorization requests (RFC 9126) are oidc-provider's default
  // (features.pushedAuthorizationRequests, at /request); request objects
  // (JAR, RFC 9101) only when the recorder asks (cfg.requestObjects).
  // The device authorization grant (RFC 8628) only when the recorder asks
  // (cfg.deviceFlow), with oidc-provider's own user code pages.
  features: {
    devInteractions: { enabled: false },
    ...(cfg.requestObjects ? { requestObjects: { enabled: true } } : {}),
    ...(cfg.deviceFlow ? { deviceFlow: { enabled: true } } : {}),
  },
  // A deployment whose CORS configuration allows no origin of the browser
  // app (the recorder's NoCORS); otherwise oidc-provider's default, which
  // allows a public client the origins of its redirect URIs.
  ...(cfg.noCORS ? { clientBasedCORS: () => false } : {}),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: 'Alice (lab user)' }; } };
  },
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const loginPage = (uid, error) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><form method="POST" action="/interaction/${escape(uid)}/login">
<label>Username <input id="username" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password"></label>
<p>${escape(error)}</p><button type="submit">Sign in</button></form></body></html>`;

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The interaction handler: the login form, and consent granted for the
// lab's first-party clients (what oidc-provider's example app does on
// "Continue"), both finished by oidc-provider's interactionResult.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!m) return next();
  ctx.set('Cache-Control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== m[1]) ctx.throw(400, 'interaction mismatch');
  let result;
  if (details.prompt.name === 'login') {
    if (ctx.method === 'GET' && !m[2]) {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, '');
      return;
    }
    if (ctx.method !== 'POST' || !m[2]) ctx.throw(405);
    const form = await readForm(ctx.req);
    if (form.get('username') !== cfg.user || form.get('password') !== cfg.password) {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, 'wrong username or password');
      return;
    }
    result = { login: { accountId: cfg.user } };
  } else if (details.prompt.name === 'consent') {
    const { prompt: { details: missing }, params, session } = details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    if (missing.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    ctx.throw(400, `unsupported prompt ${details.prompt.name}`);
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
});

// The provider's own events, as log lines around it (fingerprints only).
provider.on('authorization_code.saved', (code) => log('code issued', { client_id: code.clientId, code: fp(code.jti), ttl: code.expiresIn }));
provider.on('authorization_code.consumed', (code) => log('code consumed', { code: fp(code.jti) }));
provider.on('authorization.error', (ctx, err) => log('authorize rejected', { error: err.error, description: err.error_description, detail: err.error_detail }));
provider.on('grant.success', (ctx) => log('token issued', {
  grant: ctx.oidc.params.grant_type, client_id: ctx.oidc.client?.clientId, code: fp(ctx.oidc.params.code), origin: ctx.get('origin'),
}));
provider.on('grant.error', (ctx, err) => log('token rejected', {
  grant: ctx.oidc.params?.grant_type, client_id: ctx.oidc.client?.clientId, code: fp(ctx.oidc.params?.code),
  error: err.error, description: err.error_description, detail: err.error_detail, origin: ctx.get('origin'),
}));
provider.on('grant.revoked', (ctx, grantId) => log('grant revoked', { grant_id: fp(grantId) }));
provider.on('userinfo.error', (ctx, err) => log('userinfo refused', { error: err.error, description: err.error_description, detail: err.error_detail }));
provider.on('server_error', (ctx, err) => log('server error', { error: err.message }));

const handler = provider.callback();
let server;
if (!cfg.tls) {
  server = http.createServer(handler);
} else {
  const tls = { cert: readFileSync(cfg.cert), key: readFileSync(cfg.key), minVersion: 'TLSv1.2' };
  server = cfg.http2 ? http2.createSecureServer({ ...tls, allowHTTP1: true }, handler) : https.createServer(tls, handler);
  // the recorder merges these into the scenario's key log
  server.on('keylog', (line) => appendFileSync(cfg.keyLog, line));
}
server.listen({ fd: 3 }, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
