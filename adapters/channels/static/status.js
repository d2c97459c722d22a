// Dashboard refresh: poll /api/status (snapshot) and /api/status/extra (chart, decisions, insights).
"use strict";
(() => {
  const asked = Number(new URLSearchParams(location.search).get("refresh"));
  const INTERVAL_MS = asked >= 500 ? asked : 5000;
  const fmt = (x, d = 2) => (x === null || x === undefined || x === "") ? "–"
    : Number(x).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

  // Cash to the cent, coins to the satoshi (trailing zeros dropped).
  const FIAT = ["USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "USDT", "USDC"];
  const fmtAmount = (asset, x) => FIAT.includes(asset) ? fmt(x, 2)
    : Number(x).toLocaleString("en-US", { maximumFractionDigits: 8 });

  function fill(id, rows, empty, width) {
    const body = document.querySelector("#" + id + " tbody");
    if (!body) return;
    body.replaceChildren();
    if (!rows.length) {
      const tr = Zyn.el("tr", null, "empty");
      const td = Zyn.el("td", empty);
      td.colSpan = width;
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    // Each cell carries its column name: on a phone the rows stack as "label value" cards.
    const labels = Array.from(document.querySelectorAll("#" + id + " thead th")).map(th => th.textContent);
    for (const r of rows) {
      const tr = Zyn.el("tr");
      r.forEach((c, i) => {
        const td = Zyn.el("td", c);
        if (labels[i]) td.dataset.label = labels[i];
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
  }

  function showSnapshot(s) {
    document.getElementById("mode").textContent = s.mode;
    document.getElementById("as-of").textContent = s.as_of || "";
    document.getElementById("source").textContent = s.source || "";
    const pnl = Object.assign({}, s.pnl || {}, { equity_usd: s.equity_usd });
    document.querySelectorAll("#pnl td[data-k]").forEach(td => { td.textContent = fmt(pnl[td.dataset.k]); });
    fill("balances", Object.entries(s.balances || {}).map(([asset, amount]) => [asset, fmtAmount(asset, amount)]),
      "none", 2);
    fill("positions", (s.positions || []).map(p => [p.trade_id == null ? p.pair : `${p.pair} #${p.trade_id} ${p.origin || ""}`.trim(), fmtAmount(p.pair, p.amount), fmt(p.entry_price), fmt(p.mark_price),
      fmt(p.unrealized_pnl), fmt(p.stop_price), fmt(p.take_profit_price)]), "no open positions", 7);
    fill("orders", (s.open_orders || []).map(o => [o.id, o.pair, o.side, o.type, fmt(o.price), fmtAmount(o.pair, o.amount)]),
      "no open orders", 6);
    // issue 17: live/shadow per pair with the figures behind it
    const r = x => (x === null || x === undefined) ? "–" : (x >= 0 ? "+" : "") + Number(x).toFixed(2);
    fill("evidence", Object.entries(s.evidence || {}).map(([pair, e]) => [pair,
      e.state + (e.forced ? " (forced by your rule)" : ""), String(e.trades), fmt(e.months, 0),
      e.expectancy_r === null ? "–" : r(e.expectancy_r) + "R",
      e.interval_low === null ? "–" : `${r(e.interval_low)} to ${r(e.interval_high)}`,
      e.pooled_r === null ? "–" : r(e.pooled_r) + "R"]), "evidence gate off (ZYN_EVIDENCE=off): every pair trades", 7);
  }

  function showExtra(x) {
    // The SVG is built server-side from numbers only; parse it as SVG, never as HTML.
    const doc = new DOMParser().parseFromString(x.equity_svg, "image/svg+xml");
    const svg = doc.documentElement;
    if (svg && svg.nodeName === "svg") document.getElementById("equity-chart").replaceChildren(document.importNode(svg, true));
    fill("decisions", (x.decisions || []).map(d => [d.time, d.pair, d.action, d.reason, fmt(d.price)]),
      "no decisions yet", 5);
    fill("insights", (x.insights || []).map(i => [i.title, i.text, (i.n === null || i.n === undefined) ? "–" : String(i.n)]),
      "none yet", 3);
  }

  async function refresh() {
    const err = document.getElementById("status-error");
    try {
      const [a, b] = await Promise.all([
        fetch("api/status", { headers: Zyn.headers() }),
        fetch("api/status/extra", { headers: Zyn.headers() }),
      ]);
      if (a.ok) showSnapshot(await a.json());
      if (b.ok) showExtra(await b.json());
      err.hidden = a.ok && b.ok;
      if (!err.hidden) err.textContent = "refresh failed: HTTP " + (a.ok ? b.status : a.status);
    } catch (e) {
      err.hidden = false;
      err.textContent = "Zyn is not reachable: " + e;
    }
  }
  setInterval(refresh, INTERVAL_MS);
})();
