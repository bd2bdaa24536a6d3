// A web server that answers with bodies whose codings are not what their
// headers say, as misconfigured servers and proxies send them, written
// byte for byte on the socket (node:net, no HTTP library in the way).
// Every token is a test-only value shaped like the leak hunt's canaries
// (cmd/traceaudit/hunt16_test.go names them in this order).
//
// With WIRE_DIR set, each exchange's bytes as received and as sent are
// written there too (N_c.txt, N_s.txt: a SAZ's raw members).
//
// Usage: [WIRE_DIR=DIR] node server.mjs PORT
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import zlib from 'node:zlib';

let exchanges = 0;
const wire = (req, resp) => {
  if (!process.env.WIRE_DIR) return;
  exchanges++;
  writeFileSync(`${process.env.WIRE_DIR}/${exchanges}_c.txt`, req);
  writeFileSync(`${process.env.WIRE_DIR}/${exchanges}_s.txt`, resp);
};

const tok = (n) => `Cnry${String(n).padStart(3, '0')}K7pQ2xW9`;
const answer = (n) => Buffer.from(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, scope: 'openid',
  access_token: tok(n), refresh_token: tok(n + 1) }));
const gz = (b) => zlib.gzipSync(b);
const br = (b) => zlib.brotliCompressSync(b);
const page = Buffer.from(`<!doctype html><meta charset="utf-8"><title>coded bodies</title><pre id="out"></pre><script>
const out = document.getElementById('out');
async function get(path) {
  try { const r = await fetch(path); out.textContent += path + ' ' + r.status + ' ' + (await r.text()).length + '\\n'; }
  catch (e) { out.textContent += path + ' failed: ' + e.message + '\\n'; }
}
(async () => {
  for (const p of ['/api/token-gzip-twice', '/api/form-post-gzip-under-br', '/api/token-gzip-no-label', '/api/token-base64',
    '/api/token-transfer-gzip']) await get(p);
  // A client that sends its request body gzip-compressed (an SDK's
  // option; here the page's CompressionStream).
  const form = new Blob(['grant_type=refresh_token&client_id=hunt-client-7f3a&client_secret=Cnry010K7pQ2xW9&refresh_token=Cnry011K7pQ2xW9']);
  const body = await new Response(form.stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
  try {
    const r = await fetch('/api/token', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' }, body });
    out.textContent += '/api/token ' + r.status + '\\n';
  } catch (e) { out.textContent += '/api/token failed: ' + e.message + '\\n'; }
  document.title = 'done';
})();
</script>`);

const routes = {
  // An app's gzip under a proxy's: one Content-Encoding for two layers.
  '/api/token-gzip-twice': () => [[['Content-Type', 'application/json'], ['Content-Encoding', 'gzip']], gz(gz(answer(1)))],
  // A form_post page brotli-compressed over a gzip the header omits.
  '/api/form-post-gzip-under-br': () => [[['Content-Type', 'text/html; charset=utf-8'], ['Content-Encoding', 'br']],
    br(gz(Buffer.from(`<html><body onload="document.forms[0].submit()"><form method="post" action="https://app.example/cb"><input type="hidden" name="code" value="${tok(3)}"><input type="hidden" name="state" value="st16"></form></body></html>`)))],
  // Compressed without a header saying so.
  '/api/token-gzip-no-label': () => [[['Content-Type', 'application/json']], gz(answer(4))],
  // A serverless function's answer sent base64-encoded.
  '/api/token-base64': () => [[['Content-Type', 'text/plain']], Buffer.from(answer(6).toString('base64'))],
  // A transfer coding other than chunked.
  '/api/token': () => [[['Content-Type', 'application/json']], Buffer.from('{"error":"invalid_grant","error_description":"AADSTS70008: expired"}')],
  '/api/token-transfer-gzip': () => [[['Content-Type', 'application/json'], ['Transfer-Encoding', 'gzip, chunked']], gz(answer(8)), 'chunked'],
};

const port = Number(process.argv[2] || 4951);
net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const len = Number((/\r\ncontent-length:\s*(\d+)/i.exec(head) || [])[1] || 0);
      if (buf.length < end + 4 + len) return;
      const req = buf.subarray(0, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      const path = head.split(' ')[1].split('?')[0];
      let fields = [['Content-Type', 'text/plain']], body = Buffer.from('not found\n'), framing = '', status = '404 Not Found';
      if (path === '/') { fields = [['Content-Type', 'text/html; charset=utf-8']]; body = page; status = '200 OK'; }
      else if (routes[path]) { [fields, body, framing] = routes[path](); status = '200 OK'; }
      let out = `HTTP/1.1 ${status}\r\n` + fields.map(([n, v]) => `${n}: ${v}\r\n`).join('');
      const resp = framing === 'chunked'
        ? Buffer.concat([Buffer.from(out + '\r\n' + body.length.toString(16) + '\r\n'), body, Buffer.from('\r\n0\r\n\r\n')])
        : Buffer.concat([Buffer.from(out + `Content-Length: ${body.length}\r\n\r\n`), body]);
      wire(req, resp);
      sock.write(resp);
    }
  });
  sock.on('error', () => {});
}).listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
