// Shared by the chat and status pages. The optional WEB_CHAT_TOKEN travels in the HttpOnly
// sign-in cookie (POST /login), which same-origin fetches send by themselves; never in the URL.
"use strict";
const Zyn = (() => {
  function headers(extra) {
    return Object.assign({}, extra || {});
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function table(rows) {
    const t = el("table");
    for (const r of rows) {
      const tr = el("tr");
      for (const c of r) tr.appendChild(el("td", c));
      t.appendChild(tr);
    }
    return t;
  }
  // A reply's table with its column names: a header row, and each cell labelled with its column so
  // a phone-width page can show one card per row ("Exit: 4,011.4") instead of clipping columns.
  function columnTable(columns, rows) {
    const t = el("table", null, "columns");
    const head = el("thead"), hr = el("tr");
    for (const c of columns) hr.appendChild(el("th", c));
    head.appendChild(hr);
    t.appendChild(head);
    const body = el("tbody");
    for (const r of rows) {
      const tr = el("tr");
      r.forEach((c, i) => {
        const td = el("td", c);
        if (columns[i]) td.setAttribute("data-label", columns[i]);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
    t.appendChild(body);
    return t;
  }
  return { headers, el, table, columnTable };
})();
