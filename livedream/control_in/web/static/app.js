// livedream's control page: faders built from the parameter table, commands over a websocket as OSC-style
// JSON ({address, args}); the server validates them and sends back the values in force (and 0..1 positions).
"use strict";

const STEPS = 1000; // fader resolution
const token = new URLSearchParams(location.search).get("token");
const query = token ? `?token=${encodeURIComponent(token)}` : "";
const faders = {}; // name -> {param, input, value, off}
let socket = null;
let outbox = new Map(); // address -> args: the newest per address, sent once per animation frame
let flushing = false;

function send(address, args = []) {
  outbox.set(address, args);
  if (!flushing) {
    flushing = true;
    requestAnimationFrame(flush);
  }
}

function flush() {
  flushing = false;
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  for (const [address, args] of outbox) socket.send(JSON.stringify({ address, args }));
  outbox = new Map();
}

function label(name) {
  return name.replace(/_s$/, " (s)").replace(/_/g, " ");
}

function show(value, param) {
  if (value === null || value === undefined) return "off";
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") {
    const text = Number.isInteger(value) ? String(value) : value.toPrecision(3).replace(/\.?0+$/, "");
    return param.unit ? `${text} ${param.unit}` : text;
  }
  return String(value);
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function build(table) {
  const groups = document.getElementById("groups");
  groups.replaceChildren();
  for (const group of table.groups) {
    const section = el("section", { "data-group": group.name });
    section.append(el("h2", {}, group.name));
    for (const p of group.params) section.append(paramRow(p));
    groups.append(section);
  }
  const presets = document.getElementById("presets");
  presets.replaceChildren();
  for (const name of table.presets) {
    const b = el("button", { "data-preset": name }, name);
    b.addEventListener("click", () => send("/livedream/preset", [name]));
    presets.append(b);
  }
}

function paramRow(p) {
  const row = el("div", { class: "param", title: p.help });
  const id = `p-${p.name}`;
  row.append(el("label", { for: id }, label(p.name)));
  const value = el("span", { class: "value", "data-value": p.name }, "");
  row.append(value);
  const control = el("div", { class: "control" });
  const f = { param: p, value, input: null, off: null, held: 0 };
  if (p.kind === "bool") {
    const b = el("button", { id, class: "toggle", "data-param": p.name }, "off");
    b.addEventListener("click", () => send(`/livedream/${p.name}`, [!b.classList.contains("on")]));
    f.input = b;
    row.classList.add("switch");
    value.replaceWith(b); // the button shows the state: no separate value text
    faders[p.name] = f;
    f.value = { set textContent(_) {} };
    return row;
  } else if (!p.fader) {
    const t = el("input", { id, type: "text", "data-param": p.name, placeholder: "e.g. 1,2,3 (empty: random)" });
    t.addEventListener("change", () => send(`/livedream/${p.name}`, t.value.trim() ? [t.value] : []));
    t.addEventListener("focus", () => (f.held = Infinity));
    t.addEventListener("blur", () => (f.held = performance.now() + 500));
    f.input = t;
  } else {
    const r = el("input", { id, type: "range", min: 0, max: STEPS, step: 1, "data-param": p.name });
    r.addEventListener("input", () => {
      f.held = performance.now() + 800; // the server's echo must not pull the fader from under a finger
      if (f.off) f.off.checked = false;
      send(`/livedream/norm/${p.name}`, [Number(r.value) / STEPS]);
    });
    f.input = r;
    if (p.nullable) {
      const box = el("input", { type: "checkbox", "data-off": p.name });
      box.addEventListener("change", () => {
        if (box.checked) send(`/livedream/${p.name}`, [null]);
        else send(`/livedream/norm/${p.name}`, [Number(r.value) / STEPS]);
      });
      const off = el("label", { class: "off" });
      off.append(box, " off");
      f.off = box;
      control.append(r, off);
    }
  }
  if (!control.childElementCount) control.append(f.input);
  row.append(control);
  faders[p.name] = f;
  return row;
}

function applyValues(msg) {
  const now = performance.now();
  for (const [name, value] of Object.entries(msg.params)) {
    const f = faders[name];
    if (!f) continue;
    f.value.textContent = show(value, f.param);
    if (f.held > now) continue;
    if (f.param.kind === "bool") {
      f.input.classList.toggle("on", !!value);
      f.input.textContent = value ? "on" : "off";
    } else if (f.input.type === "text") {
      f.input.value = Array.isArray(value) ? value.join(",") : "";
    } else {
      const norm = msg.norm[name];
      if (norm !== null && norm !== undefined) f.input.value = String(Math.round(norm * STEPS));
      if (f.off) f.off.checked = value === null;
    }
  }
  const s = msg.state;
  for (const key of ["freeze", "blackout"]) document.getElementById(key).classList.toggle("on", !!s[key]);
  document.getElementById("preset-now").textContent = s.preset ? `· ${s.preset}` : "";
  for (const b of document.querySelectorAll("[data-preset]")) b.classList.toggle("on", b.dataset.preset === s.preset);
}

let shownLevel = 0; // the bar falls back slowly after a hit, as a peak meter does

function applyMeter(m) {
  const db = m.level > 1e-6 ? 20 * Math.log10(m.level) : -120;
  const level = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
  shownLevel = Math.max(level, shownLevel * 0.85);
  document.getElementById("level-bar").style.width = `${shownLevel.toFixed(1)}%`;
  const bpm = m.tap_bpm || m.tempo_bpm;
  document.getElementById("tempo").textContent = bpm ? `${bpm.toFixed(1)} BPM` : "-- BPM";
  document.getElementById("beat").classList.toggle("on", bpm > 0 && m.beat_phase < 0.2);
  document.getElementById("fps").textContent = `${(m.fps || 0).toFixed(0)} fps`;
}

function connect() {
  const status = document.getElementById("status");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws${query}`);
  socket.addEventListener("open", () => {
    status.textContent = "live";
    status.classList.add("ok");
    flush();
  });
  socket.addEventListener("close", () => {
    status.textContent = "reconnecting";
    status.classList.remove("ok");
    setTimeout(connect, 1000);
  });
  socket.addEventListener("message", (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === "values") applyValues(msg);
    else if (msg.type === "meter") applyMeter(msg);
    else if (msg.type === "refused") document.getElementById("refused").textContent = msg.error;
  });
}

function wireActions() {
  for (const id of ["tap", "reseed"]) {
    document.getElementById(id).addEventListener("click", () => send(`/livedream/${id}`, [1]));
  }
  for (const id of ["freeze", "blackout"]) {
    const b = document.getElementById(id);
    b.addEventListener("click", () => send(`/livedream/${id}`, [!b.classList.contains("on")]));
  }
}

async function start() {
  wireActions();
  const response = await fetch(`/api/table${query}`);
  if (!response.ok) {
    document.getElementById("status").textContent = response.status === 403 ? "needs the token from the URL" : "error";
    return;
  }
  build(await response.json());
  connect();
}

start();
