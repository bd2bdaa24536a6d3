// The OpenID provider of the recordings: panva's oidc-provider over https
// (MSAL.js takes only an https authority) with a login form of its own and
// consent granted, two public SPA clients (PKCE, no secret), CORS for their
// origin (oidc-provider's default for public clients), and refresh tokens
// issued to clients allowed the grant (an SPA policy like Entra's, instead of
// oidc-provider's default that asks offline_access with prompt=consent).
// Other recordings (../oauth2-proxy) give the account more claims: claims
// maps scopes to claim names, account adds claims to alice's.
// All secrets are test-only values.
import { createServer } from 'node:https';
import Provider from 'oidc-provider';

export const USER = 'alice', PASSWORD = 'test-only-password';

// revocation turns on oidc-provider's token revocation endpoint (RFC 7009,
// /token/revocation; off by default, and other recordings' discovery
// documents do not list it).
export function startProvider({ issuer, port, clients, key, cert, ttl, claims, account = {}, revocation = false, log = console.log }) {
  const provider = new Provider(issuer, {
    clients,
    ...(ttl ? { ttl } : {}),
    cookies: { keys: ['test-only-cookie-key-of-the-provider'] },
    claims: claims || { openid: ['sub'], profile: ['name', 'preferred_username'] },
    scopes: ['openid', 'offline_access', ...Object.keys(claims || { profile: 1 }).filter((s) => s !== 'openid')],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, ...(revocation ? { revocation: { enabled: true } } : {}) },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async issueRefreshToken(ctx, client) { return client.grantTypeAllowed('refresh_token'); },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id, name: 'Alice (test user)', preferred_username: 'alice@example.test', ...account }; } };
    },
  });
  provider.proxy = false;
  const loginPage = (uid) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><form method="POST" action="/interaction/${uid}/login"><input id="username" name="username"><input id="password" name="password" type="password"><button type="submit">Sign in</button></form></body></html>`;
  provider.use(async (ctx, next) => {
    const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
    if (!m) return next();
    ctx.set('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      if (!m[2]) { ctx.type = 'html'; ctx.body = loginPage(details.uid); return; }
      let body = '';
      for await (const c of ctx.req) body += c;
      const form = new URLSearchParams(body);
      if (form.get('username') !== USER || form.get('password') !== PASSWORD) ctx.throw(401);
      result = { login: { accountId: USER } };
    } else {
      const { prompt: { details: missing }, params, session } = details;
      const grant = details.grantId ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      result = { consent: { grantId: await grant.save() } };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  });
  provider.on('authorization_code.saved', () => log('op: code issued'));
  provider.on('grant.success', (ctx) => log(`op: token issued (${ctx.oidc.params.grant_type})`));
  provider.on('grant.error', (ctx, err) => log(`op: token refused ${err.error} (${err.error_description})`));
  provider.on('authorization.error', (ctx, err) => log(`op: authorize refused ${err.error} (${err.error_description})`));
  provider.on('revocation.success', () => log('op: token revoked'));
  provider.on('revocation.error', (ctx, err) => log(`op: revocation refused ${err.error} (${err.error_description})`));
  provider.on('end_session.success', () => log('op: signed out'));
  provider.on('end_session.error', (ctx, err) => log(`op: sign-out refused ${err.error} (${err.error_description})`));
  return createServer({ key, cert }, provider.callback()).listen(port, '127.0.0.1');
}
