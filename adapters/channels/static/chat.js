// Chat page: POST /api/chat, render the structured reply with textContent only (no HTML injection).
"use strict";
(() => {
  const list = document.getElementById("messages");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("message");

  function add(li) { list.appendChild(li); li.scrollIntoView({ block: "end" }); return li; }

  function renderReply(data) {
    const li = Zyn.el("li", null, "zyn kind-" + (data.kind || "text"));
    if (data.title) li.appendChild(Zyn.el("strong", data.title + "\n"));
    li.appendChild(Zyn.el("span", data.text !== undefined ? data.text : data.reply, "text"));
    const columns = data.columns || [];
    if (columns.length && data.rows && data.rows.length > 1) li.appendChild(Zyn.columnTable(columns, data.rows.slice(1)));
    else if (data.rows && data.rows.length) li.appendChild(Zyn.table(data.rows));
    if (data.image_png) {
      const img = Zyn.el("img");
      img.src = "data:image/png;base64," + data.image_png;
      img.alt = data.title || "chart";
      li.appendChild(img);
    }
    if ((data.buttons || []).length) {
      const row = Zyn.el("div", null, "buttons");
      for (const label of data.buttons) {
        const b = Zyn.el("button", label);
        b.type = "button";
        b.addEventListener("click", () => { row.querySelectorAll("button").forEach(x => x.disabled = true); send(label); });
        row.appendChild(b);
      }
      li.appendChild(row);
    }
    return add(li);
  }

  async function send(text) {
    add(Zyn.el("li", text, "me"));
    try {
      const resp = await fetch("api/chat", {
        method: "POST",
        headers: Zyn.headers({ "Content-Type": "application/json" }),
        body: JSON.stringify({ message: text }),
      });
      const data = await resp.json().catch(() => ({ error: "HTTP " + resp.status }));
      if (!resp.ok) add(Zyn.el("li", data.error || "HTTP " + resp.status, "zyn kind-error"));
      else renderReply(data);
    } catch (err) {
      add(Zyn.el("li", "Zyn is not reachable: " + err, "zyn kind-error"));
    }
  }

  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
})();
