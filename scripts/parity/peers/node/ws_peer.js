// Parity peer on node `ws` (permessage-deflate on in both roles, the library's default
// for clients and the usual setting for its Autobahn server).
//
//   node ws_peer.js server PORT          echo every message on 127.0.0.1:PORT
//   node ws_peer.js client BASE AGENT    Autobahn fuzzingserver driver against BASE
//                                        (ws://127.0.0.1:PORT), one case at a time
'use strict';
const { WebSocket, WebSocketServer } = require('ws');
const version = require('ws/package.json').version;

// 9.x sends 16 MiB messages; ws accepts 100 MiB by default, the panel's servers 64 MiB.
const MAX_SIZE = 64 * 1024 * 1024;

function server(port) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: true, maxPayload: MAX_SIZE });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {});
  });
  wss.on('listening', () => console.log(`ws ${version} echo on ws://127.0.0.1:${port}/`));
}

// Opens base+path and calls onMessage for each message; resolves once the connection is closed.
function session(base, path, onMessage) {
  return new Promise((resolve) => {
    const ws = new WebSocket(base + path, { perMessageDeflate: true, maxPayload: MAX_SIZE });
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    ws.on('error', (err) => console.log(`${path}: ${err.message}`));
    ws.on('close', () => resolve());
  });
}

async function client(base, agent) {
  let count = 0;
  await session(base, '/getCaseCount', (_ws, data) => { count = Number(data.toString()); });
  for (let n = 1; n <= count; n++) {
    await session(base, `/runCase?case=${n}&agent=${agent}`, (ws, data, isBinary) => {
      ws.send(data, { binary: isBinary });
    });
  }
  await session(base, `/updateReports?agent=${agent}`, () => {});
  console.log(`ran ${count} cases`);
}

const [role, a, b] = process.argv.slice(2);
if (role === 'server') {
  server(Number(a));
} else {
  client(a, b);
}
