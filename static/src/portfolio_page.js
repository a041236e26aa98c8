// The portfolio: the equity curve from the ledgers, the connection badge, and the figures and
// positions kept live: whatever the private stream says happened to the user's orders or bids
// (a fill, a new order holding cash, a cancel releasing it, an auction won or lost), the page
// swaps in the server's fresh figures and positions at once; and when anyone's trade or a
// reference price moves a stock held (portfolio_live.js), the same fresh figures follow.
import "./live_start.js"; // first: the socket and the live tables, before this page's code
import { equityChart } from "./chart.js";
import { equityPoints } from "./candles.js";
import { api, bindConnectionBadges, streams, toast, on } from "./live.js";
import { followHoldings } from "./portfolio_live.js";
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
      if (syncHoldings) syncHoldings(); // a position opened or closed: follow its stock or stop
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

// The market moving a stock held: at most one refresh every MARKET_GAP_MS, so a busy book
// costs a few requests a second at most, and the figures are never more than that behind.
const MARKET_GAP_MS = 250;
let lastMarketRefresh = 0;
let marketTimer = null;
function marketMoved() {
  if (marketTimer) return;
  const wait = Math.max(0, lastMarketRefresh + MARKET_GAP_MS - Date.now());
  marketTimer = setTimeout(() => {
    marketTimer = null;
    lastMarketRefresh = Date.now();
    refreshFigures();
  }, wait);
}

const client = streams();
const syncHoldings = client && stats ? followHoldings(client, () => document.querySelectorAll("#positions tr[data-symbol]"), marketMoved) : null;

bindNotices();
