// An Express 4 web app signing in with @azure/msal-node 7's confidential
// client, as Microsoft's Node.js web app tutorial does (its AuthProvider):
// getAuthCodeUrl with a PKCE challenge and a state carrying a CSRF token,
// both kept in an express-session session (its default MemoryStore), then
// acquireTokenByCode at the redirect URI with the verifier and the
// callback's parameters (msal-node checks the state and the callback's
// error itself); an error goes to Express's default error handler
// (NODE_ENV unset). The authority is the local oidc-provider, which MSAL
// reaches in its OIDC protocol mode (system.protocolMode "OIDC",
// auth.knownAuthorities naming its host): msal-node refuses anything but
// https, and Entra's own AAD mode would ask login.microsoftonline.com for
// instance discovery. Secrets are test-only values.
import express from 'express';
import session from 'express-session';
import { ConfidentialClientApplication, CryptoProvider, ProtocolMode } from '@azure/msal-node';

export async function start({ op, port, clientId, clientSecret, redirectUri }) {
  const msal = new ConfidentialClientApplication({
    auth: { clientId, authority: `${op}/`, clientSecret, knownAuthorities: [new URL(op).host] },
    system: { protocolMode: ProtocolMode.OIDC },
  });
  const crypto = new CryptoProvider();
  const app = express();
  app.use(session({ secret: 'test-only-express-session-secret', resave: false, saveUninitialized: false }));
  app.get('/', (req, res) => {
    const who = req.session.account?.idTokenClaims?.sub;
    res.type('html').send(who
      ? `<!DOCTYPE html><title>Home</title><p id="who">Signed in as ${who.replace(/[<>&"]/g, '')}</p>`
      : '<!DOCTYPE html><title>Home</title><a id="login" href="/auth/signin">Sign in</a>');
  });
  app.get('/auth/signin', async (req, res, next) => {
    try {
      const state = crypto.base64Encode(JSON.stringify({ csrfToken: crypto.createNewGuid(), redirectTo: '/' }));
      const { verifier, challenge } = await crypto.generatePkceCodes();
      req.session.pkceCodes = { challengeMethod: 'S256', verifier, challenge };
      req.session.authCodeUrlRequest = { redirectUri, scopes: ['openid', 'profile'], state, codeChallenge: challenge, codeChallengeMethod: 'S256' };
      req.session.authCodeRequest = { redirectUri, scopes: ['openid', 'profile'], state };
      res.redirect(await msal.getAuthCodeUrl(req.session.authCodeUrlRequest));
    } catch (e) {
      next(e);
    }
  });
  app.get('/auth/redirect', async (req, res, next) => {
    try {
      const authCodeRequest = { ...req.session.authCodeRequest, code: req.query.code, codeVerifier: req.session.pkceCodes?.verifier };
      const tokens = await msal.acquireTokenByCode(authCodeRequest, req.query);
      req.session.account = tokens.account;
      res.redirect(JSON.parse(crypto.base64Decode(req.query.state)).redirectTo);
    } catch (e) {
      next(e);
    }
  });
  return new Promise((r) => { const s = app.listen(port, '127.0.0.1', () => r(s)); });
}
