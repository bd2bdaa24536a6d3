// An Express 4 app signing in with openid-client 5 used directly, as its
// README's quick start does: Issuer.discover, a Client with the secret,
// authorizationUrl with a PKCE challenge and a state kept in the session
// (express-session, its default MemoryStore), callbackParams and callback
// at /cb with those checks; an error goes to Express's default error
// handler (NODE_ENV unset). Secrets are test-only values.
import express from 'express';
import session from 'express-session';
import { Issuer, generators } from 'openid-client';

// start serves the app on port; clientSecret and redirectUri are the app's
// configuration (a rotated secret, an unregistered callback).
export async function start({ op, port, clientSecret, redirectUri }) {
  const issuer = await Issuer.discover(op);
  const client = new issuer.Client({
    client_id: 'oidclient-app', client_secret: clientSecret,
    redirect_uris: [redirectUri], response_types: ['code'],
  });
  const app = express();
  app.use(session({ secret: 'test-only-express-session-secret', resave: false, saveUninitialized: false }));
  app.get('/', (req, res) => {
    const who = req.session.user;
    res.type('html').send(who
      ? `<!DOCTYPE html><title>Home</title><p id="who">Signed in as ${who.replace(/[<>&"]/g, '')}</p>`
      : '<!DOCTYPE html><title>Home</title><a id="login" href="/login">Sign in</a>');
  });
  app.get('/login', (req, res) => {
    const codeVerifier = generators.codeVerifier();
    const state = generators.state();
    req.session.codeVerifier = codeVerifier;
    req.session.state = state;
    res.redirect(client.authorizationUrl({
      scope: 'openid profile', state,
      code_challenge: generators.codeChallenge(codeVerifier), code_challenge_method: 'S256',
    }));
  });
  app.get('/cb', async (req, res, next) => {
    try {
      const params = client.callbackParams(req);
      const tokens = await client.callback(redirectUri, params, { code_verifier: req.session.codeVerifier, state: req.session.state });
      req.session.user = tokens.claims().sub;
      res.redirect('/');
    } catch (e) {
      next(e);
    }
  });
  return new Promise((r) => { const s = app.listen(port, '127.0.0.1', () => r(s)); });
}
