// Autobahn fuzzingserver driver for the node `ws` client: getCaseCount, every case
// echoing each message until the server closes, then updateReports. The same loop runs
// against `wstest -m fuzzingserver` and `wsconform serve`.
//
// usage: NODE_PATH=~/.cache/ws-panel/node/node_modules node node_ws_client.js ws://127.0.0.1:9001 AGENT
'use strict';
const WebSocket = require('ws');

const [server, agent] = process.argv.slice(2);

function open(path, onMessage) {
  return new Promise((resolve) => {
    const ws = new WebSocket(server + path, { perMessageDeflate: true, maxPayload: 2 ** 25 });
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    ws.on('error', (err) => console.log(`${path}: ${err.message}`));
    ws.on('close', () => resolve());
  });
}

async function main() {
  let count = 0;
  await open('/getCaseCount', (_ws, data) => { count = JSON.parse(data.toString()); });
  for (let n = 1; n <= count; n++) {
    await open(`/runCase?case=${n}&agent=${agent}`, (ws, data, isBinary) => {
      ws.send(data, { binary: isBinary });
    });
  }
  await open(`/updateReports?agent=${agent}`, () => {});
  console.log(`ran ${count} cases`);
}

main();
