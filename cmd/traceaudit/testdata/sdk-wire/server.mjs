// A stand-in for the services that authentication SDKs call, answering
// in each service's documented shapes, and the app's pages that load each
// SDK's own browser build: Amazon Cognito's user pool API (JSON 1.1 with
// X-Amz-Target), Firebase Auth's identitytoolkit and securetoken APIs,
// Supabase's GoTrue (/auth/v1) and PostgREST (/rest/v1), Auth0's
// cross-origin authentication (/co/authenticate, /authorize with a
// login_ticket) and its password-realm grant, and Okta's classic authn
// API with a TOTP factor and its session cookie redirect. One TLS port
// serves every host (the recorder maps them all to it); HTTP/1.1 is
// parsed and written by hand so that each exchange's bytes, as received
// and as sent, can be kept (WIRE_DIR: N_c.txt, N_s.txt, a SAZ's raw
// members).
//
// Every secret the server issues or the page sends is a test-only value
// shaped like the leak hunt's canaries: canaries.json names them in
// order (cmd/traceaudit/hunt18_test.go reads the same list).
//
// Usage: TLS_KEY=key.pem TLS_CERT=cert.pem [WIRE_DIR=DIR] node server.mjs PORT
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';

export const places = JSON.parse(readFileSync(new URL('./canaries.json', import.meta.url)));
export const tok = (place) => {
  const n = places.indexOf(place);
  if (n < 0) throw new Error(`no canary ${place}`);
  return `Cnry${String(n + 1).padStart(3, '0')}K7pQ2xW9`;
};
// fill is n characters of base64url drawn from seed: a token's random part.
export const fill = (seed, n) => {
  let s = '';
  for (let i = 0; s.length < n; i++) s += createHash('sha256').update(seed + i).digest('base64url');
  return s.slice(0, n);
};
const b64u = (s) => Buffer.from(s).toString('base64url');
const now = Math.floor(Date.now() / 1000);
export const jwt = (place, claims) => b64u(JSON.stringify({ alg: 'RS256', kid: 'k1', typ: 'JWT' })) + '.' +
  b64u(JSON.stringify({ ...claims, jti: tok(place), iat: now, exp: now + 3600 })) + '.' + b64u(`sig-${tok(place)}-${fill(place, 200)}`);

export const hosts = {
  app: 'app.example.com',
  cognito: 'cognito-idp.us-east-1.amazonaws.com',
  identitytoolkit: 'identitytoolkit.googleapis.com',
  securetoken: 'securetoken.googleapis.com',
  supabase: 'qwertyuiopasdfghjklz.supabase.co',
  auth0: 'sdkwire.us.auth0.com',
  okta: 'dev-31415926.okta.com',
};
export const ids = {
  cognitoPool: 'us-east-1_Xy3Zq9AbC',
  cognitoClient: '5n1l2k8m3j4h6g7f9d0s1a2p3o',
  firebaseKey: 'AIzaSyD3m0-Sdkwire_Fake-Key-0123456789a',
  firebaseProject: 'sdkwire-demo',
  auth0Client: 'Qm3xT7vK2pL9sR4wY8zA1bC6dE5fG0hJ',
  oktaClient: '0oa1b2c3d4e5f6g7h8i9',
};
const origin = `https://${hosts.app}`;

// Cognito's user pool API: the target names the call.
const cognitoUser = { alice: { name: 'alice', sub: '9a8b7c6d-1111-4e2f-8a3b-0c1d2e3f4a5b' }, bob: { name: 'bob', sub: '4f3e2d1c-2222-4b5a-9c8d-7e6f5a4b3c2d' } };
const idClaims = (user) => ({ sub: user.sub, email_verified: true, iss: `https://${hosts.cognito}/${ids.cognitoPool}`, 'cognito:username': user.name, aud: ids.cognitoClient, token_use: 'id', auth_time: now, email: `${user.name}@example.com` });
const accessClaims = (user) => ({ sub: user.sub, iss: `https://${hosts.cognito}/${ids.cognitoPool}`, client_id: ids.cognitoClient, token_use: 'access', scope: 'aws.cognito.signin.user.admin', auth_time: now, username: user.name });
// A Cognito refresh token is a JWE: five parts, the header says so.
const jwe = (place) => b64u(JSON.stringify({ cty: 'JWT', enc: 'A256GCM', alg: 'RSA-OAEP' })) + '.' + fill(place + 'k', 342) + '.' + fill(place + 'iv', 16) + '.' +
  tok(place) + fill(place + 'c', 1500) + '.' + fill(place + 't', 22);
const amzSession = (place) => tok(place) + fill(place, 900);
const deviceKey = 'us-east-1_0f1e2d3c-4b5a-6978-8a9b-acbdcedfe0f1';
function cognito(target, body) {
  const alice = cognitoUser.alice, bob = cognitoUser.bob;
  switch (target) {
    case 'SignUp':
      return [200, { CodeDeliveryDetails: { AttributeName: 'email', DeliveryMedium: 'EMAIL', Destination: 'a***@e***' }, UserConfirmed: false, UserSub: alice.sub }];
    case 'ConfirmSignUp':
      return [200, {}];
    case 'InitiateAuth':
      if (body.AuthFlow === 'USER_PASSWORD_AUTH')
        return [200, { ChallengeName: 'SOFTWARE_TOKEN_MFA', ChallengeParameters: {}, Session: amzSession('Cognito SOFTWARE_TOKEN_MFA challenge Session') }];
      if (body.AuthFlow === 'USER_SRP_AUTH')
        return [200, { ChallengeName: 'PASSWORD_VERIFIER', ChallengeParameters: {
          SALT: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', SECRET_BLOCK: tok('Cognito PASSWORD_VERIFIER ChallengeParameters.SECRET_BLOCK') + fill('sb', 1100) + '==',
          SRP_B: createHash('sha512').update('B').digest('hex').repeat(6), USERNAME: bob.sub, USER_ID_FOR_SRP: bob.sub } }];
      if (body.AuthFlow === 'CUSTOM_AUTH')
        return [200, { ChallengeName: 'CUSTOM_CHALLENGE', ChallengeParameters: { USERNAME: alice.sub, email: 'a***@e***', challenge: 'MAGIC_LINK' },
          Session: amzSession('Cognito CUSTOM_CHALLENGE Session') }];
      if (body.AuthFlow === 'REFRESH_TOKEN_AUTH' || body.AuthFlow === 'REFRESH_TOKEN')
        return [200, { AuthenticationResult: { AccessToken: jwt('Cognito REFRESH_TOKEN_AUTH answer AccessToken', accessClaims(alice)), ExpiresIn: 3600,
          IdToken: jwt('Cognito REFRESH_TOKEN_AUTH answer IdToken', idClaims(alice)), TokenType: 'Bearer' }, ChallengeParameters: {} }];
      break;
    case 'RespondToAuthChallenge':
      if (body.ChallengeName === 'SOFTWARE_TOKEN_MFA')
        return [200, { AuthenticationResult: { AccessToken: jwt('Cognito AuthenticationResult.AccessToken, a JWT', accessClaims(alice)), ExpiresIn: 3600,
          IdToken: jwt('Cognito AuthenticationResult.IdToken, a JWT', idClaims(alice)), RefreshToken: jwe('Cognito AuthenticationResult.RefreshToken, a JWE'), TokenType: 'Bearer',
          NewDeviceMetadata: { DeviceGroupKey: '-Xy3Zq9AbC', DeviceKey: deviceKey } }, ChallengeParameters: {} }];
      if (body.ChallengeName === 'PASSWORD_VERIFIER')
        return [200, { AuthenticationResult: { AccessToken: jwt('Cognito SRP sign-in AccessToken', accessClaims(bob)), ExpiresIn: 3600,
          IdToken: jwt('Cognito SRP sign-in IdToken', idClaims(bob)), RefreshToken: jwe('Cognito SRP sign-in RefreshToken'), TokenType: 'Bearer' }, ChallengeParameters: {} }];
      if (body.ChallengeName === 'CUSTOM_CHALLENGE')
        return [200, { AuthenticationResult: { AccessToken: jwt('Cognito custom sign-in AccessToken', accessClaims(alice)), ExpiresIn: 3600,
          IdToken: jwt('Cognito custom sign-in IdToken', idClaims(alice)), RefreshToken: jwe('Cognito custom sign-in RefreshToken'), TokenType: 'Bearer' }, ChallengeParameters: {} }];
      break;
    case 'AssociateSoftwareToken':
      return [200, { SecretCode: tok('Cognito AssociateSoftwareToken answer SecretCode') + 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }];
    case 'VerifySoftwareToken':
      return [200, { Status: 'SUCCESS' }];
    case 'ConfirmDevice':
      return [200, { UserConfirmationNecessary: false }];
    case 'GetUser':
      return [200, { UserAttributes: [{ Name: 'sub', Value: alice.sub }, { Name: 'email_verified', Value: 'true' }, { Name: 'email', Value: 'alice@example.com' }], Username: alice.sub }];
    case 'ChangePassword':
    case 'ConfirmForgotPassword':
    case 'GlobalSignOut':
      return [200, {}];
    case 'ForgotPassword':
      return [200, { CodeDeliveryDetails: { AttributeName: 'email', DeliveryMedium: 'EMAIL', Destination: 'a***@e***' } }];
  }
  return [400, { __type: 'InvalidParameterException', message: `unexpected ${target}` }];
}

// Firebase Auth: identitytoolkit's accounts:* methods, securetoken's
// refresh.
const fbUser = { localId: 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1H', email: 'carol@example.com' };
const fbIdToken = (place) => jwt(place, { iss: `https://securetoken.google.com/${ids.firebaseProject}`, aud: ids.firebaseProject, auth_time: now,
  user_id: fbUser.localId, sub: fbUser.localId, email: fbUser.email, email_verified: true, firebase: { identities: { email: [fbUser.email] }, sign_in_provider: 'password' } });
// Firebase refresh tokens are long opaque strings beginning AMf-vB.
const fbRefresh = (place) => 'AMf-vB' + tok(place) + fill(place, 250);
function identitytoolkit(method, body) {
  switch (method) {
    case 'accounts:signInWithPassword':
      return [200, { kind: 'identitytoolkit#VerifyPasswordResponse', localId: fbUser.localId, email: fbUser.email, displayName: '', registered: true,
        idToken: fbIdToken('Firebase signInWithPassword answer idToken'), refreshToken: fbRefresh('Firebase signInWithPassword answer refreshToken'), expiresIn: '3600' }];
    case 'accounts:lookup':
      return [200, { kind: 'identitytoolkit#GetAccountInfoResponse', users: [{ localId: fbUser.localId, email: fbUser.email, passwordHash: 'UkVEQUNURUQ=', emailVerified: true,
        passwordUpdatedAt: 1772600767000, providerUserInfo: [{ providerId: 'password', federatedId: fbUser.email, email: fbUser.email, rawId: fbUser.email }],
        validSince: '1772600767', lastLoginAt: '1772600767000', createdAt: '1772600767000', lastRefreshAt: new Date(now * 1000).toISOString() }] }];
    case 'accounts:update':
      return [200, { kind: 'identitytoolkit#SetAccountInfoResponse', localId: fbUser.localId, email: fbUser.email, passwordHash: 'UkVEQUNURUQ=',
        providerUserInfo: [{ providerId: 'password', federatedId: fbUser.email, email: fbUser.email, rawId: fbUser.email }],
        idToken: fbIdToken('Firebase accounts:update answer idToken'), refreshToken: fbRefresh('Firebase accounts:update answer refreshToken'), expiresIn: '3600', emailVerified: true }];
    case 'accounts:sendOobCode':
      return [200, { kind: 'identitytoolkit#GetOobConfirmationCodeResponse', email: fbUser.email }];
    case 'accounts:resetPassword':
      return [200, { kind: 'identitytoolkit#ResetPasswordResponse', email: fbUser.email, requestType: 'PASSWORD_RESET' }];
    case 'accounts:signInWithCustomToken':
      return [200, { kind: 'identitytoolkit#VerifyCustomTokenResponse', idToken: fbIdToken('Firebase signInWithCustomToken answer idToken'),
        refreshToken: fbRefresh('Firebase signInWithCustomToken answer refreshToken'), expiresIn: '3600', isNewUser: false }];
    case 'accounts:signInWithIdp': {
      // The answer echoes the provider's tokens the request's postBody
      // carried (oauthIdToken, oauthAccessToken).
      const post = new URLSearchParams(body.postBody || '');
      return [200, { federatedId: 'https://accounts.google.com/110169484474386276334', providerId: 'google.com', email: fbUser.email, emailVerified: true,
        firstName: 'Carol', fullName: 'Carol Ito', lastName: 'Ito', photoUrl: 'https://lh3.googleusercontent.com/a/ACg8ocK', localId: fbUser.localId, displayName: 'Carol Ito',
        idToken: fbIdToken('Firebase signInWithIdp answer idToken'), refreshToken: fbRefresh('Firebase signInWithIdp answer refreshToken'), expiresIn: '3600',
        oauthIdToken: post.get('id_token'), oauthAccessToken: post.get('access_token'), oauthExpireIn: 3599,
        rawUserInfo: JSON.stringify({ name: 'Carol Ito', granted_scopes: 'openid https://www.googleapis.com/auth/userinfo.email', id: '110169484474386276334', verified_email: true,
          given_name: 'Carol', email: fbUser.email, family_name: 'Ito' }), kind: 'identitytoolkit#VerifyAssertionResponse' }];
    }
    case 'accounts:signInWithEmailLink':
      return [200, { kind: 'identitytoolkit#EmailLinkSigninResponse', idToken: fbIdToken('Firebase signInWithEmailLink answer idToken'), email: fbUser.email,
        refreshToken: fbRefresh('Firebase signInWithEmailLink answer refreshToken'), expiresIn: '3600', localId: fbUser.localId, isNewUser: false }];
    case 'recaptchaConfig':
      return [200, { recaptchaEnforcementState: [{ provider: 'EMAIL_PASSWORD_PROVIDER', enforcementState: 'OFF' }] }];
  }
  return [400, { error: { code: 400, message: 'INVALID_REQUEST_TYPE', errors: [{ message: 'INVALID_REQUEST_TYPE', domain: 'global', reason: 'invalid' }] } }];
}

// Supabase: GoTrue under /auth/v1, PostgREST under /rest/v1.
const sbUser = { id: '6c5b4a39-3333-4d2e-8f1a-2b3c4d5e6f70', aud: 'authenticated', role: 'authenticated', email: 'dave@example.com', email_confirmed_at: '2026-03-04T05:06:07Z',
  phone: '', confirmed_at: '2026-03-04T05:06:07Z', last_sign_in_at: '2026-03-04T05:06:07Z', app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: {},
  identities: [], created_at: '2026-03-04T05:06:07Z', updated_at: '2026-03-04T05:06:07Z', is_anonymous: false };
const sbAccess = (place) => jwt(place, { iss: `https://${hosts.supabase}/auth/v1`, sub: sbUser.id, aud: 'authenticated', email: sbUser.email, phone: '',
  app_metadata: sbUser.app_metadata, user_metadata: {}, role: 'authenticated', aal: 'aal1', amr: [{ method: 'password', timestamp: now }], session_id: '0a1b2c3d-4444-4e5f-8a9b-0c1d2e3f4a5b', is_anonymous: false });
const sbSession = (a, r) => ({ access_token: sbAccess(a), token_type: 'bearer', expires_in: 3600, expires_at: now + 3600, refresh_token: tok(r), user: sbUser });

// Auth0: cross-origin authentication and the token endpoint.
const a0Tokens = () => ({ access_token: jwt('Auth0 password-realm answer access_token', { iss: `https://${hosts.auth0}/`, sub: 'auth0|64f0c0ffee0123456789abcd', aud: 'https://api.example.com', scope: 'openid profile email offline_access', azp: ids.auth0Client }),
  id_token: jwt('Auth0 password-realm answer id_token', { iss: `https://${hosts.auth0}/`, sub: 'auth0|64f0c0ffee0123456789abcd', aud: ids.auth0Client, email: 'erin@example.com', nonce: 'n-0S6_WzA2Mj' }),
  refresh_token: tok('Auth0 password-realm answer refresh_token') + fill('a0rt', 30), scope: 'openid profile email offline_access', expires_in: 86400, token_type: 'Bearer' });

const sdkFiles = {
  '/sdk/amazon-cognito-identity.min.js': 'node_modules/amazon-cognito-identity-js/dist/amazon-cognito-identity.min.js',
  '/sdk/firebase-app-compat.js': 'node_modules/firebase/firebase-app-compat.js',
  '/sdk/firebase-auth-compat.js': 'node_modules/firebase/firebase-auth-compat.js',
  '/sdk/supabase.js': 'node_modules/@supabase/supabase-js/dist/umd/supabase.js',
  '/sdk/auth0.min.js': 'node_modules/auth0-js/dist/auth0.min.js',
  '/sdk/okta-auth-js.authn.min.js': 'node_modules/@okta/okta-auth-js/dist/okta-auth-js.authn.min.js',
  '/sdk/okta-auth-js.idx.min.js': 'node_modules/@okta/okta-auth-js/dist/okta-auth-js.idx.min.js',
};
const page = (title, scripts) => `<!doctype html><meta charset="utf-8"><title>${title}</title><pre id="out"></pre>` +
  scripts.map((s) => `<script src="/sdk/${s}"></script>`).join('') + `<script src="/app.js"></script>`;

function handle(req) {
  const host = (req.headers.host || '').split(':')[0];
  const u = new URL(req.target, `https://${host}`);
  const json = (status, body, extra = []) => [status, [['Content-Type', 'application/json; charset=utf-8'], ...extra], Buffer.from(JSON.stringify(body))];
  const cors = [['Access-Control-Allow-Origin', origin], ['Access-Control-Allow-Credentials', 'true'], ['Vary', 'Origin']];
  if (req.method === 'OPTIONS')
    return [204, [...cors, ['Access-Control-Allow-Methods', 'GET,POST,PUT,DELETE,OPTIONS'],
      ['Access-Control-Allow-Headers', req.headers['access-control-request-headers'] || 'content-type'], ['Access-Control-Max-Age', '600']], Buffer.alloc(0)];
  let body = {};
  const ct = req.headers['content-type'] || '';
  try {
    if (ct.includes('json')) body = JSON.parse(req.body.toString() || '{}');
    else if (ct.includes('form')) body = Object.fromEntries(new URLSearchParams(req.body.toString()));
  } catch {}
  switch (host) {
    case hosts.app: {
      if (sdkFiles[u.pathname]) return [200, [['Content-Type', 'text/javascript; charset=utf-8'], ['Cache-Control', 'no-store']], readFileSync(sdkFiles[u.pathname])];
      if (u.pathname === '/app.js') return [200, [['Content-Type', 'text/javascript; charset=utf-8'], ['Cache-Control', 'no-store']], readFileSync(new URL('./app.js', import.meta.url))];
      const pages = { '/cognito.html': ['amazon-cognito-identity.min.js'], '/firebase.html': ['firebase-app-compat.js', 'firebase-auth-compat.js'],
        '/supabase.html': ['supabase.js'], '/auth0.html': ['auth0.min.js'], '/okta.html': ['okta-auth-js.authn.min.js'], '/okta-idx.html': ['okta-auth-js.idx.min.js'], '/callback': [] };
      if (pages[u.pathname]) return [200, [['Content-Type', 'text/html; charset=utf-8'], ['Cache-Control', 'no-store']], Buffer.from(page(u.pathname.slice(1), pages[u.pathname]))];
      // The app's own API, which reads the session from the cookies the
      // SDK's CookieStorage wrote.
      if (u.pathname === '/api/me') return json(200, { user: 'bob', via: 'cookies' });
      if (u.pathname === '/favicon.ico') return [204, [], Buffer.alloc(0)];
      break;
    }
    case hosts.cognito: {
      const target = (req.headers['x-amz-target'] || '').replace('AWSCognitoIdentityProviderService.', '');
      const [status, b] = cognito(target, body);
      return [status, [['Date', new Date().toUTCString()], ['Content-Type', 'application/x-amz-json-1.1'], ['x-amzn-RequestId', randomUUID()],
        ['Access-Control-Allow-Origin', '*'], ['Access-Control-Expose-Headers', 'x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date']], Buffer.from(JSON.stringify(b))];
    }
    case hosts.identitytoolkit: {
      const method = u.pathname.replace(/^\/v[12]\/(projects\/[^/]+\/)?/, '');
      const [status, b] = identitytoolkit(method, body);
      return json(status, b, cors);
    }
    case hosts.securetoken:
      if (u.pathname === '/v1/token' && body.grant_type === 'refresh_token') {
        const t = fbIdToken('Firebase securetoken answer access_token and id_token');
        return json(200, { access_token: t, expires_in: '3600', token_type: 'Bearer', refresh_token: fbRefresh('Firebase securetoken answer refresh_token'),
          id_token: t, user_id: fbUser.localId, project_id: '271828182845' }, cors);
      }
      return json(400, { error: { code: 400, message: 'INVALID_GRANT_TYPE', status: 'INVALID_ARGUMENT' } }, cors);
    case hosts.supabase: {
      const sb = [...cors, ['sb-gateway-version', '1'], ['sb-project-ref', hosts.supabase.split('.')[0]]];
      if (u.pathname === '/auth/v1/token' && u.searchParams.get('grant_type') === 'password')
        return json(200, sbSession('Supabase token answer access_token', 'Supabase token answer refresh_token'), sb);
      if (u.pathname === '/auth/v1/token' && u.searchParams.get('grant_type') === 'refresh_token')
        return json(200, sbSession('Supabase refresh answer access_token', 'Supabase refresh answer refresh_token'), sb);
      if (u.pathname === '/auth/v1/token' && u.searchParams.get('grant_type') === 'pkce')
        return json(200, { ...sbSession('Supabase pkce answer access_token', 'Supabase pkce answer refresh_token'),
          provider_token: 'gho_' + tok('Supabase pkce answer provider_token') + fill('ght', 21), provider_refresh_token: 'ghr_' + tok('Supabase pkce answer provider_refresh_token') + fill('ghr', 61) }, sb);
      if (u.pathname === '/auth/v1/token' && u.searchParams.get('grant_type') === 'id_token')
        return json(200, sbSession('Supabase id_token grant answer access_token', 'Supabase id_token grant answer refresh_token'), sb);
      if (/^\/auth\/v1\/factors\/[^/]+\/challenge$/.test(u.pathname))
        return json(200, { id: '2b4d6f81-5555-4a3c-9e7d-1f3b5d7f9a0c', type: 'totp', expires_at: now + 300 }, sb);
      if (/^\/auth\/v1\/factors\/[^/]+\/verify$/.test(u.pathname))
        return json(200, sbSession('Supabase MFA answer access_token', 'Supabase MFA answer refresh_token'), sb);
      if (u.pathname === '/auth/v1/verify') return json(200, sbSession('Supabase verify answer access_token', 'Supabase verify answer refresh_token'), sb);
      if (u.pathname === '/auth/v1/otp') return json(200, {}, sb);
      if (u.pathname === '/auth/v1/user') return json(200, sbUser, sb);
      if (u.pathname === '/auth/v1/logout') return [204, sb, Buffer.alloc(0)];
      if (u.pathname === '/rest/v1/todos') return json(200, [{ id: 1, task: 'file the report', done: false }], [...sb, ['Content-Range', '0-0/*']]);
      break;
    }
    case hosts.auth0: {
      if (u.pathname === '/oauth/token') return json(200, a0Tokens(), cors);
      if (u.pathname === '/dbconnections/signup') return json(200, { _id: '64f0c0ffee0123456789abcd', email_verified: false, email: 'erin@example.com' }, cors);
      if (u.pathname === '/passwordless/start') return json(200, { _id: '64f0c0ffee0123456789abce', email: 'erin@example.com', email_verified: false }, cors);
      if (u.pathname === '/co/authenticate' && body.otp)
        return json(200, { login_ticket: tok('Auth0 passwordless answer login_ticket') + fill('plt', 17), co_verifier: tok('Auth0 passwordless answer co_verifier') + fill('pcv', 17),
          co_id: 'Rt5Yu6Io7Pa8Sd9F' }, cors);
      if (u.pathname === '/co/authenticate')
        return json(200, { login_ticket: tok('Auth0 /co/authenticate answer login_ticket') + fill('lt', 17), co_verifier: tok('Auth0 /co/authenticate answer co_verifier') + fill('cv', 17),
          co_id: 'Xc9Vb8Nm7Lk6Jh5G' }, cors);
      if (u.pathname === '/authorize' && u.searchParams.get('login_ticket')) {
        const code = u.searchParams.get('login_ticket').startsWith(tok('Auth0 passwordless answer login_ticket')) ? tok('Auth0 passwordless authorization code') : tok('Auth0 authorization code');
        return [302, [['Location', `${u.searchParams.get('redirect_uri')}?code=${code}${fill('ac', 20)}&state=${encodeURIComponent(u.searchParams.get('state'))}`],
          ['Set-Cookie', `auth0=s%3A${fill('a0s', 32)}.${fill('a0sig', 43)}; Path=/; Expires=Wed, 11 Mar 2026 05:06:07 GMT; HttpOnly; Secure; SameSite=None`]], Buffer.alloc(0)];
      }
      break;
    }
    case hosts.okta: {
      const links = { cancel: { href: `https://${hosts.okta}/api/v1/authn/cancel`, hints: { allow: ['POST'] } } };
      if (u.pathname === '/api/v1/authn')
        return json(200, { stateToken: tok('Okta authn MFA_REQUIRED stateToken') + fill('st', 27), expiresAt: new Date((now + 300) * 1000).toISOString(), status: 'MFA_REQUIRED',
          _embedded: { user: { id: '00u1a2b3c4d5e6f7g8h9', passwordChanged: '2026-03-01T05:06:07.000Z', profile: { login: 'frank@example.com', firstName: 'Frank', lastName: 'Ng', locale: 'en', timeZone: 'America/Los_Angeles' } },
            factors: [{ id: 'uft1a2b3c4d5e6f7g8h9', factorType: 'token:software:totp', provider: 'GOOGLE', vendorName: 'GOOGLE', profile: { credentialId: 'frank@example.com' },
              _links: { verify: { href: `https://${hosts.okta}/api/v1/authn/factors/uft1a2b3c4d5e6f7g8h9/verify`, hints: { allow: ['POST'] } } } }],
            policy: { allowRememberDevice: false, rememberDeviceLifetimeInMinutes: 0, rememberDeviceByDefault: false, factorsPolicyInfo: {} } }, _links: links }, cors);
      if (u.pathname.startsWith('/api/v1/authn/factors/'))
        return json(200, { expiresAt: new Date((now + 300) * 1000).toISOString(), status: 'SUCCESS', sessionToken: tok('Okta authn SUCCESS sessionToken') + fill('stk', 16),
          _embedded: { user: { id: '00u1a2b3c4d5e6f7g8h9', profile: { login: 'frank@example.com', firstName: 'Frank', lastName: 'Ng' } } } }, cors);
      // Okta Identity Engine: interact, introspect, identify with a
      // password, an e-mailed code, the interaction code's grant.
      const idx = [['Content-Type', 'application/ion+json; okta-version=1.0.0'], ...cors];
      const idxJSON = (b) => [200, idx, Buffer.from(JSON.stringify(b))];
      const base = `https://${hosts.okta}`;
      const stateHandle = '02.id.' + tok('Okta IDX stateHandle') + fill('idxsh', 24) + '~c.' + fill('idxshc', 40);
      const sh = { name: 'stateHandle', required: true, value: stateHandle, visible: false, mutable: false };
      const envelope = (extra) => ({ version: '1.0.0', stateHandle, expiresAt: new Date((now + 600) * 1000).toISOString(), intent: 'LOGIN', ...extra,
        cancel: { rel: ['create-form'], name: 'cancel', href: `${base}/idp/idx/cancel`, method: 'POST', produces: 'application/ion+json; okta-version=1.0.0', value: [sh], accepts: 'application/json; okta-version=1.0.0' },
        app: { type: 'object', value: { name: 'oidc_client', label: 'sdk-wire', id: ids.oktaClient } } });
      const form = (name, path, value, extra = {}) => ({ rel: ['create-form'], name, href: `${base}${path}`, method: 'POST', produces: 'application/ion+json; okta-version=1.0.0',
        value: [...value, sh], accepts: 'application/json; okta-version=1.0.0', ...extra });
      if (u.pathname === '/oauth2/default/.well-known/openid-configuration') {
        const iss = `${base}/oauth2/default`;
        return json(200, { issuer: iss, authorization_endpoint: `${iss}/v1/authorize`, token_endpoint: `${iss}/v1/token`, userinfo_endpoint: `${iss}/v1/userinfo`,
          registration_endpoint: `${base}/oauth2/v1/clients`, jwks_uri: `${iss}/v1/keys`, response_types_supported: ['code', 'id_token', 'code id_token', 'code token', 'id_token token', 'code id_token token'],
          response_modes_supported: ['query', 'fragment', 'form_post', 'okta_post_message'], grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'urn:ietf:params:oauth:grant-type:device_code', 'interaction_code'],
          subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'], scopes_supported: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'device_sso'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
          claims_supported: ['iss', 'ver', 'sub', 'aud', 'iat', 'exp', 'jti', 'auth_time', 'amr', 'idp', 'nonce', 'name', 'email', 'preferred_username'],
          code_challenge_methods_supported: ['S256'], introspection_endpoint: `${iss}/v1/introspect`, revocation_endpoint: `${iss}/v1/revoke`, end_session_endpoint: `${iss}/v1/logout`,
          request_parameter_supported: true, request_object_signing_alg_values_supported: ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] }, cors);
      }
      if (u.pathname === '/oauth2/default/v1/interact') {
        idxNonce = body.nonce || '';
        return json(200, { interaction_handle: tok('Okta IDX interaction_handle') + fill('ih', 27) }, cors);
      }
      if (u.pathname === '/idp/idx/introspect')
        return idxJSON(envelope({ remediation: { type: 'array', value: [form('identify', '/idp/idx/identify', [
          { name: 'identifier', label: 'Username', required: true },
          { name: 'credentials', type: 'object', form: { value: [{ name: 'passcode', label: 'Password', secret: true }] }, required: true },
          { name: 'rememberMe', type: 'boolean', label: 'Keep me signed in' }])] } }));
      const emailEnrollment = { type: 'object', value: { type: 'email', key: 'okta_email', id: 'eae1a2b3c4d5e6f7g8h9', displayName: 'Email',
        methods: [{ type: 'email' }], profile: { email: 'f***k@example.com' }, resend: { rel: ['create-form'], name: 'resend', href: `${base}/idp/idx/challenge/resend`, method: 'POST', value: [sh] } } };
      if (u.pathname === '/idp/idx/identify')
        return idxJSON(envelope({ remediation: { type: 'array', value: [form('challenge-authenticator', '/idp/idx/challenge/answer', [
          { name: 'credentials', type: 'object', form: { value: [{ name: 'passcode', label: 'Enter code' }] }, required: true }],
          { relatesTo: '$.currentAuthenticatorEnrollment' })] }, currentAuthenticatorEnrollment: emailEnrollment,
          authenticatorEnrollments: { type: 'array', value: [emailEnrollment.value] },
          user: { type: 'object', value: { id: '00u1a2b3c4d5e6f7g8h9', identifier: 'frank@example.com', profile: { firstName: 'Frank', lastName: 'Ng', timeZone: 'America/Los_Angeles', locale: 'en_US' } } } }));
      if (u.pathname === '/idp/idx/challenge/answer')
        return idxJSON(envelope({ successWithInteractionCode: { rel: ['create-form'], name: 'issue', href: `${base}/oauth2/default/v1/token`, method: 'POST', value: [
          { name: 'grant_type', required: true, value: 'interaction_code' },
          { name: 'interaction_code', required: true, value: tok('Okta IDX interaction_code') + fill('ic', 28) },
          { name: 'client_id', required: true, value: ids.oktaClient }, { name: 'client_secret', required: true }, { name: 'code_verifier', required: true }],
          accepts: 'application/x-www-form-urlencoded' },
          user: { type: 'object', value: { id: '00u1a2b3c4d5e6f7g8h9', identifier: 'frank@example.com' } } }));
      if (u.pathname === '/oauth2/default/v1/token' && body.grant_type === 'interaction_code') {
        const iss = `${base}/oauth2/default`;
        return json(200, { token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email offline_access',
          access_token: jwt('Okta IDX token answer access_token', { ver: 1, iss, aud: 'api://default', cid: ids.oktaClient, uid: '00u1a2b3c4d5e6f7g8h9', scp: ['openid', 'profile', 'email', 'offline_access'], sub: 'frank@example.com' }),
          refresh_token: tok('Okta IDX token answer refresh_token') + fill('okrt', 28),
          id_token: jwt('Okta IDX token answer id_token', { sub: '00u1a2b3c4d5e6f7g8h9', ver: 1, iss, aud: ids.oktaClient, idp: '00o1a2b3c4d5e6f7g8h9', ...(idxNonce ? { nonce: idxNonce } : {}),
            auth_time: now, at_hash: 'preview-not-checked', name: 'Frank Ng', email: 'frank@example.com', preferred_username: 'frank@example.com' }) }, [...cors, ['Cache-Control', 'no-store'], ['Pragma', 'no-cache']]);
      }
      if (u.pathname === '/login/sessionCookieRedirect')
        return [302, [['Location', u.searchParams.get('redirectUrl')], ['Set-Cookie', `sid=${tok('Okta sid cookie')}${fill('sid', 10)}; Path=/; Secure; HttpOnly; SameSite=None`]], Buffer.alloc(0)];
      break;
    }
  }
  return [404, [['Content-Type', 'text/plain'], ...(host === hosts.app ? [] : cors)], Buffer.from('not found\n')];
}

let idxNonce = '';
const reasons = { 200: 'OK', 204: 'No Content', 302: 'Found', 400: 'Bad Request', 404: 'Not Found' };
let exchanges = 0;
const port = Number(process.argv[2] || 4960);
tls.createServer({ key: readFileSync(process.env.TLS_KEY), cert: readFileSync(process.env.TLS_CERT), ALPNProtocols: ['http/1.1'] }, (sock) => {
  let buf = Buffer.alloc(0);
  sock.on('error', () => {});
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const len = Number((/\r\ncontent-length:\s*(\d+)/i.exec(head) || [])[1] || 0);
      if (buf.length < end + 4 + len) return;
      const raw = buf.subarray(0, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      const [line, ...fields] = head.split('\r\n');
      const [method, target] = line.split(' ');
      const headers = {};
      for (const f of fields) { const i = f.indexOf(':'); headers[f.slice(0, i).toLowerCase()] = f.slice(i + 1).trim(); }
      const [status, respFields, body] = handle({ method, target, headers, body: raw.subarray(end + 4) });
      const out = Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${reasons[status]}\r\n` + respFields.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
        `Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
      sock.write(out);
      // The SDKs' own scripts are left out of the wire's copy: large and
      // holding nothing of a sign-in.
      if (process.env.WIRE_DIR && !(headers.host.split(':')[0] === hosts.app && target.startsWith('/sdk/'))) {
        exchanges++;
        writeFileSync(`${process.env.WIRE_DIR}/${exchanges}_c.txt`, raw);
        writeFileSync(`${process.env.WIRE_DIR}/${exchanges}_s.txt`, out);
      }
    }
  });
}).listen(port, '127.0.0.1');
