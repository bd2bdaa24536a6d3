# A tiny OAuth-like app + token endpoint for the NAT capture.
import http.server, json, urllib.parse
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/authorize":
            q = urllib.parse.parse_qs(u.query)
            loc = q["redirect_uri"][0] + "?code=SplxlOBeZQQYbYS6WxSbIA&state=" + q["state"][0]
            self.send_response(302); self.send_header("Location", loc); self.send_header("Content-Length", "0"); self.end_headers()
        elif u.path == "/callback":
            body = b"<html>signed in</html>"
            self.send_response(200); self.send_header("Content-Type", "text/html"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
        else:
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0")); self.rfile.read(n)
        body = json.dumps({"access_token": "2YotnFZFEjr1zCsicMWpAA", "token_type": "Bearer", "expires_in": 3600}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Cache-Control", "no-store"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.ThreadingHTTPServer(("0.0.0.0", 80), H).serve_forever()
