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
  return { headers, el, table };
})();
