// The app's script on each page of server.mjs: one sign-in story per SDK,
// run by rec.mjs with the story's values (the secrets a user types or a
// backend hands the page), so that no page holds them. Each calls the
// SDK's public API only; the requests are the SDK's own.
const done = (what) => { document.getElementById('out').textContent += what + '\n'; };
// pause lets the recorder read the answers so far before the page leaves.
const pause = () => new Promise((r) => setTimeout(r, 1500));
const cb = (res, rej) => (e, r) => (e ? rej(e) : res(r));

window.cognitoFlow = async (v) => {
  const C = window.AmazonCognitoIdentity;
  const pool = new C.CognitoUserPool({ UserPoolId: v.pool, ClientId: v.client });
  await new Promise((res, rej) => pool.signUp('alice', v.signUpPassword, [new C.CognitoUserAttribute({ Name: 'email', Value: 'alice@example.com' })], null, cb(res, rej)));
  const alice = new C.CognitoUser({ Username: 'alice', Pool: pool });
  await new Promise((res, rej) => alice.confirmRegistration(v.signUpCode, true, cb(res, rej)));
  // An app that sends the password itself (no SRP), with a TOTP second factor.
  alice.setAuthenticationFlowType('USER_PASSWORD_AUTH');
  const session = await new Promise((res, rej) => alice.authenticateUser(new C.AuthenticationDetails({ Username: 'alice', Password: v.password }), {
    onSuccess: res, onFailure: rej,
    totpRequired: () => alice.sendMFACode(v.totp, { onSuccess: res, onFailure: rej }, 'SOFTWARE_TOKEN_MFA'),
    mfaRequired: () => rej(new Error('sms mfa')),
  }));
  done('cognito signed in');
  await new Promise((res, rej) => alice.getUserAttributes(cb(res, rej)));
  await new Promise((res, rej) => alice.changePassword(v.password, v.newPassword, cb(res, rej)));
  await new Promise((res, rej) => alice.refreshSession(session.getRefreshToken(), cb(res, rej)));
  await new Promise((res, rej) => alice.forgotPassword({ onSuccess: res, onFailure: rej, inputVerificationCode: res }));
  await new Promise((res, rej) => alice.confirmPassword(v.resetCode, v.resetPassword, { onSuccess: res, onFailure: rej }));
  // A TOTP second factor enrolled.
  await new Promise((res, rej) => alice.associateSoftwareToken({ associateSecretCode: res, onFailure: rej }));
  await new Promise((res, rej) => alice.verifySoftwareToken(v.enrolTotp, 'phone', { onSuccess: res, onFailure: rej }));
  await new Promise((res, rej) => alice.globalSignOut({ onSuccess: res, onFailure: rej }));
  // A custom challenge (a magic link's or an e-mailed code's answer).
  const custom = new C.CognitoUser({ Username: 'alice', Pool: pool });
  custom.setAuthenticationFlowType('CUSTOM_AUTH');
  await new Promise((res, rej) => custom.initiateAuth(new C.AuthenticationDetails({ Username: 'alice' }), {
    onSuccess: res, onFailure: rej,
    customChallenge: () => custom.sendCustomChallengeAnswer(v.answer, { onSuccess: res, onFailure: rej }),
  }));
  done('cognito custom signed in');
  // The SDK's default, Secure Remote Password, with the session kept in
  // cookies (CookieStorage), which the app's own API then receives.
  const cookiePool = new C.CognitoUserPool({ UserPoolId: v.pool, ClientId: v.client,
    Storage: new C.CookieStorage({ domain: location.hostname, secure: true, sameSite: 'strict', expires: 1 }) });
  const bob = new C.CognitoUser({ Username: 'bob', Pool: cookiePool, Storage: cookiePool.storage });
  await new Promise((res, rej) => bob.authenticateUser(new C.AuthenticationDetails({ Username: 'bob', Password: v.srpPassword }), { onSuccess: res, onFailure: rej }));
  done('cognito srp signed in');
  await fetch('/api/me', { credentials: 'same-origin' });
};

window.firebaseFlow = async (v) => {
  window.firebase.initializeApp({ apiKey: v.key, authDomain: `${v.project}.firebaseapp.com`, projectId: v.project, appId: '1:271828182845:web:0a1b2c3d4e5f6a7b' });
  const auth = window.firebase.auth();
  const cred = await auth.signInWithEmailAndPassword('carol@example.com', v.password);
  done('firebase signed in');
  await cred.user.getIdToken(true);
  await cred.user.updatePassword(v.newPassword);
  await auth.sendPasswordResetEmail('carol@example.com');
  await auth.confirmPasswordReset(v.oobCode, v.resetPassword);
  await auth.signInWithCustomToken(v.customToken);
  await auth.signOut();
  // Google's tokens, as a native sign-in hands them to the page.
  await auth.signInWithCredential(window.firebase.auth.GoogleAuthProvider.credential(v.googleIdToken, v.googleAccessToken));
  await auth.signOut();
  // The e-mailed sign-in link the page was opened with.
  if (!auth.isSignInWithEmailLink(location.href)) throw new Error('no sign-in link');
  await auth.signInWithEmailLink('carol@example.com', location.href);
  await auth.signOut();
};

window.supabaseFlow = async (v) => {
  // PKCE, as @supabase/ssr sets it.
  const sb = window.supabase.createClient(v.url, v.anon, { auth: { flowType: 'pkce' } });
  const must = (r) => { if (r.error) throw r.error; return r; };
  must(await sb.auth.signInWithPassword({ email: 'dave@example.com', password: v.password }));
  done('supabase signed in');
  must(await sb.from('todos').select('*'));
  must(await sb.auth.mfa.challengeAndVerify({ factorId: '7e9a1c3e-6666-4b5d-8f0a-2c4e6a8c0e1f', code: v.mfaCode }));
  must(await sb.auth.updateUser({ password: v.newPassword }));
  must(await sb.auth.refreshSession());
  must(await sb.auth.signInWithOtp({ email: 'dave@example.com', options: { shouldCreateUser: false } }));
  must(await sb.auth.verifyOtp({ email: 'dave@example.com', token: v.otp, type: 'email' }));
  must(await sb.auth.signInWithIdToken({ provider: 'google', token: v.googleIdToken, nonce: 'n-7Yh3Kq9Zt2' }));
  // An OAuth sign-in's return: the code exchanged with the verifier the
  // SDK kept when it built the authorize URL.
  must(await sb.auth.signInWithOAuth({ provider: 'github', options: { skipBrowserRedirect: true, redirectTo: `${location.origin}/supabase.html` } }));
  must(await sb.auth.exchangeCodeForSession(v.authCode));
  must(await sb.auth.signOut());
};

window.auth0Flow = async (v) => {
  const web = new window.auth0.WebAuth({ domain: v.domain, clientID: v.client, redirectUri: `${location.origin}/callback`, responseType: 'code',
    scope: 'openid profile email offline_access', audience: 'https://api.example.com' });
  // The password-realm grant (a first-party app's own form), then
  // cross-origin authentication, which ends in a redirect.
  await new Promise((res, rej) => web.signup({ connection: 'Username-Password-Authentication', email: 'erin@example.com', password: v.signupPassword }, cb(res, rej)));
  await new Promise((res, rej) => web.client.login({ realm: 'Username-Password-Authentication', username: 'erin@example.com', password: v.ropcPassword,
    scope: 'openid offline_access', audience: 'https://api.example.com' }, cb(res, rej)));
  done('auth0 password-realm');
  await pause();
  web.login({ realm: 'Username-Password-Authentication', username: 'erin@example.com', password: v.password, state: 'st-Qm3xT7vK2p' }, (e) => { document.title = 'error ' + JSON.stringify(e); });
};

window.auth0OtpFlow = async (v) => {
  const web = new window.auth0.WebAuth({ domain: v.domain, clientID: v.client, redirectUri: `${location.origin}/callback`, responseType: 'code', scope: 'openid profile email' });
  await new Promise((res, rej) => web.passwordlessStart({ connection: 'email', send: 'code', email: 'erin@example.com' }, cb(res, rej)));
  done('auth0 code sent');
  await pause();
  web.passwordlessLogin({ connection: 'email', email: 'erin@example.com', verificationCode: v.otp, state: 'st-Wq2Er3Ty4U' }, (e) => { document.title = 'error ' + JSON.stringify(e); });
};

window.oktaFlow = async (v) => {
  const Okta = window.OktaAuth.OktaAuth || window.OktaAuth;
  const client = new Okta({ issuer: `https://${v.host}/oauth2/default`, clientId: v.client, redirectUri: `${location.origin}/callback` });
  let tx = await client.signInWithCredentials({ username: 'frank@example.com', password: v.password });
  tx = await tx.factors[0].verify({ passCode: v.passCode });
  done('okta ' + tx.status);
  await pause();
  client.session.setCookieAndRedirect(tx.sessionToken, `${location.origin}/callback`);
};

window.oktaIdxFlow = async (v) => {
  const Okta = window.OktaAuth.OktaAuth || window.OktaAuth;
  // The ID token's signature is the stand-in's, not Okta's keys'.
  const client = new Okta({ issuer: `https://${v.host}/oauth2/default`, clientId: v.client, redirectUri: `${location.origin}/callback`,
    scopes: ['openid', 'profile', 'email', 'offline_access'], ignoreSignature: true });
  // Version 8's step mode: each step named as the last answer offered it.
  let tx = await client.idx.start();
  if (!(tx.availableSteps || []).some((s) => s.name === 'identify')) throw new Error('idx: ' + tx.status + ' ' + JSON.stringify(tx.availableSteps || tx.messages || tx.error));
  tx = await client.idx.proceed({ step: 'identify', username: 'frank@example.com', password: v.password });
  if (tx.nextStep?.name !== 'challenge-authenticator') throw new Error('idx: ' + tx.status + ' ' + JSON.stringify(tx.nextStep || tx.messages || tx.error));
  tx = await client.idx.proceed({ step: 'challenge-authenticator', verificationCode: v.emailCode });
  if (tx.status !== 'SUCCESS') throw new Error('idx: ' + tx.status + ' ' + JSON.stringify(tx.messages || tx.error));
  done('okta idx ' + tx.status);
};

if (location.pathname === '/callback') document.title = 'callback';
