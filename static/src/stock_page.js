// The stock page: the chart, the quote strip, the book's depth and the order ticket, all live.
import "./live_start.js"; // first: the socket and the live tables, before this page's code
import { priceChart } from "./chart.js";
import { toBar, applyTrade, applyCandle } from "./candles.js";
import { DEFAULT_RANGE, candlesUrl, isRange, rangeQuery } from "./chart_range.js";
import { withDepth, depthOf, topOfBook } from "./book_view.js";
import { price, money, onTick } from "./format.js";
import { estimate, maxQty, validate, orderToast } from "./ticket_math.js";
import { plainRefusal } from "./refusals.js";
import { streams, on, toast, api, bindConnectionBadges, startEtClock } from "./live.js";
import { bindNotices } from "./notices.js";

const $ = (selector, root = document) => root.querySelector(selector);
const strip = $(".quote-strip");
const tick = strip ? strip.dataset.tick : "0.01";
const lot = strip ? Number(strip.dataset.lot) || 1 : 1;
const top = { bid: null, ask: null };

bindConnectionBadges();
startEtClock();

// ------------------------------------------------------------------ quote strip and book
function setText(selector, text) {
  const node = $(selector);
  if (node && node.textContent !== text) node.textContent = text;
}

const mine = { buy: new Set(), sell: new Set() }; // prices (as numbers' strings) of own open orders
function rememberOwnOrders() {
  mine.buy.clear();
  mine.sell.clear();
  for (const row of document.querySelectorAll("#open-orders tr[data-order-id]")) {
    if (row.dataset.open !== "true" || !row.dataset.limit) continue;
    mine[row.dataset.side].add(Number(row.dataset.limit).toFixed(4));
  }
}

function decorateBook() {
  const asks = [...document.querySelectorAll("#book-asks tr")].reverse(); // best first
  const bids = [...document.querySelectorAll("#book-bids tr")];
  const level = (row) => ({ price: row.dataset.price, qty: row.cells[1].textContent, row });
  const askLevels = asks.map(level);
  const bidLevels = bids.map(level);
  const deepest = depthOf(bidLevels, askLevels);
  for (const [levels, side] of [[askLevels, "sell"], [bidLevels, "buy"]]) {
    for (const l of withDepth(levels, deepest)) {
      l.row.cells[2].textContent = String(l.total);
      l.row.style.setProperty("--depth", l.width + "%");
      l.row.tabIndex = 0;
      l.row.setAttribute("role", "button");
      const own = mine[side].has(Number(l.price).toFixed(4));
      l.row.classList.toggle("mine", own);
      l.row.setAttribute(
        "aria-label",
        `${side === "sell" ? "Ask" : "Bid"} ${price(l.price)}, ${l.qty} shares${own ? ", includes your order" : ""}: put this price in the ticket`,
      );
    }
  }
  const t = topOfBook(bidLevels, askLevels);
  top.bid = t.bid;
  top.ask = t.ask;
  setText("[data-live-bid]", t.bid ? price(t.bid) : "—");
  setText("[data-live-ask]", t.ask ? price(t.ask) : "—");
  setText("[data-live-spread]", t.spread !== null ? price(t.spread, tick) : "—");
  const spreadRow = $("[data-spread-row]");
  if (spreadRow && (t.bid || t.ask)) spreadRow.textContent = t.spread !== null ? "spread " + price(t.spread, tick) : "one-sided book";
  refreshEstimate();
}

rememberOwnOrders();
decorateBook();
on("book", () => {
  decorateBook();
  refreshButton();
});

// ------------------------------------------------------------------ the chart
const chartBox = $("#price-chart");
let chart = null;
let bars = [];
// The range and bar length are kept per tab (another tab may look at another range).
let range = sessionStorage.getItem("chart.range");
if (!isRange(range)) range = DEFAULT_RANGE;
let interval = rangeQuery(range, sessionStorage.getItem("chart.interval"), Date.now()).interval;
const symbol = chartBox ? chartBox.dataset.symbol : (strip && strip.dataset.symbol) || "";

let loads = 0;
async function loadChart() {
  if (!chartBox) return;
  for (const button of document.querySelectorAll("[data-interval]")) {
    button.setAttribute("aria-pressed", String(button.dataset.interval === interval));
  }
  for (const button of document.querySelectorAll("[data-range]")) {
    button.setAttribute("aria-pressed", String(button.dataset.range === range));
  }
  const load = ++loads;
  chartBox.dataset.state = "loading";
  const { ok, body } = await api("GET", candlesUrl(symbol, range, interval, Date.now()));
  if (load !== loads) return; // a later choice is on its way
  if (!ok || !body) {
    chartBox.dataset.state = "error";
    chartBox.textContent = "The chart could not be loaded.";
    return;
  }
  bars = body.candles.map(toBar);
  if (!chart) chart = priceChart(chartBox, tick);
  chart.set(bars, interval === "1d");
  chartBox.dataset.bars = String(bars.length);
  chartBox.dataset.interval = interval;
  chartBox.dataset.range = range;
  chartBox.dataset.state = "drawn";
}

if (chartBox) {
  loadChart();
  for (const button of document.querySelectorAll("[data-interval]")) {
    button.addEventListener("click", () => {
      interval = button.dataset.interval;
      sessionStorage.setItem("chart.interval", interval);
      loadChart();
    });
  }
  for (const button of document.querySelectorAll("[data-range]")) {
    button.addEventListener("click", () => {
      range = button.dataset.range;
      interval = rangeQuery(range, null, Date.now()).interval; // the range's own bar length
      sessionStorage.setItem("chart.range", range);
      sessionStorage.setItem("chart.interval", interval);
      loadChart();
    });
  }
  const client = streams();
  if (client) {
    client.subscribe("candles", symbol, (message) => {
      if (!chart) return;
      const bar = applyCandle(bars, message, interval);
      if (bar) chart.update(bar);
    });
  }
}

on("trades", (message) => {
  const trades = message.trades || [];
  if (!trades.length) return;
  // Trades arrive oldest first in an update; the snapshot lists the newest first.
  const newest = message.kind === "snapshot" ? trades[0] : trades[trades.length - 1];
  const last = $("[data-live-last]");
  if (last) {
    last.textContent = "$" + price(newest.price);
    if (message.kind !== "snapshot") {
      last.classList.remove("flash");
      void last.offsetWidth;
      last.classList.add("flash");
    }
  }
  if (message.kind === "snapshot" || !chart) return;
  for (const trade of trades) {
    const bar = applyTrade(bars, trade, interval);
    if (bar) chart.update(bar);
  }
  chartBox.dataset.bars = String(bars.length);
});

on("quote", (quote) => {
  if (!quote.status) return;
  const halted = quote.status === "halted";
  const badge = $("[data-live-status]");
  if (badge && badge.textContent !== (halted ? "halted" : "trading")) {
    badge.textContent = halted ? "halted" : "trading";
    badge.className = "badge " + (halted ? "warn" : "ok");
    toast(halted ? `Trading in ${quote.symbol} is halted.` : `Trading in ${quote.symbol} has resumed.`, halted ? "down" : "up");
  }
  if (form) form.dataset.halted = String(halted);
  refreshButton();
});

// ------------------------------------------------------------------ the ticket
const form = $("#order-ticket");
const field = (name) => (form ? form.querySelector(`[name=${name}]`) : null);
const side = () => ((form && form.querySelector("[name=side]:checked")) || {}).value || "buy";
const holdNode = $("[data-you-hold]");
const powerNode = $("[data-buying-power]");
const account = {
  buyingPower: powerNode ? powerNode.dataset.buyingPower : "0",
  available: holdNode ? holdNode.dataset.available : "0",
};
let reviewing = false;

function refreshButton() {
  if (!form) return;
  const submit = $("[data-submit]", form);
  const market = field("type").value === "market";
  const s = side();
  submit.className = "button wide " + s;
  // A market order needs someone on the other side: with nobody there it could not fill.
  const noMarket = market && !(s === "buy" ? top.ask : top.bid);
  const note = $("[data-no-market]", form);
  if (note) note.hidden = !noMarket;
  submit.textContent =
    form.dataset.halted === "true" ? "Trading halted" : noMarket ? "No market yet: limit orders only" : market ? `Review ${s} at market` : `${s === "buy" ? "Buy" : "Sell"} limit`;
  submit.disabled = form.dataset.halted === "true" || noMarket;
  const priceField = form.querySelector("[data-field-name=limit_price]");
  if (priceField) priceField.hidden = market;
}

function refreshEstimate() {
  if (!form) return;
  const e = estimate({
    side: side(),
    type: field("type").value,
    qty: field("qty").value,
    limitPrice: field("limit_price").value,
    bestBid: top.bid,
    bestAsk: top.ask,
    feeBps: form.dataset.feeBps,
  });
  $("[data-estimate-label]", form).textContent = side() === "buy" ? "Estimated cost" : "Estimated proceeds";
  $("[data-estimate]", form).textContent = e ? money(e.total) : "—";
  const fees = $("[data-fees]", form);
  if (e && Number(form.dataset.feeBps)) fees.textContent = money(e.fees);
}

function showErrors(errors) {
  for (const node of form.querySelectorAll("[data-error-for]")) {
    const message = errors[node.dataset.errorFor] || "";
    node.textContent = message;
    node.closest(".field").classList.toggle("has-error", Boolean(message));
  }
  const general = $(".ticket-errors", form);
  general.hidden = !errors.__all__;
  general.textContent = errors.__all__ || "";
  const first = Object.keys(errors).find((k) => k !== "__all__");
  if (first && field(first)) field(first).focus();
}

function defaultPrice() {
  // A buy is priced at the best ask, a sell at the best bid, else the last trade.
  const lastText = ($("[data-live-last]") || {}).textContent || "";
  const last = lastText.replace(/[^0-9.]/g, "");
  const guess = side() === "buy" ? top.ask || top.bid || last : top.bid || top.ask || last;
  return guess ? onTick(guess, tick) : "";
}

async function refreshAccount() {
  // The list of positions, not the one position: a stock you don't hold is simply not in it
  // (no 404 in the console on every fill).
  const [acct, all] = await Promise.all([api("GET", "/api/v1/account"), api("GET", "/api/v1/positions")]);
  const held = all.ok && Array.isArray(all.body) ? all.body.find((p) => p.symbol === form.dataset.symbol) : undefined;
  const pos = { ok: Boolean(held), status: all.ok ? (held ? 200 : 404) : all.status, body: held };
  if (acct.ok && powerNode) {
    account.buyingPower = acct.body.buying_power;
    powerNode.textContent = money(acct.body.buying_power);
  }
  if (holdNode && (pos.ok || pos.status === 404)) {
    const qty = pos.ok ? pos.body.qty : "0";
    const free = pos.ok ? pos.body.qty_available : "0";
    account.available = free;
    holdNode.textContent = `${qty} share${qty === "1" ? "" : "s"} (${free} free)`;
    holdNode.dataset.qty = qty;
  }
}

let refreshTimer = null;
function refreshAccountSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshAccount, 150);
}

function setStatus(text) {
  const node = $("[data-ticket-status]", form);
  if (node) node.textContent = text;
}

function review(on) {
  reviewing = on;
  const box = $(".review", form);
  box.hidden = !on;
  $("[data-submit]", form).hidden = on;
  if (on) {
    const e = estimate({ side: side(), type: "market", qty: field("qty").value, bestBid: top.bid, bestAsk: top.ask, feeBps: form.dataset.feeBps });
    const tif = field("time_in_force");
    $("[data-review-text]", box).textContent =
      `${side() === "buy" ? "Buy" : "Sell"} ${field("qty").value} ${form.dataset.symbol} at market, ${tif.options[tif.selectedIndex].text.toLowerCase()}.` +
      (e ? ` About ${money(e.total)} at today's best ${side() === "buy" ? "ask" : "bid"}; the price may move before it fills.` : " The book is empty on that side: it may not fill.");
    $("[data-review-confirm]", box).focus();
  }
}

async function place() {
  const body = {
    symbol: form.dataset.symbol,
    side: side(),
    type: field("type").value,
    qty: field("qty").value.trim(),
    time_in_force: field("time_in_force").value,
  };
  if (body.type === "limit") body.limit_price = field("limit_price").value.trim();
  const submit = $("[data-submit]", form);
  submit.disabled = true;
  setStatus("Sending your order…");
  const { ok, body: answer } = await api("POST", "/api/v1/orders", body);
  submit.disabled = false;
  review(false);
  if (!ok) {
    const { field: fieldName, text: message } = plainRefusal(answer);
    showErrors(fieldName && field(fieldName) ? { [fieldName]: message } : { __all__: message });
    setStatus(message);
    return;
  }
  showErrors({});
  field("qty").value = "";
  refreshEstimate();
  form.dataset.lastOrder = answer.id;
  const status = answer.status.replace(/_/g, " ");
  setStatus(`Order ${status}.`);
  const client = streams();
  // With the stream live, its order update brings the toast (the same for fills by others).
  if (!client || client.status !== "live") {
    const t = orderToast({ event: "new", order: answer });
    if (t) toast(t.text, t.kind);
  }
  refreshAccountSoon();
}

if (form) {
  // The order type is remembered from one order to the next, and the time in force for each
  // type apart: a market order never inherits a limit order's "good till canceled" unseen
  // (it starts as a day order).
  const remembered = (name) => localStorage.getItem(name);
  const choose = (name, value) => {
    if (value && [...field(name).options].some((o) => o.value === value)) field(name).value = value;
  };
  const tifKey = () => "ticket.time_in_force." + field("type").value;
  choose("type", remembered("ticket.type"));
  choose("time_in_force", remembered(tifKey()) || (field("type").value === "market" ? "day" : null));
  field("type").addEventListener("change", () => {
    localStorage.setItem("ticket.type", field("type").value);
    choose("time_in_force", remembered(tifKey()) || (field("type").value === "market" ? "day" : field("time_in_force").value));
  });
  field("time_in_force").addEventListener("change", () => localStorage.setItem(tifKey(), field("time_in_force").value));
  if (!field("limit_price").value) field("limit_price").value = defaultPrice();
  form.addEventListener("input", refreshEstimate);
  form.addEventListener("change", (event) => {
    if (event.target.name === "side" && field("type").value === "limit") {
      field("limit_price").value = defaultPrice();
    }
    refreshButton();
    refreshEstimate();
  });
  $("[data-max]", form).addEventListener("click", () => {
    const unit = field("type").value === "market" ? (side() === "buy" ? top.ask : top.bid) : field("limit_price").value;
    field("qty").value = String(maxQty({ side: side(), buyingPower: account.buyingPower, available: account.available, unitPrice: unit, lot, feeBps: form.dataset.feeBps }));
    refreshEstimate();
  });
  for (const button of form.querySelectorAll("[data-fill]")) {
    button.addEventListener("click", () => {
      const p = button.dataset.fill === "bid" ? top.bid : top.ask;
      if (p) field("limit_price").value = onTick(p, tick);
      refreshEstimate();
    });
  }
  $("[data-review-back]", form).addEventListener("click", () => {
    review(false);
    field("qty").focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const errors = validate({ type: field("type").value, qty: field("qty").value, limitPrice: field("limit_price").value, tick, lot });
    showErrors(errors);
    if (Object.keys(errors).length) return;
    if (field("type").value === "market" && !reviewing) {
      review(true);
      return;
    }
    place();
  });
  refreshButton();
  refreshEstimate();

  // A click (or Enter) on a book level: buy at an ask, sell at a bid, at that price.
  const pick = (row) => {
    const isAsk = row.classList.contains("ask");
    form.querySelector(`[name=side][value=${isAsk ? "buy" : "sell"}]`).checked = true;
    field("type").value = "limit";
    field("limit_price").value = onTick(row.dataset.price, tick);
    refreshButton();
    refreshEstimate();
    field("qty").focus();
  };
  const bookTable = $("#live-book table");
  if (bookTable) {
    bookTable.addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-price]");
      if (row) pick(row);
    });
    bookTable.addEventListener("keydown", (event) => {
      const row = event.target.closest("tr[data-price]");
      if (row && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        pick(row);
      }
    });
  }
}

// Order updates: toasts (fills caused by others too), holdings and cash kept live.
on("orders", (message) => {
  if (!message.events) return;
  let mineChanged = false;
  for (const event of message.events) {
    const t = orderToast(event);
    if (t) toast(t.text, t.kind);
    mineChanged = true;
  }
  if (mineChanged) {
    // The rows were updated by live_pages.js just before this event.
    requestAnimationFrame(() => {
      rememberOwnOrders();
      decorateBook();
    });
    if (form) refreshAccountSoon();
  }
});

bindNotices();
