// Shared page pieces: the one socket (opened by live_pages.js), stream events, toasts, the
// connection badge and the API with the session's CSRF token.
import { opened } from "./streams.js";

// The page's socket, if live_pages.js opened one (null on a page with nothing live).
export function streams() {
  return opened();
}

// The streams as DOM events ("brokerage:book", "brokerage:quote", ...): live_pages.js announces
// what it hears; the page's own code listens with on().
export function announce(name, detail) {
  document.dispatchEvent(new CustomEvent("brokerage:" + name, { detail }));
}

export function on(name, handler) {
  document.addEventListener("brokerage:" + name, (event) => handler(event.detail));
}

export const marketTz = () => document.body.dataset.marketTz || "America/New_York";

// live / reconnecting / offline, from the client's connecting / live / offline.
export function connectionLabel(status, wasLive) {
  if (status === "live") return "live";
  if (wasLive) return "reconnecting…";
  return status === "offline" ? "offline" : "connecting…";
}

export function bindConnectionBadges() {
  const badges = document.querySelectorAll("[data-connection]");
  if (!badges.length) return;
  let wasLive = false;
  let lostAt = null;
  const paint = (status) => {
    if (status === "live") {
      wasLive = true;
      lostAt = null;
    } else if (lostAt === null) {
      lostAt = Date.now();
    }
    // After half a minute without the server, say so plainly.
    const long = lostAt !== null && Date.now() - lostAt > 30000;
    const state = status === "live" ? "live" : long ? "offline" : wasLive ? "reconnecting" : "connecting";
    for (const badge of badges) {
      badge.dataset.connection = state;
      badge.textContent = long ? "offline: prices may be out of date" : connectionLabel(status, wasLive);
      badge.title = status === "live" ? "Updates arrive as they happen" : "Not connected: what you see may be out of date";
    }
  };
  on("status", paint);
  const client = streams();
  if (client) paint(client.status);
  else paint("offline");
}

export function toast(text, kind = "info") {
  let box = document.getElementById("toasts");
  if (!box) {
    box = document.createElement("div");
    box.id = "toasts";
    box.className = "toasts";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  const node = document.createElement("div");
  node.className = "toast " + kind;
  node.textContent = text;
  box.append(node);
  setTimeout(() => node.classList.add("leaving"), 5000);
  setTimeout(() => node.remove(), 5600);
  return node;
}

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// fetch with the session cookie and CSRF header; resolves {ok, status, body}.
export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    return { ok: false, status: 0, body: { code: "network", message: "No connection to the server: nothing was sent." } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = null;
  }
  return { ok: response.ok, status: response.status, body: data };
}

export function startEtClock() {
  const nodes = document.querySelectorAll("[data-et-clock]");
  if (!nodes.length) return;
  const tick = () => {
    const text = new Date().toLocaleTimeString("en-GB", { timeZone: marketTz(), hour12: false });
    for (const node of nodes) node.textContent = text;
  };
  tick();
  setInterval(tick, 1000);
}
