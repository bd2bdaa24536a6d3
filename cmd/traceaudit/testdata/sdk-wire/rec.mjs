// Runs each SDK's story (app.js) in headless Chromium driven over the
// DevTools protocol (rules/testdata/spa-libs/cdp.mjs, the project's
// recorder), every service host mapped to server.mjs's port, and writes
// the browser's HAR.
//
// Usage: node --experimental-websocket rec.mjs PORT OUT.har
import { readFileSync, writeFileSync } from 'node:fs';
import { browser, sleep } from '../../../../rules/testdata/spa-libs/cdp.mjs';

const [port, out] = process.argv.slice(2);
const places = JSON.parse(readFileSync(new URL('./canaries.json', import.meta.url)));
const tok = (place) => {
  const n = places.indexOf(place);
  if (n < 0) throw new Error(`no canary ${place}`);
  return `Cnry${String(n + 1).padStart(3, '0')}K7pQ2xW9`;
};
const b64u = (s) => Buffer.from(s).toString('base64url');
const hosts = ['app.example.com', 'cognito-idp.us-east-1.amazonaws.com', 'identitytoolkit.googleapis.com', 'securetoken.googleapis.com',
  'qwertyuiopasdfghjklz.supabase.co', 'sdkwire.us.auth0.com', 'dev-31415926.okta.com'];
const now = Math.floor(Date.now() / 1000);
// googleIdToken is an ID token as Google issues it (its claims; the
// signature is no real one).
const googleIdToken = (place) => b64u(JSON.stringify({ alg: 'RS256', kid: 'a1b2c3d4e5f6', typ: 'JWT' })) + '.' + b64u(JSON.stringify({ iss: 'https://accounts.google.com',
  azp: '271828182845-abc.apps.googleusercontent.com', aud: '271828182845-abc.apps.googleusercontent.com', sub: '110169484474386276334', email: 'carol@example.com',
  email_verified: true, nonce: 'n-7Yh3Kq9Zt2', iat: now, exp: now + 3600, jti: tok(place) })) + '.' + b64u('sig-' + tok(place) + '-'.repeat(200));
// The e-mailed sign-in link's parameters, on the page's URL.
const emailLink = '?' + new URLSearchParams({ apiKey: 'AIzaSyD3m0-Sdkwire_Fake-Key-0123456789a', oobCode: tok('Firebase email link oobCode') + 'Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9L',
  mode: 'signIn', continueUrl: 'https://app.example.com/firebase.html', lang: 'en' });
const stories = [
  ['cognito', 'cognitoFlow', { pool: 'us-east-1_Xy3Zq9AbC', client: '5n1l2k8m3j4h6g7f9d0s1a2p3o', signUpPassword: tok('Cognito SignUp Password'),
    signUpCode: tok('Cognito ConfirmSignUp ConfirmationCode'), password: tok('Cognito InitiateAuth USER_PASSWORD_AUTH AuthParameters.PASSWORD'),
    totp: tok('Cognito RespondToAuthChallenge SOFTWARE_TOKEN_MFA_CODE'), newPassword: tok('Cognito ChangePassword ProposedPassword'),
    resetCode: tok('Cognito ConfirmForgotPassword ConfirmationCode'), resetPassword: tok('Cognito ConfirmForgotPassword Password'),
    srpPassword: 'correct horse battery staple', enrolTotp: tok('Cognito VerifySoftwareToken UserCode'),
    answer: tok('Cognito CUSTOM_CHALLENGE ChallengeResponses.ANSWER') }],
  ['firebase', 'firebaseFlow', { googleIdToken: googleIdToken('Firebase signInWithIdp postBody id_token'),
    googleAccessToken: 'ya29.a0' + tok('Firebase signInWithIdp postBody access_token') + 'Xk2Lm4Np6Qr8St0Uv2Wx4Yz6Ab8Cd0Ef2Gh4Ij6Kl8Mn0Op2Qr4St6Uv8Wx0Yz2Ab4Cd6Ef8Gh0Ij2Kl4', key: 'AIzaSyD3m0-Sdkwire_Fake-Key-0123456789a', project: 'sdkwire-demo', password: tok('Firebase signInWithPassword password'),
    newPassword: tok('Firebase accounts:update password'), oobCode: tok('Firebase accounts:resetPassword oobCode') + 'aB3dE5fG7hJ9kL1mN3pQ5rS7',
    resetPassword: tok('Firebase accounts:resetPassword newPassword'),
    // A custom token as a backend signs it with a service account.
    customToken: b64u(JSON.stringify({ alg: 'RS256', typ: 'JWT' })) + '.' + b64u(JSON.stringify({ aud: 'https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit',
      iat: now, exp: now + 3600, iss: 'firebase-adminsdk-x1y2z@sdkwire-demo.iam.gserviceaccount.com', sub: 'firebase-adminsdk-x1y2z@sdkwire-demo.iam.gserviceaccount.com',
      uid: 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1H', jti: tok('Firebase signInWithCustomToken token') })) + '.' + b64u('sig-' + tok('Firebase signInWithCustomToken token') + '-'.repeat(40)) }],
  ['supabase', 'supabaseFlow', { url: 'https://qwertyuiopasdfghjklz.supabase.co',
    anon: b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.' + b64u(JSON.stringify({ iss: 'supabase', ref: 'qwertyuiopasdfghjklz', role: 'anon', iat: 1772600767, exp: 2088176767,
      jti: tok('Supabase anon key, apikey header') })) + '.' + b64u('sig-' + tok('Supabase anon key, apikey header') + '-0123456789abcdef'),
    password: tok('Supabase grant_type=password password'), mfaCode: tok('Supabase MFA verify code'),
    googleIdToken: googleIdToken('Supabase id_token grant id_token'), authCode: tok('Supabase pkce auth_code'), newPassword: tok('Supabase PUT /user password'), otp: tok('Supabase verify token, an email OTP') }],
  ['auth0', 'auth0Flow', { domain: 'sdkwire.us.auth0.com', client: 'Qm3xT7vK2pL9sR4wY8zA1bC6dE5fG0hJ', ropcPassword: tok('Auth0 password-realm grant password'),
    password: tok('Auth0 /co/authenticate password'), signupPassword: tok('Auth0 signup password') }, true],
  ['auth0', 'auth0OtpFlow', { domain: 'sdkwire.us.auth0.com', client: 'Qm3xT7vK2pL9sR4wY8zA1bC6dE5fG0hJ', otp: tok('Auth0 passwordless /co/authenticate otp') }, true],
  ['okta', 'oktaFlow', { host: 'dev-31415926.okta.com', client: '0oa1b2c3d4e5f6g7h8i9', password: tok('Okta authn password'),
    passCode: tok('Okta authn factor verify passCode') }, true],
  ['okta-idx', 'oktaIdxFlow', { host: 'dev-31415926.okta.com', client: '0oa1b2c3d4e5f6g7h8i9', password: tok('Okta IDX identify credentials.passcode, the password'),
    emailCode: tok('Okta IDX email challenge credentials.passcode') }],
];
const chromium = await browser({
  args: ['--ignore-certificate-errors', `--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1:${port}`).join(', ')}`],
});
let failed = false;
try {
  const t = await chromium.tab();
  for (const [page, fn, values, redirects] of stories) {
    await t.send('Page.navigate', { url: `https://app.example.com/${page}.html${page === 'firebase' ? emailLink : ''}` });
    await t.waitFor(`typeof window.${fn} === 'function' && document.readyState === 'complete'`, `${page}.html`);
    await t.evaluate(`(window.__r = null, window.${fn}(${JSON.stringify(values)}).then(() => window.__r = 'ok',
      (e) => window.__r = 'error ' + (e && (e.message || e.description || JSON.stringify(e)))), 1)`);
    if (redirects) await t.waitFor(`location.pathname === '/callback' || document.title.startsWith('error')`, `${page}'s redirect`, 300);
    else await t.waitFor('window.__r', `${page}'s story`, 300);
    const r = redirects ? await t.evaluate('location.pathname + " " + document.title') : await t.evaluate('window.__r');
    console.log(page, r);
    if (!/^ok$|^\/callback callback$/.test(r)) failed = true;
    await sleep(500);
  }
  await sleep(1000);
  const har = await chromium.har('sdk-wire rec.mjs');
  // The SDKs' own scripts are left out: large, and the packages'
  // (package.json names their versions), not the recording's.
  for (const e of har.log.entries) {
    if (!new URL(e.request.url).pathname.startsWith('/sdk/')) continue;
    e.response.content = { size: e.response.content.size, mimeType: e.response.content.mimeType, text: '' };
    e.comment = 'body left out: the SDK\'s published browser build';
  }
  writeFileSync(out, JSON.stringify(har, null, 2) + '\n');
} finally {
  await chromium.close();
}
if (failed) process.exit(1);
