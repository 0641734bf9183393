// wsconform's client driver: runs the cases `wsconform serve` offers through the
// standard WebSocket API, echoing every message as it came (text as text, binary as
// binary), then asks for the report. The same file runs in a browser (inlined in the
// page `GET /` serves) and as a script in Node >= 22, Deno and Bun:
//
//   node driver.js 'http://127.0.0.1:9001/?agent=node-22&cases=1.*,2.*&concurrency=4'
//   deno run --allow-net driver.js 'http://127.0.0.1:9001/?agent=deno'
//   bun driver.js 'http://127.0.0.1:9001/?agent=bun'
//
// Query parameters (page and script alike): agent (the name in the report), cases
// (comma-separated ids or patterns among those serve offers; default all) and
// concurrency (cases at once; default 4). Cases serve marks `exclusive` (timing-sensitive)
// run alone. Nothing but the standard WebSocket API and fetch is used, so what the report
// says is what that runtime's WebSocket does.
'use strict';

(function () {
  const inPage = typeof document !== 'undefined' && typeof location !== 'undefined';

  function settingsFrom(url) {
    const q = url.searchParams;
    const concurrency = Number.parseInt(q.get('concurrency') || '4', 10);
    return {
      http: url.origin,
      ws: url.origin.replace(/^http/, 'ws'),
      agent: q.get('agent') || defaultAgent(),
      cases: q.get('cases') || '',
      concurrency: Number.isFinite(concurrency) && concurrency > 0 ? concurrency : 4,
    };
  }

  function defaultAgent() {
    if (typeof Deno !== 'undefined') return `deno-${Deno.version.deno}`;
    if (typeof Bun !== 'undefined') return `bun-${Bun.version}`;
    if (typeof process !== 'undefined' && process.versions && process.versions.node) {
      return `node-${process.versions.node}`;
    }
    const ua = typeof navigator !== 'undefined' ? navigator.userAgent : '';
    const firefox = ua.match(/Firefox\/(\d+)/);
    if (firefox) return `firefox-${firefox[1]}`;
    const chrome = ua.match(/Chrom(?:e|ium)\/(\d+)/);
    if (chrome) return `chromium-${chrome[1]}`;
    return 'browser';
  }

  // One control connection (/getCaseCount, /updateReports): the first text message it
  // carries, once the server has closed it.
  function control(s, path) {
    return new Promise((resolve, reject) => {
      let text = null;
      const ws = new WebSocket(s.ws + path);
      ws.onmessage = (e) => {
        if (text === null && typeof e.data === 'string') text = e.data;
      };
      ws.onclose = (e) => {
        if (e.code === 1000 || e.code === 1005) resolve(text);
        else reject(new Error(`${path}: closed with ${e.code} ${e.reason}`));
      };
    });
  }

  // One case: echo every message until the connection ends, whoever ends it.
  function runCase(s, number) {
    return new Promise((resolve) => {
      let ws;
      try {
        ws = new WebSocket(`${s.ws}/runCase?case=${number}&agent=${encodeURIComponent(s.agent)}`);
      } catch (err) {
        resolve({ code: 0, error: String(err) });
        return;
      }
      ws.binaryType = 'arraybuffer';
      ws.onmessage = (e) => {
        // Sent as received: a string goes out as text, an ArrayBuffer as binary.
        if (ws.readyState === 1) ws.send(e.data);
      };
      ws.onclose = (e) => resolve({ code: e.code, clean: e.wasClean });
    });
  }

  async function fetchJson(s, path) {
    const response = await fetch(s.http + path, { cache: 'no-store' });
    if (!response.ok) {
      throw new Error(`${path}: HTTP ${response.status}: ${(await response.text()).trim()}`);
    }
    return response.json();
  }

  // The verdict serve recorded for a case (it waits briefly for one still being judged).
  function verdict(s, number) {
    return fetchJson(s, `/caseStatus?case=${number}&agent=${encodeURIComponent(s.agent)}`);
  }

  // Runs `cases` (serve's case list entries), `s.concurrency` at a time, exclusive ones
  // alone; calls `report(entry, verdict)` as each finishes.
  async function runAll(s, cases, report) {
    const running = new Set();
    const start = (entry) => {
      const p = runCase(s, entry.number)
        .then(() => verdict(s, entry.number))
        .then(
          (v) => report(entry, v),
          (err) => report(entry, { behavior: 'ERROR', behaviorClose: String(err) }),
        )
        .finally(() => running.delete(p));
      running.add(p);
      return p;
    };
    for (const entry of cases) {
      if (entry.exclusive) {
        await Promise.all(running);
        await start(entry);
        continue;
      }
      while (running.size >= s.concurrency) await Promise.race(running);
      start(entry);
    }
    await Promise.all(running);
  }

  // The whole run: case list, every case, the report. `ui` shows progress.
  async function drive(s, list, ui) {
    const count = Number.parseInt(await control(s, '/getCaseCount'), 10);
    if (count !== list.offered) {
      throw new Error(`/getCaseCount says ${count} cases, the case list ${list.offered}`);
    }
    ui.begin(s, list);
    const counts = {};
    let done = 0;
    await runAll(s, list.cases, (entry, v) => {
      done += 1;
      const key = `${v.behavior} / ${v.behaviorClose}`;
      counts[key] = (counts[key] || 0) + 1;
      ui.progress(entry, v, done, list.cases.length, counts);
    });
    await control(s, `/updateReports?agent=${encodeURIComponent(s.agent)}`);
    ui.end(`${s.http}/report?agent=${encodeURIComponent(s.agent)}`, counts);
    return counts;
  }

  function pageUi() {
    const $ = (id) => document.getElementById(id);
    return {
      begin(s, list) {
        $('agent').textContent = s.agent;
        $('selection').textContent =
          `${list.cases.length} of the ${list.offered} cases served` +
          (s.cases ? ` (cases=${s.cases})` : '') + `, ${s.concurrency} at a time`;
        $('beyond').textContent = list.beyondApi.length === 0
          ? 'Every selected case can be played by a client on the standard WebSocket API.'
          : 'Not run, as a client on the standard WebSocket API cannot take part in them: ' +
            list.beyondApi.map((c) => `${c.id} (${c.needs.join(', ')})`).join('; ');
      },
      progress(entry, v, done, total, counts) {
        $('status').textContent = `${done} / ${total}: case ${entry.id} ${v.behavior} / ${v.behaviorClose}`;
        $('bar').value = done / total;
        $('counts').textContent = Object.entries(counts)
          .map(([k, n]) => `${k}: ${n}`)
          .join('\n');
        if (v.behavior === 'FAILED' || v.behavior === 'ERROR' || v.behaviorClose !== 'OK') {
          const li = document.createElement('li');
          li.textContent = `${entry.id}: ${v.behavior} / ${v.behaviorClose}`;
          $('notable').appendChild(li);
        }
      },
      end(reportUrl) {
        const a = document.createElement('a');
        a.href = reportUrl;
        a.id = 'report-link';
        a.textContent = 'Open the report';
        $('result').replaceChildren('Done. ', a);
        document.title = 'wsconform: done';
      },
      fail(err) {
        $('result').textContent = `Stopped: ${err.message}`;
        document.title = 'wsconform: stopped';
      },
    };
  }

  function consoleUi() {
    return {
      begin(s, list) {
        console.log(`wsconform driver: ${list.cases.length} of ${list.offered} cases as ${s.agent}, ${s.concurrency} at a time`);
        for (const c of list.beyondApi) {
          console.log(`${c.id}: not run, beyond the standard WebSocket API (${c.needs.join(', ')})`);
        }
      },
      progress(entry, v, done, total) {
        console.log(`${done}/${total} ${entry.id}: ${v.behavior} / ${v.behaviorClose}`);
      },
      end(reportUrl, counts) {
        for (const [k, n] of Object.entries(counts)) console.log(`${k}: ${n}`);
        console.log(`report: ${reportUrl}`);
      },
      fail(err) {
        console.error(`wsconform driver stopped: ${err.message}`);
      },
    };
  }

  async function main() {
    if (inPage) {
      const s = settingsFrom(new URL(location.href));
      const ui = pageUi();
      try {
        // The page carries its case list; serve wrote it in for this very query.
        await drive(s, globalThis.WSCONFORM_CASES, ui);
      } catch (err) {
        ui.fail(err);
      }
      return;
    }
    const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
    const exit = (code) => (typeof Deno !== 'undefined' ? Deno.exit(code) : process.exit(code));
    if (args.length !== 1) {
      console.error("usage: driver.js 'http://HOST:PORT/?agent=NAME&cases=PATTERNS&concurrency=N'");
      exit(2);
    }
    if (typeof WebSocket === 'undefined') {
      console.error('this runtime has no built-in WebSocket (Node >= 22, Deno or Bun has one)');
      exit(2);
    }
    const s = settingsFrom(new URL(args[0]));
    const ui = consoleUi();
    try {
      const list = await fetchJson(s, `/cases.json?cases=${encodeURIComponent(s.cases)}`);
      await drive(s, list, ui);
      exit(0);
    } catch (err) {
      ui.fail(err);
      exit(1);
    }
  }

  main();
})();
