// The stock page's live tables: the book (<section id="live-book" data-symbol data-depth> with
// <tbody id="book-asks"> and <tbody id="book-bids">), the tape (<tbody id="trades-body">) and
// the reference price ([data-live-price], [data-live-change]). Each is announced as a DOM event
// ("brokerage:book", "brokerage:trades", "brokerage:quote") for the page's own code.
import { el, hideEmptyNote } from "./dom.js";
import { price, sign, signedPrice, clock } from "./format.js";
import { announce } from "./live.js";

const TRADE_ROWS = 20;

function levelRow(level, side, tick) {
  const row = el("tr", { class: side === "sell" ? "ask" : "bid", "data-price": level.price });
  row.append(
    el("td", { class: "num " + (side === "sell" ? "down" : "up") }, price(level.price, tick)),
    el("td", { class: "num" }, level.qty),
    el("td", { class: "num" }),
    el("td", { class: "num" }, level.orders === null ? "" : String(level.orders)),
  );
  return row;
}

function tradeRow(trade, tick, marketTz) {
  const auction = trade.auction_id !== null && trade.auction_id !== undefined;
  const row = el("tr", { "data-trade-seq": trade.seq, class: auction ? "auction-print" : null });
  const time = el("td", {}, clock(trade.time, marketTz));
  if (auction) {
    // An auction's close prints on the tape like a trade: marked so it is not read as one.
    time.append(" ", el("span", { class: "badge auction", title: "The close of auction " + trade.auction_id }, "auction"));
  }
  row.append(
    time,
    el("td", { class: "num " + (trade.maker_side === "sell" ? "up" : "down") }, price(trade.price, tick)),
    el("td", { class: "num" }, trade.qty),
  );
  return row;
}

function bindBook(streams, section, tick) {
  const shown = parseInt(section.dataset.depth, 10) || 10;
  const asks = document.getElementById("book-asks");
  const bids = document.getElementById("book-bids");
  const seqLabel = section.querySelector("[data-book-seq]");
  streams.subscribe(
    "book",
    section.dataset.symbol,
    (book) => {
      // Asks are listed highest first so that the best ask sits just above the spread.
      const askRows = book.levels("sell", shown).reverse().map((l) => levelRow(l, "sell", tick));
      const bidRows = book.levels("buy", shown).map((l) => levelRow(l, "buy", tick));
      if (asks) asks.replaceChildren(...askRows);
      if (bids) bids.replaceChildren(...bidRows);
      if (seqLabel) seqLabel.textContent = String(book.seq); // for tests and bots, not shown
      section.dataset.bookSeq = String(book.seq);
      announce("book", book);
    },
    // Ask for more than is shown, so that levels leaving the top are replaced from memory.
    { depth: Math.max(50, shown * 5), display: shown },
  );
}

function bindTape(streams, symbol, tick, marketTz) {
  const tradesBody = document.getElementById("trades-body");
  if (!tradesBody) return;
  const row = (trade) => tradeRow(trade, tick, marketTz);
  streams.subscribe("trades", symbol, (message) => {
    if (message.kind === "snapshot") {
      tradesBody.replaceChildren(...message.trades.slice(0, TRADE_ROWS).map(row));
    } else {
      for (const trade of message.trades) tradesBody.prepend(row(trade));
      while (tradesBody.rows.length > TRADE_ROWS) tradesBody.deleteRow(-1);
    }
    if (tradesBody.rows.length) hideEmptyNote(tradesBody);
    announce("trades", message);
  });
}

// "+1.25 (+1.2%)": a change with its sign, and the server's percentage beside it.
export function changeText(quote, tick) {
  const plus = sign(quote.change) > 0 ? "+" : "";
  return signedPrice(quote.change, tick) + (quote.change_pct ? " (" + plus + quote.change_pct + "%)" : "");
}

function bindQuote(streams, symbol, tick) {
  const priceNode = document.querySelector("[data-live-price]");
  const changeNode = document.querySelector("[data-live-change]");
  streams.subscribe("quotes", symbol, (quote) => {
    announce("quote", quote);
    if (priceNode && quote.price) priceNode.textContent = price(quote.price, tick);
    if (changeNode && quote.change !== null && quote.change !== undefined) {
      const direction = sign(quote.change);
      changeNode.className = direction > 0 ? "up" : direction < 0 ? "down" : "";
      changeNode.textContent = changeText(quote, tick);
    }
  });
}

export function bindStockLive(streams, section, marketTz) {
  const symbol = section.dataset.symbol;
  const strip = document.querySelector(".quote-strip");
  const tick = strip ? strip.dataset.tick : undefined;
  streams.onStatus((status) => {
    section.dataset.stream = status;
  });
  bindBook(streams, section, tick);
  bindTape(streams, symbol, tick, marketTz);
  bindQuote(streams, symbol, tick);
}
