// An Entra-shaped provider for MSAL.js in its default AAD protocol mode:
// panva's oidc-provider (the protocol: codes, PKCE, refresh tokens, CORS,
// sessions, prompt=none) mounted under Microsoft Entra ID's v2 paths
// (https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize and
// /token; Chromium maps the host to this server with --host-resolver-rules,
// the certificate names it), with what Entra says that oidc-provider does not
// say synthesized in Entra's documented shapes:
// - the authorization response in the fragment as Entra orders it: code,
//   client_info (base64url {"uid","utid"}), state, session_state;
// - token responses with Entra's ext_expires_in, refresh_token_expires_in
//   (the refresh token's real remaining lifetime here) and client_info;
// - every answer with x-ms-request-id (the trace id) and, when the client
//   sent one, client-request-id echoed (the correlation id);
// - errors as AADSTS: token errors as Entra's JSON (error, error_description
//   ending in Trace ID / Correlation ID / Timestamp, error_codes, timestamp,
//   trace_id, correlation_id, error_uri), front-channel errors as error,
//   error_description, error_uri, state in the fragment, and an
//   unregistered redirect URI as Entra's "Sorry, but we're having trouble
//   signing you in" page with Request Id, Correlation Id, Timestamp and
//   Message. Only the refusals the stories make are mapped (login_required
//   → AADSTS50058, an expired refresh token → AADSTS700084, a reused code →
//   AADSTS54005, an unregistered redirect URI → AADSTS50011) and one Entra
//   makes itself (AADSTS9002326: a token request with Origin for a redirect
//   URI registered under the Web platform); any other refusal stops the
//   story (log 'entra: unmapped ...').
// The login form (the provider's own page, /{tenant}/interaction/<uid>)
// posts Entra's field names (login, loginfmt, passwd). The
// session cookies are oidc-provider's (_session, …) set SameSite=None;
// Secure as Entra's ESTSAUTH cookies are, so a hidden iframe carries them.
// Entra keeps offline_access in every grant; oidc-provider keeps it only
// with prompt=consent, so the scope of a refresh request reaches it without
// offline_access (the browser's request is unchanged).
// All secrets are test-only values.
import { createServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

export const HOST = 'login.microsoftonline.com';
// Microsoft's documentation placeholders for a tenant and an application.
export const TENANT = 'aaaabbbb-0000-cccc-1111-dddd2222eeee';
export const CLIENT = '00001111-aaaa-2222-bbbb-3333cccc4444';
export const OID = 'bbbbcccc-1111-dddd-2222-eeee3333ffff';
export const USER = 'alice@contoso.test', PASSWORD = 'test-only-password';

const b64url = (s) => Buffer.from(s).toString('base64url');
const CLIENT_INFO = b64url(JSON.stringify({ uid: OID, utid: TENANT }));
// Entra's timestamps: "2026-12-06 22:31:52Z".
const stamp = (d = new Date()) => d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
// .NET's TimeSpan, as Entra writes lifetimes: "1.00:00:00", "00:00:03".
const timespan = (s) => {
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, x = s % 60;
  const p = (n) => String(n).padStart(2, '0');
  return `${d ? `${d}.` : ''}${p(h)}:${p(m)}:${p(x)}`;
};

const messages = {
  50011: (q) => `The redirect URI '${q.redirect_uri}' specified in the request does not match the redirect URIs configured for the application '${q.client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
  50058: () => "A silent sign-in request was sent but no user is signed in. The cookies used to represent the user's session were not sent in the request to Azure AD. This can happen if the user is using Internet Explorer or Edge, and the web app sending the silent sign-in request is in different IE security zone than the Azure AD endpoint (login.microsoftonline.com).",
  54005: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  700084: (q) => `The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of ${q.lifetime}, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on ${q.issued}.`,
  9002326: (q) => `Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '${q.origin}'.`,
};
const description = (code, ids, q = {}) => `AADSTS${code}: ${messages[code](q)}\r\nTrace ID: ${ids.trace}\r\nCorrelation ID: ${ids.correlation}\r\nTimestamp: ${ids.time}`;
const tokenError = (error, code, ids, q) => JSON.stringify({
  error, error_description: description(code, ids, q), error_codes: [code], timestamp: ids.time,
  trace_id: ids.trace, correlation_id: ids.correlation, error_uri: `https://${HOST}/error?code=${code}`,
});
const errorPage = (code, ids, q) => `<!DOCTYPE html><html dir="ltr" class="" lang="en"><head><title>Sign in to your account</title><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>
<body><div id="login_workload_logo_text">Sorry, but we're having trouble signing you in.</div>
<div class="debug-details-header">Troubleshooting details</div>
<div><span>Request Id: </span><span>${ids.trace}</span></div>
<div><span>Correlation Id: </span><span>${ids.correlation}</span></div>
<div><span>Timestamp: </span><span>${ids.time}</span></div>
<div><span>Message: </span><span>AADSTS${code}: ${messages[code](q).replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;')}</span></div>
</body></html>`;

// openidConfiguration is Entra's v2 discovery document for the tenant (the
// endpoints MSAL.js also has built in for this host).
const openidConfiguration = () => {
  const t = `https://${HOST}/${TENANT}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${t}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
};

// startEntra serves the tenant on 127.0.0.1:port. spa and web are the
// redirect URIs registered under each platform; ttl is oidc-provider's.
export function startEntra({ port, key, cert, spa = [], web = [], ttl, log = console.log }) {
  const prefix = `/${TENANT}`;
  const provider = new Provider(`https://${HOST}/${TENANT}/v2.0`, {
    clients: [{
      client_id: CLIENT, token_endpoint_auth_method: 'none', application_type: 'web',
      redirect_uris: [...spa, ...web], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    }],
    routes: {
      authorization: '/oauth2/v2.0/authorize', token: '/oauth2/v2.0/token', jwks: '/discovery/v2.0/keys',
      end_session: '/oauth2/v2.0/logout', userinfo: '/openid/userinfo',
    },
    ...(ttl ? { ttl } : {}),
    cookies: {
      keys: ['test-only-cookie-key-of-the-entra-shaped-provider'],
      long: { httpOnly: true, sameSite: 'none', secure: true },
      short: { httpOnly: true, sameSite: 'none', secure: true },
    },
    claims: { openid: ['sub', 'oid', 'tid', 'ver'], profile: ['name', 'preferred_username'] },
    scopes: ['openid', 'offline_access', 'profile'],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    // The login form's own URL (oidc-provider keeps one interaction per
    // path, so two tabs' sign-ins do not share one).
    interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    async issueRefreshToken(ctx, client) { return client.grantTypeAllowed('refresh_token'); },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id, oid: OID, tid: TENANT, ver: '2.0', name: 'Alice (test user)', preferred_username: USER }; } };
    },
  });
  provider.proxy = false;
  const loginPage = (uid) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in to your account</title><link rel="icon" href="data:,"></head>
<body><form method="POST" action="${prefix}/interaction/${uid}"><input id="loginfmt" name="loginfmt"><input type="hidden" name="login" id="login"><input id="passwd" name="passwd" type="password"><button type="submit">Sign in</button></form></body></html>`;
  provider.use(async (ctx, next) => {
    if (!/^\/interaction\/[\w-]+$/.test(ctx.path)) return next();
    ctx.set('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      if (ctx.method !== 'POST') { ctx.type = 'html'; ctx.body = loginPage(details.uid); return; }
      const form = new URLSearchParams(ctx.req.body);
      if (form.get('loginfmt') !== USER || form.get('passwd') !== PASSWORD) ctx.throw(401);
      result = { login: { accountId: 'alice' } };
    } else {
      const { prompt: { details: missing }, params, session } = details;
      const grant = details.grantId ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      grant.addOIDCScope('openid profile offline_access');
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      result = { consent: { grantId: await grant.save() } };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 302;
    ctx.redirect(to);
  });
  // The refusals' details, for the answer's rewrite.
  provider.on('authorization.error', (ctx, err) => { ctx.req.oidcError = err; log(`op: authorize refused ${err.error} (${err.error_description}; ${err.error_detail || ''})`); });
  provider.on('grant.error', (ctx, err) => { ctx.req.oidcError = err; log(`op: token refused ${err.error} (${err.error_description}; ${err.error_detail || ''})`); });
  provider.on('authorization_code.saved', () => log('op: code issued'));
  provider.on('grant.success', (ctx) => log(`op: token issued (${ctx.oidc.params.grant_type})`));
  const callback = provider.callback();

  async function handle(req, res) {
    const url = new URL(req.url, `https://${HOST}`);
    let body = '';
    if (req.method === 'POST') {
      for await (const c of req) body += c;
      req.body = body;
    }
    const form = new URLSearchParams(body);
    const sent = url.searchParams.get('client-request-id') || req.headers['client-request-id'] || form.get('client-request-id');
    const ids = { trace: randomUUID(), correlation: sent || randomUUID(), time: stamp() };
    res.setHeader('x-ms-request-id', ids.trace);
    if (sent) res.setHeader('client-request-id', sent);
    const send = (status, type, text, headers = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store, no-cache', ...headers });
      res.end(text);
    };
    if (url.pathname === `${prefix}/v2.0/.well-known/openid-configuration`) {
      send(200, 'application/json; charset=utf-8', JSON.stringify(openidConfiguration()), { 'Access-Control-Allow-Origin': '*' });
      return;
    }
    if (!url.pathname.startsWith(`${prefix}/`)) { send(404, 'text/plain', 'Not Found'); return; }
    const isToken = url.pathname === `${prefix}/oauth2/v2.0/token`;
    const isAuthorize = url.pathname.startsWith(`${prefix}/oauth2/v2.0/authorize`);
    // Entra refuses a cross-origin redemption for a Web-platform redirect
    // URI before looking at the code.
    if (isToken && req.method === 'POST' && req.headers.origin && web.includes(form.get('redirect_uri'))) {
      log(`op: token refused AADSTS9002326 (Origin ${req.headers.origin})`);
      send(400, 'application/json; charset=utf-8', tokenError('invalid_request', 9002326, ids, { origin: req.headers.origin }),
        { 'Access-Control-Allow-Origin': req.headers.origin, Vary: 'Origin' });
      return;
    }
    if (isToken && form.get('grant_type') === 'refresh_token' && form.has('scope')) {
      req.body = new URLSearchParams([...form].map(([k, v]) => [k, k === 'scope' ? v.split(' ').filter((s) => s !== 'offline_access').join(' ') : v])).toString();
    }
    // The answer is rewritten when oidc-provider ends it.
    const end = res.end.bind(res);
    res.end = (chunk, ...rest) => {
      let text = chunk === undefined || typeof chunk === 'function' ? undefined : String(chunk);
      const loc = res.getHeader('location');
      const err = req.oidcError;
      try {
        if (isToken && text !== undefined) {
          text = rewriteToken(text, err, form, ids);
        } else if (isAuthorize && loc && /#/.test(loc)) {
          res.setHeader('location', rewriteFragment(String(loc), ids));
        } else if (isAuthorize && err && res.statusCode >= 400) {
          if (err.error !== 'invalid_redirect_uri') throw new Error(`entra: unmapped authorize error ${err.error}`);
          res.statusCode = 200;
          res.setHeader('content-type', 'text/html; charset=utf-8');
          text = errorPage(50011, ids, Object.fromEntries(url.searchParams));
        } else if (isAuthorize && loc && /[?&]error=/.test(loc)) {
          throw new Error(`entra: unmapped authorize error in ${loc}`);
        }
      } catch (e) {
        log(e.message);
        res.statusCode = 500;
        text = 'unmapped';
      }
      if (text !== undefined) {
        res.setHeader('content-length', Buffer.byteLength(text));
        return end(text, ...rest.filter((x) => typeof x === 'function'));
      }
      return end(chunk, ...rest);
    };
    req.originalUrl = req.url;
    req.url = req.url.slice(prefix.length);
    callback(req, res);
  }

  // rewriteFragment gives an authorization response Entra's fields.
  function rewriteFragment(loc, ids) {
    const [base, frag] = loc.split('#');
    const p = new URLSearchParams(frag);
    const out = new URLSearchParams();
    if (p.has('code')) {
      out.set('code', p.get('code'));
      out.set('client_info', CLIENT_INFO);
      if (p.has('state')) out.set('state', p.get('state'));
      out.set('session_state', ids.session || (ids.session = randomUUID()));
    } else if (p.get('error') === 'login_required') {
      out.set('error', 'login_required');
      out.set('error_description', description(50058, ids));
      out.set('error_uri', `https://${HOST}/error?code=50058`);
      if (p.has('state')) out.set('state', p.get('state'));
    } else {
      throw new Error(`entra: unmapped authorization response ${p.get('error')}`);
    }
    return `${base}#${out}`;
  }

  // rewriteToken gives a token response Entra's fields, and a refusal
  // Entra's error.
  function rewriteToken(text, err, form, ids) {
    const o = JSON.parse(text);
    if (!o.error) {
      const r = {
        token_type: o.token_type, scope: form.get('scope') ? form.get('scope') : o.scope, expires_in: o.expires_in, ext_expires_in: o.expires_in,
        access_token: o.access_token,
      };
      if (o.refresh_token) {
        r.refresh_token = o.refresh_token;
        r.refresh_token_expires_in = rtLeft.get(o.refresh_token);
      }
      if (o.id_token) r.id_token = o.id_token;
      r.client_info = CLIENT_INFO;
      return JSON.stringify(r);
    }
    const detail = err?.error_detail || '';
    if (o.error === 'invalid_grant' && detail === 'refresh token is expired') {
      const rt = rtFound.get(form.get('refresh_token'));
      return tokenError('invalid_grant', 700084, ids, {
        lifetime: timespan(rt ? rt.exp - rt.iat : 0),
        issued: rt ? new Date(rt.iat * 1000).toISOString().replace(/\.(\d+)Z$/, (m, f) => `.${f.padEnd(7, '0')}Z`) : '?',
      });
    }
    if (o.error === 'invalid_grant' && /already used|consumed/.test(detail)) return tokenError('invalid_grant', 54005, ids);
    throw new Error(`entra: unmapped token error ${o.error} (${detail})`);
  }

  // The refresh tokens' lifetimes, read from oidc-provider's store when
  // they are issued and when one is presented.
  const rtLeft = new Map(), rtFound = new Map();
  provider.on('refresh_token.saved', (t) => {
    const now = Math.floor(Date.now() / 1000), left = t.remainingTTL ?? t.expiration;
    rtLeft.set(t.jti, left);
    rtFound.set(t.jti, { iat: t.iat || now, exp: now + left });
  });
  return createServer({ key, cert }, (req, res) => { handle(req, res).catch((e) => { log(`entra: ${e.message}`); res.statusCode = 500; res.end(); }); }).listen(port, '127.0.0.1');
}
