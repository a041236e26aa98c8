// Binds the live streams (streams.js) to the pages: the stock page's book, trades and
// reference price, and the order tables of the stock, portfolio and orders pages.
//
// DOM contract: <section id="live-book" data-symbol data-depth> holding <tbody id="book-asks">,
// <tbody id="book-bids">, <tbody id="trades-body">, [data-live-price], [data-live-change],
// [data-book-seq]; <tbody id="open-orders"> with <tr data-order-id> rows whose cells carry
// data-field="status|filled_qty|filled_avg_price". The section gets data-stream="connecting|
// live|offline" so the page (and its tests) can tell whether it is live.
(function () {
  "use strict";
  if (!window.BrokerageStreams || !window.WebSocket) return;

  const bookSection = document.getElementById("live-book");
  const ordersBody = document.getElementById("open-orders");
  // The markets page: tiles and table rows carrying data-symbol, with price and change cells.
  const quoteNodes = document.querySelectorAll("[data-live-quotes] [data-symbol]");
  if (!bookSection && !ordersBody && !quoteNodes.length) return;

  const streams = window.BrokerageStreams.shared();
  // The page bundles (static/dist/) share this one socket and hear the streams as DOM events.
  window.BrokerageLive = { streams: streams };
  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent("brokerage:" + name, { detail: detail }));
  }
  streams.onStatus((status) => {
    document.body.dataset.stream = status;
    announce("status", status);
  });
  const TRADE_ROWS = 20;
  const CLOSED = new Set(["filled", "canceled", "expired", "replaced", "rejected"]);
  // Why an order left the book, as trading.models.ORDER_REASON_WORDS says it.
  const REASON_WORDS = {
    user_requested: "by you",
    staff_requested: "by staff",
    day_order_expired: "the day ended",
    ioc_remainder: "immediate or cancel: the rest could not fill at once",
    market_remainder: "the rest found no price inside today's band",
    self_trade_prevention: "it would have traded with your own order",
    replaced: "replaced by a new order",
  };

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // Prices arrive as decimal strings ("101.0000"); shown with two decimals, more only if the
  // price has them (a sub-cent tick), never through floating point.
  function price(value) {
    if (value === null || value === undefined || value === "") return "";
    const [whole, frac = ""] = String(value).split(".");
    const trimmed = frac.replace(/0+$/, "");
    return whole + "." + (trimmed.length > 2 ? trimmed : (trimmed + "00").slice(0, 2));
  }

  // Times show in market time, as the server renders them, whatever the browser's zone.
  const marketTz = document.body.dataset.marketTz || undefined;

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("en-GB", { timeZone: marketTz, hour12: false });
  }

  function hideEmptyNote(node) {
    const card = node.closest(".card") || node.parentElement;
    const note = card && card.querySelector(".empty-note");
    if (note) note.remove();
  }

  function showEmptyNote(node, text) {
    const card = node.closest(".card") || node.parentElement;
    if (!card || card.querySelector(".empty-note")) return;
    card.append(el("p", { class: "muted empty-note" }, text));
  }

  // ------------------------------------------------------------------ the stock page
  if (bookSection) {
    const symbol = bookSection.dataset.symbol;
    const shown = parseInt(bookSection.dataset.depth, 10) || 10;
    const asks = document.getElementById("book-asks");
    const bids = document.getElementById("book-bids");
    const tradesBody = document.getElementById("trades-body");
    const seqLabel = bookSection.querySelector("[data-book-seq]");

    streams.onStatus((status) => {
      bookSection.dataset.stream = status;
    });

    function levelRow(level, side) {
      const row = el("tr", { class: side === "sell" ? "ask" : "bid", "data-price": level.price });
      row.append(
        el("td", { class: "num " + (side === "sell" ? "down" : "up") }, price(level.price)),
        el("td", { class: "num" }, level.qty),
        el("td", { class: "num" }),
        el("td", { class: "num" }, level.orders === null ? "" : String(level.orders)),
      );
      return row;
    }

    streams.subscribe(
      "book",
      symbol,
      (book) => {
        // Asks are listed highest first so that the best ask sits just above the spread.
        const askRows = book.levels("sell", shown).reverse().map((l) => levelRow(l, "sell"));
        const bidRows = book.levels("buy", shown).map((l) => levelRow(l, "buy"));
        if (asks) asks.replaceChildren(...askRows);
        if (bids) bids.replaceChildren(...bidRows);
        if (seqLabel) seqLabel.textContent = String(book.seq); // for tests and bots, not shown
        bookSection.dataset.bookSeq = String(book.seq);
        announce("book", book);
      },
      // Ask for more than is shown, so that levels leaving the top are replaced from memory.
      { depth: Math.max(50, shown * 5), display: shown },
    );

    function tradeRow(trade) {
      const auction = trade.auction_id !== null && trade.auction_id !== undefined;
      const row = el("tr", { "data-trade-seq": trade.seq, class: auction ? "auction-print" : null });
      const time = el("td", {}, clock(trade.time));
      if (auction) {
        // An auction's close prints on the tape like a trade: marked so it is not read as one.
        time.append(" ", el("span", { class: "badge auction", title: "The close of auction " + trade.auction_id }, "auction"));
      }
      row.append(
        time,
        el("td", { class: "num " + (trade.maker_side === "sell" ? "up" : "down") }, price(trade.price)),
        el("td", { class: "num" }, trade.qty),
      );
      return row;
    }

    if (tradesBody) {
      streams.subscribe("trades", symbol, (message) => {
        if (message.kind === "snapshot") {
          tradesBody.replaceChildren(...message.trades.slice(0, TRADE_ROWS).map(tradeRow));
        } else {
          for (const trade of message.trades) tradesBody.prepend(tradeRow(trade));
          while (tradesBody.rows.length > TRADE_ROWS) tradesBody.deleteRow(-1);
        }
        if (tradesBody.rows.length) hideEmptyNote(tradesBody);
        announce("trades", message);
      });
    }

    const priceNode = document.querySelector("[data-live-price]");
    const changeNode = document.querySelector("[data-live-change]");
    streams.subscribe("quotes", symbol, (quote) => {
      announce("quote", quote);
      if (priceNode && quote.price) priceNode.textContent = price(quote.price);
      if (changeNode && quote.change !== null && quote.change !== undefined) {
        const up = Number(quote.change) > 0;
        const down = Number(quote.change) < 0;
        const sign = up ? "+" : "";
        changeNode.className = up ? "up" : down ? "down" : "";
        changeNode.textContent =
          sign + price(quote.change) + (quote.change_pct ? " (" + sign + quote.change_pct + "%)" : "");
      }
    });
  }

  // ------------------------------------------------------------------ markets page
  if (quoteNodes.length) {
    const bySymbol = new Map();
    for (const node of quoteNodes) {
      const list = bySymbol.get(node.dataset.symbol) || [];
      list.push(node);
      bySymbol.set(node.dataset.symbol, list);
    }
    // The server allows 50 subscriptions a socket: the first 40 symbols on the page go live.
    for (const [symbol, nodes] of [...bySymbol].slice(0, 40)) {
      streams.subscribe("quotes", symbol, (quote) => {
        announce("quote", quote);
        for (const node of nodes) {
          const priceCell = node.querySelector("[data-field=price]");
          const changeCell = node.querySelector("[data-field=change]");
          if (priceCell && quote.price && priceCell.textContent !== price(quote.price)) {
            priceCell.textContent = price(quote.price);
            priceCell.classList.remove("flash");
            void priceCell.offsetWidth; // restart the flash animation
            priceCell.classList.add("flash");
          }
          // A halt (or a resume) shows as it happens: the table's status cell, the tile's badge.
          if (quote.status) {
            const halted = quote.status === "halted";
            const statusCell = node.querySelector("[data-field=status]");
            if (statusCell && statusCell.dataset.status !== quote.status) {
              statusCell.dataset.status = quote.status;
              statusCell.replaceChildren(el("span", { class: "badge " + (halted ? "warn" : "ok") }, halted ? "halted" : "active"));
            }
            const haltBadge = node.querySelector("[data-field=halt]");
            if (haltBadge) haltBadge.hidden = !halted;
            node.dataset.halted = String(halted);
          }
          if (changeCell && quote.change !== null && quote.change !== undefined) {
            const change = Number(quote.change);
            const sign = change > 0 ? "+" : "";
            changeCell.textContent =
              sign + price(quote.change) + (quote.change_pct ? " (" + sign + quote.change_pct + "%)" : "");
            changeCell.classList.toggle("up", change > 0);
            changeCell.classList.toggle("down", change < 0);
          }
        }
      });
    }
  }

  // ------------------------------------------------------------------ order tables
  if (ordersBody) {
    const onlySymbol = bookSection ? bookSection.dataset.symbol : null;
    const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    const loadedAt = Date.now();
    const openOnly = ordersBody.dataset.openOnly !== undefined;
    const CLOSED_ROW_MS = 2000;

    function statusCell(cell, order) {
      cell.replaceChildren(
        el("span", { class: "badge status-" + order.status.replace(/_/g, "") }, order.status.replace(/_/g, " ")),
      );
      if (order.reason) {
        const words = REASON_WORDS[order.reason] || order.reason.replace(/_/g, " ");
        cell.append(" ", el("span", { class: "muted small" }, words));
      }
    }

    function update(row, order) {
      // Messages of different transactions may arrive out of order: never go backwards.
      const seen = row.dataset.updatedAt;
      if (seen && order.updated_at && order.updated_at < seen) return;
      if (order.updated_at) row.dataset.updatedAt = order.updated_at;
      const status = row.querySelector("[data-field=status]");
      const filled = row.querySelector("[data-field=filled_qty]");
      const avg = row.querySelector("[data-field=filled_avg_price]");
      if (status) statusCell(status, order);
      if (filled) filled.textContent = order.filled_qty;
      if (avg) avg.textContent = price(order.filled_avg_price);
      row.dataset.open = String(!CLOSED.has(order.status));
      if (CLOSED.has(order.status)) {
        const form = row.querySelector("form");
        if (form) form.remove();
        // A list of open orders drops a closed one, after a moment to read its last status.
        if (openOnly && !row.dataset.leaving) {
          row.dataset.leaving = "true";
          setTimeout(() => {
            row.remove();
            if (!ordersBody.querySelector("tr[data-order-id]")) showEmptyNote(ordersBody, "No open orders.");
          }, CLOSED_ROW_MS);
        }
      }
    }

    function newRow(order) {
      const row = el("tr", {
        "data-order-id": order.id,
        "data-side": order.side,
        "data-limit": order.limit_price || "",
      });
      const link = el("a", { href: "/stocks/" + encodeURIComponent(order.symbol) + "/" });
      link.append(el("strong", {}, order.symbol));
      const symbolCell = el("td");
      symbolCell.append(link);
      const status = el("td", { "data-field": "status" });
      const actions = el("td");
      if (!CLOSED.has(order.status) && csrf) {
        const form = el("form", { method: "post", action: "/orders/" + order.id + "/cancel/", class: "row-actions" });
        form.append(
          el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf.value }),
          el("input", { type: "hidden", name: "next", value: window.location.pathname }),
          ...(order.type === "limit" ? [el("button", { type: "button", class: "button small", "data-modify": "" }, "Modify")] : []),
          el("button", { class: "button small danger" }, "Cancel"),
        );
        actions.append(form);
      }
      const created = order.created_at ? new Date(order.created_at) : new Date();
      row.append(
        el("td", {}, created.toLocaleString("en-US", { timeZone: marketTz, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false })),
        symbolCell,
        el("td", { class: order.side === "buy" ? "up" : "down" }, order.side),
        el("td", {}, order.type + " · " + order.time_in_force),
        el("td", { class: "num", "data-field": "qty" }, order.qty),
        el("td", { class: "num", "data-field": "limit_price" }, order.limit_price ? price(order.limit_price) : "market"),
        el("td", { class: "num", "data-field": "filled_qty" }),
        el("td", { class: "num", "data-field": "filled_avg_price" }),
        status,
        actions,
      );
      update(row, order);
      return row;
    }

    // Modify an open limit order in place: its quantity and price become fields; Save replaces
    // it over the API (a new order takes its place: the stream drops the old row, adds the new).
    ordersBody.addEventListener("click", (event) => {
      const button = event.target.closest("[data-modify]");
      const row = button && button.closest("tr[data-order-id]");
      if (!row || row.dataset.editing) return;
      row.dataset.editing = "true";
      const qtyCell = row.querySelector("[data-field=qty]");
      const limitCell = row.querySelector("[data-field=limit_price]");
      const before = [qtyCell.textContent, limitCell.textContent];
      const qty = el("input", { class: "inline-input", inputmode: "numeric", "aria-label": "New quantity", value: before[0].trim() });
      const limit = el("input", { class: "inline-input", inputmode: "decimal", "aria-label": "New limit price", value: before[1].trim() });
      qtyCell.replaceChildren(qty);
      limitCell.replaceChildren(limit);
      const save = el("button", { type: "button", class: "button small primary", "data-modify-save": "" }, "Save");
      const keep = el("button", { type: "button", class: "button small" }, "Keep");
      const box = el("span", { class: "modify-box" });
      box.append(save, keep);
      button.replaceWith(box);
      qty.focus();
      const done = () => {
        delete row.dataset.editing;
        qtyCell.textContent = before[0];
        limitCell.textContent = before[1];
        box.replaceWith(button);
      };
      keep.addEventListener("click", done);
      save.addEventListener("click", () => {
        save.disabled = true;
        const token = document.querySelector("input[name=csrfmiddlewaretoken]");
        fetch("/api/v1/orders/" + encodeURIComponent(row.dataset.orderId), {
          method: "PATCH",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
          body: JSON.stringify({ qty: qty.value.trim(), limit_price: limit.value.trim() }),
        })
          .then((response) => response.json().catch(() => null).then((body) => ({ ok: response.ok, status: response.status, body: body })))
          .catch(() => ({ ok: false, status: 0, body: null }))
          .then((answer) => {
            if (answer.ok) {
              done();
              const avg = row.querySelector("[data-field=filled_avg_price]");
              update(row, {
                status: "replaced",
                reason: "replaced",
                filled_qty: row.querySelector("[data-field=filled_qty]").textContent,
                filled_avg_price: avg && avg.textContent ? avg.textContent : null,
              });
              return;
            }
            save.disabled = false;
            let note = row.querySelector("[data-cancel-error]");
            if (!note) {
              note = el("span", { class: "error small", "data-cancel-error": "", role: "alert" });
              box.after(note);
            }
            note.textContent = answer.status === 0
              ? "No connection to the server: nothing was changed."
              : (answer.body && answer.body.message) || "The order could not be changed.";
          });
      });
    });

    // Cancel all, after asking: one request; each row follows the answer (and the stream).
    const cancelAll = ordersBody.closest(".card") && ordersBody.closest(".card").querySelector("[data-cancel-all]");
    if (cancelAll) {
      cancelAll.addEventListener("click", () => {
        const open = ordersBody.querySelectorAll("tr[data-open=true]").length;
        if (!open || !window.confirm(`Cancel all ${open} open order${open === 1 ? "" : "s"}?`)) return;
        cancelAll.disabled = true;
        const token = document.querySelector("input[name=csrfmiddlewaretoken]");
        fetch("/api/v1/orders", {
          method: "DELETE",
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
        })
          .then((response) => response.json())
          .then((answers) => {
            for (const answer of answers) {
              const row = ordersBody.querySelector('tr[data-order-id="' + CSS.escape(answer.id) + '"]');
              if (row && answer.body) update(row, answer.body);
            }
          })
          .catch(() => {})
          .finally(() => {
            cancelAll.disabled = false;
          });
      });
    }

    // Cancel in place over the API: no reload, the scroll and the focus stay. The row follows
    // the answer at once and the stream's update after it (never backwards: updated_at).
    ordersBody.addEventListener("submit", (event) => {
      const form = event.target.closest("form");
      const row = form && form.closest("tr[data-order-id]");
      if (!row || !/\/cancel\/$/.test(form.getAttribute("action") || "")) return;
      event.preventDefault();
      const button = form.querySelector("button");
      if (button) button.disabled = true;
      const token = form.querySelector("input[name=csrfmiddlewaretoken]");
      fetch("/api/v1/orders/" + encodeURIComponent(row.dataset.orderId), {
        method: "DELETE",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      })
        .then((response) => response.json().catch(() => null).then((body) => ({ ok: response.ok, status: response.status, body: body })))
        .catch(() => ({ ok: false, status: 0, body: null }))
        .then((answer) => {
          if (answer.ok) {
            // 204: canceled. The row says so now; the stream's message (with the time) follows.
            const cell = (field) => row.querySelector("[data-field=" + field + "]");
            const filled = cell("filled_qty");
            const avg = cell("filled_avg_price");
            update(row, {
              status: "canceled",
              reason: "user_requested",
              filled_qty: filled ? filled.textContent : "0",
              filled_avg_price: avg && avg.textContent ? avg.textContent : null,
            });
            return;
          }
          if (button) button.disabled = false;
          const words = answer.status === 0
            ? "No connection to the server: nothing was canceled."
            : answer.status === 429
              ? "Too many requests: wait a moment and try again."
              : (answer.body && answer.body.message) || "The order could not be canceled.";
          let note = row.querySelector("[data-cancel-error]");
          if (!note) {
            note = el("span", { class: "error small", "data-cancel-error": "", role: "alert" });
            form.after(note);
          }
          note.textContent = words;
        });
    });

    streams.subscribe("orders", null, (message) => {
      announce("orders", message);
      for (const event of message.events || []) {
        const order = event.order;
        if (onlySymbol && order.symbol !== onlySymbol) continue;
        const row = ordersBody.querySelector('tr[data-order-id="' + CSS.escape(order.id) + '"]');
        if (row) {
          update(row, order);
        } else if (openOnly && CLOSED.has(order.status)) {
          continue; // filled or canceled at once (an IOC, a marketable order): never open
        } else if (event.event === "new" || Date.parse(order.created_at) >= loadedAt - 5000) {
          // New since the page was drawn (a taker that filled at once arrives as a "fill").
          ordersBody.prepend(newRow(order));
          hideEmptyNote(ordersBody);
          if (cancelAll) cancelAll.hidden = false;
        }
      }
    });
  }
})();
