// Shared by the chat and status pages: the optional WEB_CHAT_TOKEN travels as a Bearer header.
"use strict";
const Zyn = (() => {
  const params = new URLSearchParams(location.search);
  if (params.get("token")) sessionStorage.setItem("zyn-token", params.get("token"));
  const token = sessionStorage.getItem("zyn-token") || "";
  function headers(extra) {
    const h = Object.assign({}, extra || {});
    if (token) h.Authorization = "Bearer " + token;
    return h;
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
  return { headers, el, table, token };
})();
