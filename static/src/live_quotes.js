// The markets page's tiles and table rows ([data-live-quotes] [data-symbol]): price, change and
// halts kept live from the quotes stream, announced as "brokerage:quote" for the page's code.
import { el } from "./dom.js";
import { price, sign } from "./format.js";
import { announce } from "./live.js";
import { changeText } from "./live_stock.js";

// The server allows 50 subscriptions a socket: the first 40 symbols on the page go live.
const LIVE_SYMBOLS = 40;

function flash(cell) {
  cell.classList.remove("flash");
  void cell.offsetWidth; // restart the flash animation
  cell.classList.add("flash");
}

// A halt (or a resume) shows as it happens: the table's status cell, the tile's badge.
function showStatus(node, status) {
  const halted = status === "halted";
  const statusCell = node.querySelector("[data-field=status]");
  if (statusCell && statusCell.dataset.status !== status) {
    statusCell.dataset.status = status;
    statusCell.replaceChildren(el("span", { class: "badge " + (halted ? "warn" : "ok") }, halted ? "halted" : "active"));
  }
  const haltBadge = node.querySelector("[data-field=halt]");
  if (haltBadge) haltBadge.hidden = !halted;
  node.dataset.halted = String(halted);
}

function paintQuote(node, quote) {
  const priceCell = node.querySelector("[data-field=price]");
  const changeCell = node.querySelector("[data-field=change]");
  if (priceCell && quote.price && priceCell.textContent !== price(quote.price)) {
    priceCell.textContent = price(quote.price);
    flash(priceCell);
  }
  if (quote.status) showStatus(node, quote.status);
  if (changeCell && quote.change !== null && quote.change !== undefined) {
    const direction = sign(quote.change);
    changeCell.textContent = changeText(quote);
    changeCell.classList.toggle("up", direction > 0);
    changeCell.classList.toggle("down", direction < 0);
  }
}

export function bindQuoteCells(streams, quoteNodes) {
  const bySymbol = new Map();
  for (const node of quoteNodes) {
    const list = bySymbol.get(node.dataset.symbol) || [];
    list.push(node);
    bySymbol.set(node.dataset.symbol, list);
  }
  for (const [symbol, nodes] of [...bySymbol].slice(0, LIVE_SYMBOLS)) {
    streams.subscribe("quotes", symbol, (quote) => {
      announce("quote", quote);
      for (const node of nodes) paintQuote(node, quote);
    });
  }
}
