// Binds the live streams to the pages: the stock page's book, trades and reference price
// (live_stock.js), the markets page's quotes (live_quotes.js) and the order tables of the
// stock, portfolio and orders pages (order_table.js), all on the page's one socket. <body> gets
// data-stream="connecting|live|offline" (and #live-book too) so the page, and its tests, can
// tell whether it is live; each stream message is announced as a "brokerage:<name>" DOM event.
import { shared } from "./streams.js";
import { announce } from "./live.js";
import { bindStockLive } from "./live_stock.js";
import { bindQuoteCells } from "./live_quotes.js";
import { bindOrderTable } from "./order_table.js";

export function bindLivePages() {
  if (!window.WebSocket) return;
  const bookSection = document.getElementById("live-book");
  const ordersBody = document.getElementById("open-orders");
  // The markets page: tiles and table rows carrying data-symbol, with price and change cells.
  const quoteNodes = document.querySelectorAll("[data-live-quotes] [data-symbol]");
  if (!bookSection && !ordersBody && !quoteNodes.length) return;

  const streams = shared();
  streams.onStatus((status) => {
    document.body.dataset.stream = status;
    announce("status", status);
  });
  // Times show in market time, as the server renders them, whatever the browser's zone.
  const marketTz = document.body.dataset.marketTz || undefined;
  if (bookSection) bindStockLive(streams, bookSection, marketTz);
  if (quoteNodes.length) bindQuoteCells(streams, quoteNodes);
  if (ordersBody) bindOrderTable(streams, ordersBody, marketTz, bookSection ? bookSection.dataset.symbol : null);
}
