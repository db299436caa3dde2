/** The demo's single HTML page: shows the session and drives the JSON API with buttons; `csrfToken` is set for a stored session. */
export function renderPage(csrfToken: string | null): string {
	return PAGE_HEAD + (csrfToken === null ? "" : logoutForm(csrfToken)) + PAGE_TAIL;
}

/** A plain HTML form (works without JavaScript), so it carries the synchronizer token. */
function logoutForm(token: string): string {
	// The token is base64url: no character needs escaping inside an attribute.
	return `<form method="post" action="/form/logout" id="logout-form">
  <input type="hidden" name="_csrf" value="${token}">
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
body { font: 15px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
pre { background: #f4f4f4; padding: 1rem; border-radius: 6px; overflow-x: auto; }
button { margin: 0 .4rem .4rem 0; padding: .35rem .8rem; }
input { padding: .3rem; }
#error { color: #b00020; min-height: 1.5em; }
</style>
</head>
<body>
<h1>sess demo</h1>
<p>Your browser holds one HttpOnly <code>__Host-sid</code> cookie: a signed ID for a server-side session, or, in sealed mode, the session itself, encrypted.</p>
<section>
  <input id="userId" value="alice" aria-label="user id">
  <button id="login">Log in</button>
  <button id="promote">Promote to admin</button>
  <button id="logout">Log out</button>
</section>
<section>
  <button id="cart">Add item to cart</button>
  <input id="message" value="Hello from the last request" aria-label="flash message">
  <button id="flash">Set flash</button>
</section>
<section>
  <button id="refresh">Reload session</button>
  <button id="sessions">My sessions</button>
  <button id="revoke">Log out other devices</button>
</section>
<p id="error" role="alert"></p>
`;

const PAGE_TAIL = `
<h2>Session</h2>
<p id="bound"></p>
<pre id="session">loading…</pre>
<h2>Sessions of this user</h2>
<pre id="list">–</pre>
<script>
const $ = (id) => document.getElementById(id);
// report=false for the re-read after an action, so it does not wipe that action's error message.
async function call(method, path, body, report = true) {
  const res = await fetch(path, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => null);
  if (report) $("error").textContent = res.ok ? "" : res.status + ": " + (data && data.error || res.statusText);
  return { ok: res.ok, data };
}
async function refresh() {
  const { data } = await call("GET", "/api/session", undefined, false);
  $("session").textContent = JSON.stringify(data, null, 2);
  $("bound").textContent = data && data.bound ? "Device-bound: this session only works in the browser that holds its key (DBSC)." : "Not device-bound.";
}
async function act(method, path, body) { await call(method, path, body); await refresh(); }
$("login").onclick = () => act("POST", "/api/login", { userId: $("userId").value });
$("promote").onclick = () => act("POST", "/api/promote");
$("logout").onclick = () => act("POST", "/api/logout");
$("cart").onclick = () => act("POST", "/api/cart", { item: Math.floor(Math.random() * 100) });
$("flash").onclick = () => act("POST", "/api/flash", { message: $("message").value });
$("refresh").onclick = refresh;
$("sessions").onclick = async () => { const { data } = await call("GET", "/api/sessions"); $("list").textContent = JSON.stringify(data, null, 2); };
$("revoke").onclick = async () => { const { data } = await call("POST", "/api/sessions/revoke-others"); $("list").textContent = JSON.stringify(data, null, 2); };
refresh();
</script>
</body>
</html>
`;
