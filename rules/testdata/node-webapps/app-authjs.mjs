// An Express 4 web app signing in with Auth.js (@auth/express 0.12 on
// @auth/core 0.41, the core of next-auth 5), as @auth/express's README
// sets it up: ExpressAuth mounted at /auth/* with one OpenID Connect
// provider (type "oidc": discovery from the issuer, the default checks,
// PKCE in Auth.js's own encrypted cookie), trustHost, its built-in sign-in
// and error pages, JWT sessions. Secrets are test-only values.
import express from 'express';
import { ExpressAuth, getSession } from '@auth/express';

export async function start({ op, port, clientId, clientSecret }) {
  const config = {
    trustHost: true,
    secret: 'test-only-auth-secret-of-the-authjs-recording-app',
    providers: [{ id: 'lab', name: 'Lab OP', type: 'oidc', issuer: op, clientId, clientSecret }],
  };
  const app = express();
  app.set('trust proxy', true);
  app.use('/auth/*', ExpressAuth(config));
  app.get('/', async (req, res) => {
    const s = await getSession(req, config);
    // Auth.js's OpenID Connect profile is the ID token's claims: a name
    // when the provider puts one there, else only that a session exists.
    const who = s?.user ? (s.user.name ?? 'a user of the lab provider') : undefined;
    res.type('html').send(who
      ? `<!DOCTYPE html><title>Home</title><p id="who">Signed in as ${who.replace(/[<>&"]/g, '')}</p>`
      : '<!DOCTYPE html><title>Home</title><a id="login" href="/auth/signin">Sign in</a>');
  });
  return new Promise((r) => { const s = app.listen(port, '127.0.0.1', () => r(s)); });
}
