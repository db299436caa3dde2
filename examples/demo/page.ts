/** The demo's single HTML page: shows the session as a person reads it and drives the JSON API with buttons; `csrfToken` is set for a stored session. */
export function renderPage(csrfToken: string | null): string {
	return PAGE_HEAD + (csrfToken === null ? "" : logoutForm(csrfToken)) + PAGE_TAIL;
}

/** Text made safe to put into HTML, in content or in a quoted attribute. */
export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A plain HTML form (works without JavaScript), so it carries the synchronizer token. */
function logoutForm(token: string): string {
	return `<form method="post" action="/form/logout" id="logout-form">
  <input type="hidden" name="_csrf" value="${escapeHtml(token)}">
  <button type="submit">Log out (HTML form)</button>
</form>
`;
}

const PAGE_HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sess demo</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
button { margin: 0 .4rem .4rem 0; padding: .35rem .8rem; }
input { padding: .3rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
#error { color: #b00020; min-height: 1.5em; }
#status { background: #fff6d5; padding: .4rem .7rem; border-radius: 6px; }
#status:empty { display: none; }
#timeline li, #devices li { margin-bottom: .3rem; }
.rel { color: #555; }
.this-device { background: #e3f1e3; border-radius: 4px; padding: 0 .3rem; }
</style>
</head>
<body>
<h1>sess demo</h1>
<p>Your browser holds one HttpOnly <code>__Host-sid</code> cookie: a signed ID for a server-side session, or, in sealed mode, the session itself, encrypted.</p>
<section>
  <input id="userId" value="alice" aria-label="user id">
  <button type="button" id="login">Log in</button>
  <button type="button" id="promote">Promote to admin</button>
  <button type="button" id="logout">Log out</button>
</section>
<section>
  <button type="button" id="cart">Add item to cart</button>
  <input id="message" value="Hello from the last request" aria-label="flash message">
  <button type="button" id="flash">Set flash</button>
  <button type="button" id="refresh">Reload session</button>
</section>
<p id="error" role="alert"></p>
`;

// The script builds every piece of HTML with esc(): user ids, device descriptions and labels come from users.
const PAGE_TAIL = `
<section aria-labelledby="session-heading">
<h2 id="session-heading">Your session</h2>
<p id="status" role="status" aria-live="polite"></p>
<dl>
  <dt>Signed in as</dt><dd id="user">…</dd>
  <dt>Role</dt><dd id="role">…</dd>
  <dt>Cart</dt><dd id="cart-items">…</dd>
  <dt>Theme</dt><dd id="theme">…</dd>
</dl>
<p id="flash-message"></p>
<p id="bound"></p>
<h3>Timeline</h3>
<ul id="timeline"><li>Nothing stored yet.</li></ul>
</section>
<section aria-labelledby="devices-heading" id="devices-section" hidden>
<h2 id="devices-heading">Your devices</h2>
<ul id="devices"></ul>
<button type="button" id="revoke-others">Sign out everywhere else</button>
</section>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
}
const pad = (n) => String(n).padStart(2, "0");
/** A time as HH:MM:SS in the browser's time zone, inside <time datetime> for machines and screen readers. */
function timeTag(iso) {
  const d = new Date(iso);
  return '<time datetime="' + esc(iso) + '">' + esc(pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds())) + "</time>";
}
function span(ms) {
  let s = Math.max(0, Math.round(ms / 1000));
  const parts = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (s >= size) { parts.push(Math.floor(s / size) + unit); s %= size; }
  }
  if (s > 0 || parts.length === 0) parts.push(s + "s");
  return parts.slice(0, 2).join(" ");
}

let shown = null;      // the last session view drawn
let skew = 0;          // server clock minus this browser's clock
let pending = null;    // the action whose re-read is next: "login", "promote" or "logout"
let checkedEnd = null; // the deadline already re-checked, so a passed deadline costs one request
const serverNow = () => Date.now() + skew;

async function call(method, path, body, report = true) {
  const res = await fetch(path, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = null; }
  if (report) $("error").textContent = res.ok ? "" : describeError(res, data, text);
  return { ok: res.ok, status: res.status, data };
}
/** A refusal as a sentence: the server's message, not its JSON. */
function describeError(res, data, text) {
  if (res.status === 409 && data && data.error === "session_limit") return "Sign-in refused: " + data.message;
  const message = data && (data.message || data.error) || text.trim() || res.statusText;
  return res.status + ": " + message;
}

/** What changed between two views, as one sentence (HTML), or null. */
function whatHappened(before, after, action) {
  const at = new Date(serverNow()).toISOString();
  if (action === "logout") return before && before.timeline ? "Signed out at " + timeTag(at) + "." : null;
  if (action === "login" && after.userId !== null) {
    return "Signed in as " + esc(after.userId) + (after.timeline ? "; a new session ID was issued at " + timeTag(after.timeline.rotated) + " (a login never keeps the old one)." : ".");
  }
  if (before === null || !before.timeline) return null;
  if (!after.timeline) {
    const t = before.timeline;
    if (serverNow() >= Date.parse(t.absoluteExpires)) return "Session expired (absolute lifetime) at " + timeTag(t.absoluteExpires) + ".";
    if (serverNow() >= Date.parse(t.idleExpires)) return "Session expired (idle) at " + timeTag(t.idleExpires) + ".";
    if (before.userId !== null) return "This device was signed out from another device (noticed at " + timeTag(at) + ").";
    return "The session ended (noticed at " + timeTag(at) + ").";
  }
  if (after.timeline.rotated !== before.timeline.rotated) {
    if (action === "promote") return "Role changed to " + esc(after.role) + "; a new session ID was issued at " + timeTag(after.timeline.rotated) + ".";
    return "Session ID rotated at " + timeTag(after.timeline.rotated) + ".";
  }
  return null;
}

function drawSummary(v) {
  $("user").textContent = v.userId === null ? "nobody (not signed in)" : v.userId;
  $("role").textContent = v.role;
  $("cart-items").textContent = v.cart.length === 0 ? "empty" : v.cart.length + (v.cart.length === 1 ? " item: " : " items: ") + v.cart.join(", ");
  $("theme").textContent = v.theme === null ? "not chosen" : v.theme;
  $("flash-message").textContent = v.flash === null ? "" : "Message from an earlier request: " + v.flash;
  $("bound").textContent = v.bound ? "Device-bound: this session only works in the browser that holds its key (DBSC)." : "Not device-bound.";
}

/** The timeline with each time relative to now; redrawn every second. */
function drawTimeline() {
  const v = shown;
  if (v === null) return;
  if (!v.timeline) {
    $("timeline").innerHTML = "<li>Nothing stored yet: no session until something is saved (logging in, adding to the cart).</li>";
    return;
  }
  const t = v.timeline;
  const now = serverNow();
  const rel = (iso) => {
    const d = Date.parse(iso) - now;
    return d >= 0 ? "in " + span(d) : span(-d) + " ago";
  };
  const row = (key, label, iso, note) => '<li data-step="' + key + '">' + esc(label) + ": " + timeTag(iso) + ' <span class="rel">' + esc(note) + "</span></li>";
  const ends = (iso) => (Date.parse(iso) <= now ? "passed" : rel(iso));
  const rows = [
    row("created", "Created", t.created, rel(t.created)),
    row("last-seen", "Last seen", t.lastSeen, rel(t.lastSeen)),
    row("idle", "Idle deadline", t.idleExpires, ends(t.idleExpires) + " (each request moves it later)"),
    row("absolute", "Absolute deadline", t.absoluteExpires, ends(t.absoluteExpires) + " (never moves; a login restarts it)"),
  ];
  if (t.nextRotation === null) rows.push('<li data-step="rotation">Next rotation: none; the session ends first.</li>');
  else rows.push(row("rotation", "Next rotation", t.nextRotation, Date.parse(t.nextRotation) <= now ? "due: on the next request" : rel(t.nextRotation)));
  $("timeline").innerHTML = rows.join("");
  // A passed deadline is re-checked once, so the page says what happened without a click.
  const end = Math.min(Date.parse(t.idleExpires), Date.parse(t.absoluteExpires));
  if (now >= end + 250 && checkedEnd !== end) {
    checkedEnd = end;
    refresh();
  }
}

/** The devices list, or null when nobody is signed in (the API answers 401). */
async function readDevices() {
  const { ok, data } = await call("GET", "/api/sessions", undefined, false);
  return ok && Array.isArray(data) ? data : null;
}

function drawDevices(v, devices) {
  const section = $("devices-section");
  if (v.userId === null || devices === null) { section.hidden = true; $("devices").innerHTML = ""; return; }
  section.hidden = false;
  $("devices").innerHTML = devices.map((d) => {
    const name = (d.device || "Unknown device") + (d.label ? " (" + d.label + ")" : "");
    const mark = d.current ? ' <strong class="this-device">this device</strong>' : "";
    const button = d.current ? "" : ' <button type="button" class="sign-out" data-handle="' + esc(d.handle) + '" aria-label="Sign out ' + esc(name) + '">Sign out</button>';
    // This device's last-seen time from the session read, which came after the list and may have moved it.
    const lastSeen = d.current && v.timeline ? v.timeline.lastSeen : d.lastSeen;
    return '<li class="device' + (d.current ? " current" : "") + '"><span class="name">' + esc(name) + "</span>" + mark +
      " · signed in " + timeTag(d.created) + " · last seen " + timeTag(lastSeen) + button + "</li>";
  }).join("");
}

async function refresh() {
  // Devices first, the session last: the session read then shows whatever those requests did (a rotation, a touch).
  const devices = await readDevices();
  const { ok, data } = await call("GET", "/api/session", undefined, false);
  if (!ok || data === null) return;
  const action = pending;
  pending = null;
  if (data.timeline) skew = Date.parse(data.timeline.now) - Date.now();
  const said = whatHappened(shown, data, action);
  if (said !== null) $("status").innerHTML = said;
  shown = data;
  drawSummary(data);
  drawTimeline();
  drawDevices(data, devices);
}
async function act(method, path, body, action = null) {
  const result = await call(method, path, body);
  pending = result.ok ? action : null;
  await refresh();
  return result;
}

$("login").onclick = () => act("POST", "/api/login", { userId: $("userId").value }, "login");
$("promote").onclick = () => act("POST", "/api/promote", undefined, "promote");
$("logout").onclick = () => act("POST", "/api/logout", undefined, "logout");
$("cart").onclick = () => act("POST", "/api/cart", { item: Math.floor(Math.random() * 100) });
$("flash").onclick = () => act("POST", "/api/flash", { message: $("message").value });
$("refresh").onclick = () => refresh();
$("revoke-others").onclick = async () => {
  const { ok, data } = await act("POST", "/api/sessions/revoke-others");
  // Sealed mode signs the other cookies out without knowing them, so it counts none.
  if (ok) $("status").textContent = data.revoked === 0 ? "Every other device is signed out." : "Signed out " + data.revoked + " other device" + (data.revoked === 1 ? "" : "s") + ".";
};
$("devices").onclick = async (event) => {
  const button = event.target.closest("button.sign-out");
  if (button === null) return;
  const { ok } = await act("POST", "/api/sessions/revoke", { handle: button.dataset.handle });
  if (ok) $("status").textContent = "Signed out one other device.";
};
setInterval(drawTimeline, 1000);
refresh();
</script>
</body>
</html>
`;
