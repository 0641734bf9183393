// A WebSocket reverse proxy on node's http-proxy, as its README sets one up:
//   node http-proxy.js LISTEN_HOST:PORT BACKEND_HOST:PORT
// wsconform's proxy tests (harness/tests/proxy_real.rs) run it in the foreground.
'use strict';
const http = require('http');
const httpProxy = require('http-proxy');

const [listen, backend] = process.argv.slice(2);
if (!listen || !backend) {
  console.error('usage: node http-proxy.js LISTEN_HOST:PORT BACKEND_HOST:PORT');
  process.exit(2);
}
const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
const proxy = httpProxy.createProxyServer({ target: `http://${backend}`, ws: true });
proxy.on('error', (err, req, res) => {
  console.error(`proxy error: ${err.message}`);
  if (res && typeof res.writeHead === 'function' && !res.headersSent) {
    res.writeHead(502);
    res.end();
  } else if (res && typeof res.destroy === 'function') {
    res.destroy();
  }
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.on('upgrade', (req, socket, head) => proxy.ws(req, socket, head));
server.listen(port, host, () => console.error(`http-proxy listening on ${listen}, forwarding to ${backend}`));
