// The order tables of the stock, portfolio and orders pages (<tbody id="open-orders"> with
// <tr data-order-id> rows whose cells carry data-field="status|filled_qty|filled_avg_price"),
// kept live from the private orders stream; "brokerage:orders" announces each message.
import { el, hideEmptyNote, showEmptyNote } from "./dom.js";
import { price } from "./format.js";
import { announce } from "./live.js";
import { bindOrderActions } from "./order_actions.js";

export const CLOSED = new Set(["filled", "canceled", "expired", "replaced", "rejected"]);
const CLOSED_ROW_MS = 2000;

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

function statusCell(cell, order) {
  cell.replaceChildren(el("span", { class: "badge status-" + order.status.replace(/_/g, "") }, order.status.replace(/_/g, " ")));
  if (order.reason) {
    const words = Object.hasOwn(REASON_WORDS, order.reason) ? REASON_WORDS[order.reason] : order.reason.replace(/_/g, " ");
    cell.append(" ", el("span", { class: "muted small" }, words));
  }
}

export class OrderTable {
  constructor(body, marketTz, onlySymbol) {
    this.body = body;
    this.marketTz = marketTz;
    this.onlySymbol = onlySymbol;
    this.loadedAt = Date.now();
    this.openOnly = body.dataset.openOnly !== undefined;
    const card = body.closest(".card");
    this.cancelAll = card && card.querySelector("[data-cancel-all]");
  }

  // Messages of different transactions may arrive out of order: never go backwards.
  update(row, order) {
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
    if (CLOSED.has(order.status)) this.closed(row);
  }

  closed(row) {
    const form = row.querySelector("form");
    if (form) form.remove();
    // A list of open orders drops a closed one, after a moment to read its last status.
    if (!this.openOnly || row.dataset.leaving) return;
    row.dataset.leaving = "true";
    setTimeout(() => {
      row.remove();
      if (!this.body.querySelector("tr[data-order-id]")) showEmptyNote(this.body, "No open orders.");
    }, CLOSED_ROW_MS);
  }

  actionsCell(order) {
    const actions = el("td");
    const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (CLOSED.has(order.status) || !csrf) return actions;
    const form = el("form", { method: "post", action: "/orders/" + order.id + "/cancel/", class: "row-actions" });
    form.append(
      el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf.value }),
      el("input", { type: "hidden", name: "next", value: window.location.pathname }),
      ...(order.type === "limit" ? [el("button", { type: "button", class: "button small", "data-modify": "" }, "Modify")] : []),
      el("button", { class: "button small danger" }, "Cancel"),
    );
    actions.append(form);
    return actions;
  }

  newRow(order) {
    const row = el("tr", { "data-order-id": order.id, "data-side": order.side, "data-limit": order.limit_price || "" });
    const link = el("a", { href: "/stocks/" + encodeURIComponent(order.symbol) + "/" });
    link.append(el("strong", {}, order.symbol));
    const symbolCell = el("td");
    symbolCell.append(link);
    const created = order.created_at ? new Date(order.created_at) : new Date();
    const when = { timeZone: this.marketTz, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
    row.append(
      el("td", {}, created.toLocaleString("en-US", when)),
      symbolCell,
      el("td", { class: order.side === "buy" ? "up" : "down" }, order.side),
      el("td", {}, order.type + " · " + order.time_in_force),
      el("td", { class: "num", "data-field": "qty" }, order.qty),
      el("td", { class: "num", "data-field": "limit_price" }, order.limit_price ? price(order.limit_price) : "market"),
      el("td", { class: "num", "data-field": "filled_qty" }),
      el("td", { class: "num", "data-field": "filled_avg_price" }),
      el("td", { "data-field": "status" }),
      this.actionsCell(order),
    );
    this.update(row, order);
    return row;
  }

  onEvent(event) {
    const order = event.order;
    if (this.onlySymbol && order.symbol !== this.onlySymbol) return;
    const row = this.body.querySelector('tr[data-order-id="' + CSS.escape(order.id) + '"]');
    if (row) {
      this.update(row, order);
    } else if (this.openOnly && CLOSED.has(order.status)) {
      return; // filled or canceled at once (an IOC, a marketable order): never open
    } else if (event.event === "new" || Date.parse(order.created_at) >= this.loadedAt - 5000) {
      // New since the page was drawn (a taker that filled at once arrives as a "fill").
      this.body.prepend(this.newRow(order));
      hideEmptyNote(this.body);
      if (this.cancelAll) this.cancelAll.hidden = false;
    }
  }
}

export function bindOrderTable(streams, body, marketTz, onlySymbol) {
  const table = new OrderTable(body, marketTz, onlySymbol);
  bindOrderActions(table);
  streams.subscribe("orders", null, (message) => {
    announce("orders", message);
    for (const event of message.events || []) table.onEvent(event);
  });
}
