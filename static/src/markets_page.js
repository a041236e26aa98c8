// The markets page: sortable columns (the server draws each row's sparkline), and
// today's volume, high and low kept live from the trades and quotes streams.
import "./live_start.js"; // first: the socket and the live tables, before this page's code
import { sortRows } from "./table_sort.js";
import { on } from "./live.js";
import { Client } from "./streams.js";
import { dayFromPage, dayFromSnapshot, foldTrades, foldQuote, volumeText } from "./day_figures.js";
import { price } from "./format.js";
import { bindNotices } from "./notices.js";

const table = document.querySelector("table.stocks");
if (table) {
  const body = table.tBodies[0];
  for (const [index, th] of [...table.tHead.rows[0].cells].entries()) {
    if (!th.dataset.sort) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = th.textContent;
    th.textContent = "";
    th.append(button);
    th.setAttribute("aria-sort", "none");
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      for (const other of table.tHead.rows[0].cells) if (other.dataset.sort) other.setAttribute("aria-sort", "none");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const rows = [...body.rows].filter((r) => r.dataset.symbol);
      const key = (row) => {
        const cell = row.cells[index];
        return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
      };
      body.replaceChildren(...sortRows(rows, key, th.dataset.sort, ascending));
    });
  }
}

// Sparklines are drawn by the server (marketdata.views.sparkline): no request per row, so
// browsing never spends the session's request budget that orders need.

// Live day figures. The quotes ride the page's socket (live_pages.js, up to 40 symbols); the
// trades ride a second one, as a socket takes 50 subscriptions.
const figureNodes = new Map(); // symbol -> the rows and tiles showing it
for (const node of document.querySelectorAll("[data-live-quotes] [data-symbol]")) {
  if (!node.querySelector("[data-field=volume]")) continue;
  const list = figureNodes.get(node.dataset.symbol) || [];
  list.push(node);
  figureNodes.set(node.dataset.symbol, list);
}
const days = new Map();
for (const [symbol, nodes] of figureNodes) {
  const value = (field) => ((nodes[0].querySelector(`[data-field=${field}]`) || {}).dataset || {}).value;
  days.set(symbol, dayFromPage({ volume: value("volume"), high: value("day_high"), low: value("day_low") }));
}

function paint(symbol, flashVolume) {
  const day = days.get(symbol);
  for (const node of figureNodes.get(symbol) || []) {
    for (const [field, text, raw] of [
      ["day_high", day.high === null ? "—" : price(day.high), day.high],
      ["day_low", day.low === null ? "—" : price(day.low), day.low],
      ["volume", volumeText(day.volume), day.volume],
    ]) {
      const cell = node.querySelector(`[data-field=${field}]`);
      if (!cell) continue;
      cell.dataset.value = raw === null ? "" : String(raw);
      if (cell.textContent === text) continue;
      cell.textContent = text;
      if (field === "volume" && flashVolume) {
        cell.classList.remove("flash");
        void cell.offsetWidth; // restart the flash animation
        cell.classList.add("flash");
      }
    }
    if (day.seq !== null) node.dataset.tradeSeq = String(day.seq);
  }
}

on("quote", (quote) => {
  const day = days.get(quote.symbol);
  if (day && foldQuote(day, quote)) paint(quote.symbol, false);
});

if (window.WebSocket && figureNodes.size) {
  const tape = new Client();
  for (const symbol of [...figureNodes.keys()].slice(0, 40)) {
    tape.subscribe("trades", symbol, (message) => {
      if (message.kind === "snapshot") {
        const day = dayFromSnapshot(message);
        // The reference range seen since the page loaded still counts.
        const before = days.get(symbol);
        foldQuote(day, { day_high: before.high, day_low: before.low });
        days.set(symbol, day);
        paint(symbol, false);
      } else if (foldTrades(days.get(symbol), message)) {
        paint(symbol, true);
      }
    });
  }
}

// Type-ahead: suggestions as you type (symbol and name); picking one opens its page.
const search = document.querySelector("input[data-suggest]");
const suggestions = document.getElementById("stock-suggestions");
if (search && suggestions) {
  let timer = null;
  let asked = 0;
  const known = new Set();
  // A suggestion picked from the list: straight to its stock page.
  search.addEventListener("change", () => {
    const value = search.value.trim();
    if (known.has(value)) window.location.assign("/stocks/" + encodeURIComponent(value) + "/");
  });
  search.addEventListener("input", () => {
    const value = search.value.trim();
    clearTimeout(timer);
    if (!value) return;
    timer = setTimeout(async () => {
      const mine = ++asked;
      const response = await fetch(search.dataset.suggest + "?q=" + encodeURIComponent(value), { headers: { Accept: "application/json" } });
      if (!response.ok || mine !== asked) return;
      const { results } = await response.json();
      known.clear();
      suggestions.replaceChildren(
        ...results.map((s) => {
          known.add(s.symbol);
          const option = document.createElement("option");
          option.value = s.symbol;
          option.label = s.name;
          return option;
        }),
      );
      search.dataset.suggested = String(results.length);
    }, 150);
  });
}

bindNotices();
