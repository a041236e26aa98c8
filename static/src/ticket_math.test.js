import { test } from "node:test";
import assert from "node:assert/strict";
import { estimate, maxQty, validate, humanError, orderToast } from "./ticket_math.js";

test("a limit buy costs its limit times the shares, plus fees", () => {
  const e = estimate({ side: "buy", type: "limit", qty: "10", limitPrice: "101.25", feeBps: 10 });
  assert.equal(e.notional, 1012.5);
  assert.equal(e.fees, 1.01);
  assert.equal(e.total, 1013.51);
});

test("a market order is estimated at the opposite best quote, or not at all", () => {
  assert.equal(estimate({ side: "buy", type: "market", qty: "2", bestAsk: "50.10", bestBid: "50.00" }).total, 100.2);
  assert.equal(estimate({ side: "sell", type: "market", qty: "2", bestAsk: "50.10", bestBid: "50.00" }).total, 100);
  assert.equal(estimate({ side: "buy", type: "market", qty: "2", bestAsk: null }), null);
  assert.equal(estimate({ side: "buy", type: "limit", qty: "abc", limitPrice: "1" }), null);
});

test("the max helper buys what buying power allows in whole lots, sells what is free", () => {
  assert.equal(maxQty({ side: "buy", buyingPower: "1000", unitPrice: "33" }), 30);
  assert.equal(maxQty({ side: "buy", buyingPower: "1000", unitPrice: "33", lot: 25 }), 25);
  assert.equal(maxQty({ side: "sell", available: 17 }), 17);
  assert.equal(maxQty({ side: "buy", buyingPower: "1000", unitPrice: "" }), 0);
});

test("the ticket says what is wrong in words, prices to the tick", () => {
  assert.equal(validate({ type: "limit", qty: "-3", limitPrice: "1" }).qty, "Quantity must be a whole number of shares.");
  assert.equal(validate({ type: "limit", qty: "0", limitPrice: "1" }).qty, "Quantity must be positive.");
  assert.equal(validate({ type: "limit", qty: "2.5", limitPrice: "1" }).qty, "Quantity must be a whole number of shares.");
  assert.equal(validate({ type: "limit", qty: "10", limitPrice: "101.123" }).limit_price, "Prices move in steps of $0.01: try 101.12.");
  assert.equal(validate({ type: "limit", qty: "10", limitPrice: "101.123", tick: "0.0100" }).limit_price, "Prices move in steps of $0.01: try 101.12.");
  assert.equal(validate({ type: "limit", qty: "10", limitPrice: "101.1234", tick: "0.0050" }).limit_price, "Prices move in steps of $0.005: try 101.125.");
  assert.deepEqual(validate({ type: "market", qty: "10", limitPrice: "" }), {});
  assert.equal(validate({ type: "limit", qty: "10", limitPrice: "" }).limit_price, "Enter a limit price.");
});

test("API refusals read as sentences, not field names", () => {
  assert.equal(humanError({ code: "insufficient_buying_power", message: "x" }), "Not enough buying power for this order.");
  assert.equal(
    humanError({ code: "price_outside_band", message: "limit_price must be between 90.0000 and 110.0000", fields: { limit_price: ["Between 90.0000 and 110.0000."] } }),
    "The limit price must be between $90.00 and $110.00.",
  );
  assert.equal(humanError({ code: "invalid_qty", message: "qty must be positive.", fields: { qty: ["Must be positive."] } }), "Quantity must be positive.");
});

test("order updates become toasts, fills caused by others included", () => {
  const order = { side: "buy", qty: "10", symbol: "ZBR", filled_qty: "4", filled_avg_price: "100.5", status: "partially_filled" };
  assert.equal(orderToast({ event: "fill", order }).text, "Buy 10 ZBR: 4 filled at an average $100.50, the rest is on the book.");
  assert.equal(orderToast({ event: "canceled", order: { ...order, status: "canceled" } }).text, "Buy 10 ZBR: canceled after 4 filled.");
  assert.equal(orderToast({ event: "fill", order: { ...order, status: "filled", filled_qty: "10" } }).kind, "up");
  assert.equal(
    orderToast({ event: "canceled", order: { ...order, status: "canceled", reason: "ioc_remainder" } }).text,
    "Buy 10 ZBR: canceled after 4 filled (immediate or cancel: the rest could not fill at once).",
  );
});
