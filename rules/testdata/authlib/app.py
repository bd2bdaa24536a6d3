# A Flask app signing in with Authlib's Flask client, as Authlib's documentation
# sets it up ("Flask OAuth Client": OAuth(app), oauth.register with the provider's
# discovery document, authorize_redirect at /login and authorize_access_token at
# the callback /auth); its configuration comes from the environment gen.sh sets.
# LAB_DEBUG=1 runs it as `flask run --debug` does (Werkzeug's debugger answers an
# exception with its traceback page); otherwise Flask's plain 500 page. Secrets are
# test-only values.
import os

from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session, url_for
from markupsafe import escape

app = Flask(__name__)
app.secret_key = os.environ["LAB_SECRET_KEY"]
oauth = OAuth(app)
oauth.register(
    "labop",
    client_id="authlib-app",
    client_secret=os.environ["LAB_CLIENT_SECRET"],
    server_metadata_url=os.environ["LAB_OP"] + "/.well-known/openid-configuration",
    client_kwargs={"scope": "openid profile"},
)


@app.route("/")
def home():
    user = session.get("user")
    if user:
        return f'<!DOCTYPE html><title>Home</title><p id="who">Signed in as {escape(user.get("name") or user["sub"])}</p><a href="/logout">Sign out</a>'
    return '<!DOCTYPE html><title>Home</title><a id="login" href="/login">Sign in</a>'


@app.route("/login")
def login():
    # An app configured with a fixed callback URL sends that one
    # (LAB_REDIRECT_URI); otherwise Authlib's example builds it.
    redirect_uri = os.environ.get("LAB_REDIRECT_URI") or url_for("auth", _external=True)
    return oauth.labop.authorize_redirect(redirect_uri)


@app.route("/auth")
def auth():
    token = oauth.labop.authorize_access_token()
    session["user"] = token["userinfo"]
    return redirect("/")


@app.route("/logout")
def logout():
    session.pop("user", None)
    return redirect("/")


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["LAB_PORT"]), debug=os.environ.get("LAB_DEBUG") == "1", use_reloader=False)
