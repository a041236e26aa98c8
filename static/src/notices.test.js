import { test } from "node:test";
import assert from "node:assert/strict";
import { bumpBell, notificationsIn } from "./notices.js";

const fill = { trade_seq: 1, side: "buy", price: "100.0000", qty: "1", fee: null, liquidity: "taker", time: "t" };

test("an alert that fired is one notification; an orders message one per order that filled", () => {
  assert.equal(notificationsIn({ type: "alert.fired", alert_id: 3 }), 1);
  const orders = {
    type: "orders",
    events: [
      { event: "new", order: {}, fills: [] },
      { event: "fill", order: {}, fills: [fill, fill] },
      { event: "partial_fill", order: {}, fills: [fill] },
    ],
  };
  assert.equal(notificationsIn(orders), 2);
  assert.equal(notificationsIn({ type: "auction.standing", event: "outbid" }), 0);
  assert.equal(notificationsIn({ type: "orders", events: [{ event: "canceled", order: {}, fills: [] }] }), 0);
});

test("the bell counts up from what the page was rendered with and shows its badge", () => {
  const badge = { textContent: "0", hidden: true };
  const attributes = {};
  const classes = new Set();
  const bell = {
    dataset: { unread: "2" },
    classList: { add: (c) => classes.add(c) },
    setAttribute: (k, v) => (attributes[k] = v),
    querySelector: () => badge,
  };
  bumpBell(bell, 0);
  assert.equal(bell.dataset.unread, "2");
  bumpBell(bell, 3);
  assert.equal(bell.dataset.unread, "5");
  assert.equal(badge.textContent, "5");
  assert.equal(badge.hidden, false);
  assert.ok(classes.has("has-unread"));
  assert.equal(attributes["aria-label"], "Notifications, 5 unread");
});
