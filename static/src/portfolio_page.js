// The portfolio: the equity curve from the ledgers, the connection badge, and the figures and
// positions kept live: whatever the private stream says happened to the user's orders or bids
// (a fill, a new order holding cash, a cancel releasing it, an auction won or lost), the page
// swaps in the server's fresh figures and positions at once.
import "./live_start.js"; // first: the socket and the live tables, before this page's code
import { equityChart } from "./chart.js";
import { equityPoints } from "./candles.js";
import { api, bindConnectionBadges, toast, on } from "./live.js";
import { orderToast } from "./ticket_math.js";
import { bindNotices } from "./notices.js";

bindConnectionBadges();

const box = document.getElementById("equity-chart");
if (box) {
  api("GET", box.dataset.source).then(({ ok, body }) => {
    if (!ok || !body) {
      box.textContent = "The equity curve could not be loaded.";
      return;
    }
    const points = equityPoints(body.points);
    equityChart(box, points);
    box.dataset.points = String(points.length);
    box.dataset.state = "drawn";
  });
}

on("orders", (message) => {
  for (const event of message.events || []) {
    const t = orderToast(event);
    if (t) toast(t.text, t.kind);
  }
  refreshFigures();
});

// One request at a time; messages arriving meanwhile ask for one more afterwards.
const stats = document.getElementById("portfolio-stats");
let inFlight = false;
let again = false;
async function refreshFigures() {
  if (!stats) return;
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  try {
    const response = await fetch(stats.dataset.source, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (response.ok) {
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const id of ["portfolio-stats", "portfolio-positions"]) {
        const now = document.getElementById(id);
        const next = fresh.getElementById(id);
        if (now && next) now.replaceWith(document.adoptNode(next));
      }
    }
  } catch (e) {
    // Offline for a moment: the next message (or the reconnect's snapshot) refreshes again.
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      refreshFigures();
    }
  }
}

bindNotices();
