import { test } from "node:test";
import assert from "node:assert/strict";
import { plainRefusal } from "./refusals.js";

// The refusals as the API sends them (trading/services/parsing.py, orders.py, auctions.py).
const refusal = (code, message, fields = {}) => ({ code, message, fields });
const words = (error) => plainRefusal(error).text;

test("quantities are refused in the ticket's own words, on the quantity field", () => {
  const positive = refusal("invalid_qty", "qty must be positive.", { qty: ["Must be positive."] });
  assert.deepEqual(plainRefusal(positive), { field: "qty", text: "Quantity must be positive." });
  assert.equal(words(refusal("invalid_qty", "qty must be a number.", { qty: ["Not a number."] })), "Quantity must be a whole number of shares.");
  assert.equal(words(refusal("invalid_qty", "qty must be a whole number of shares.", { qty: ["Whole shares only."] })), "Quantity must be a whole number of shares.");
  assert.equal(
    words(refusal("invalid_qty", "qty must be a multiple of the lot size 10.", { qty: ["Multiple of 10."] })),
    "Quantity must be a multiple of the lot (10 shares).",
  );
});

test("prices name the band and the tick in dollars, two decimals", () => {
  const band = refusal(
    "price_outside_band",
    "limit_price must be between 90.0000 and 110.0000 (±10% of the reference price).",
    { limit_price: ["Between 90.0000 and 110.0000."] },
  );
  assert.deepEqual(plainRefusal(band), {
    field: "limit_price",
    text: "The limit price must be between $90.00 and $110.00 (within 10% of the reference price).",
  });
  assert.equal(
    words(refusal("invalid_price", "limit_price must be a multiple of the tick size 0.05.", { limit_price: ["Multiple of 0.05."] })),
    "Prices move in steps of $0.05.",
  );
  assert.equal(words(refusal("limit_price_required", "A limit order needs a limit_price.", { limit_price: ["Required."] })), "Enter a limit price.");
});

test("money and holdings refusals say how much", () => {
  assert.equal(
    words(refusal("insufficient_buying_power", "Insufficient buying power: this needs 1013.51, you have 500.00 available.")),
    "Not enough buying power: this order needs $1,013.51 and you have $500.00.",
  );
  assert.equal(
    words(refusal("insufficient_qty", "Insufficient shares: you have 5 ACME available to sell.", { qty: ["At most 5."] })),
    "You have 5 shares free to sell (shares in open sell orders are held).",
  );
});

test("auction bids are refused in words too", () => {
  const low = refusal("bid_too_low", "The minimum bid is 101.5000.", { max_price: ["The minimum bid is 101.5000."], min_next_bid: ["101.5000"] });
  assert.deepEqual(plainRefusal(low), { field: "max_price", text: "The lowest bid now is $101.50 a share." });
  assert.equal(
    words(refusal("invalid_price", "max_price must be a multiple of the tick size 0.01.", { max_price: ["Multiple of 0.01."] })),
    "Prices move in steps of $0.01.",
  );
});

test("a refusal the table does not know loses its field names and extra decimals", () => {
  assert.equal(words(refusal("something_new", "qty must be below 12.5000")), "Quantity must be below 12.50.");
  assert.equal(words(refusal("invalid_request", "qty: A valid number is required.", { qty: ["A valid number is required."] })), "Quantity must be a whole number of shares.");
  assert.equal(words(null), "The order could not be placed. Try again.");
  assert.equal(words(refusal("network", "No connection")), "No connection to the server: nothing was sent.");
});

test("the server's plain messages and hints (core/words.py) read the same, thousands grouped", () => {
  const band = refusal(
    "price_outside_band",
    "The limit price must be between $1,090.00 and $1,210.50 (within 10% of the reference price).",
    { limit_price: ["Between $1,090.00 and $1,210.50."] },
  );
  assert.equal(words(band), band.message);
  const cash = refusal("insufficient_buying_power", "Not enough buying power: this needs $1,013.51 and you have $500.00.");
  assert.equal(words(cash), "Not enough buying power: this order needs $1,013.51 and you have $500.00.");
  const low = refusal("bid_too_low", "The lowest bid now is $95.25 a share.", { max_price: ["The lowest bid now is $95.25 a share."], min_next_bid: ["95.25"] });
  assert.equal(words(low), low.message);
  const lead = refusal("bid_not_higher", "You already lead with a maximum of $1,101.50: a new maximum must be higher.");
  assert.equal(words(lead), lead.message);
  const tick = refusal("invalid_price", "Prices move in steps of $0.05.", { limit_price: ["Multiple of 0.05."] });
  assert.equal(words(tick), tick.message);
  const lot = refusal("invalid_qty", "Quantity must be a multiple of the lot (10 shares).", { qty: ["Multiple of 10."] });
  assert.equal(words(lot), lot.message);
});

test("a code the table does not know shows the server's sentence as it is", () => {
  const done = refusal("order_not_cancelable", "The order is filled and can no longer be canceled.");
  assert.equal(words(done), done.message);
});

test("a 429 says too many requests, not orders (browsing may have spent it)", () => {
  assert.deepEqual(plainRefusal({ code: "rate_limited", message: "Request was throttled." }), {
    field: null,
    text: "Too many requests: wait a moment and try again.",
  });
});
