// The order ticket's arithmetic and wording, free of the DOM so it can be tested.
import { plainRefusal } from "./refusals.js";
import { isOnTick, onTick, price } from "./format.js";

// What an order would cost (buy) or bring (sell), before it is sent.
// A limit order is valued at its limit; a market order at the opposite best quote, the
// only honest guess before it fills (null when that side of the book is empty).
export function estimate({ side, type, qty, limitPrice, bestBid, bestAsk, feeBps = 0 }) {
  const shares = Number(qty);
  if (!Number.isInteger(shares) || shares <= 0) return null;
  let at;
  if (type === "market") at = side === "buy" ? bestAsk : bestBid;
  else at = limitPrice;
  const unit = Number(at);
  if (at === null || at === undefined || at === "" || !Number.isFinite(unit) || unit <= 0) return null;
  const notional = Math.round(unit * shares * 100) / 100;
  const fees = Math.round(notional * Number(feeBps || 0)) / 10000;
  const feesCents = Math.round(fees * 100) / 100;
  const total = side === "buy" ? notional + feesCents : notional - feesCents;
  return { price: unit, notional, fees: feesCents, total: Math.round(total * 100) / 100 };
}

// The most shares the account can buy at `unitPrice` with `buyingPower` (whole lots), or
// sell from what it holds free.
export function maxQty({ side, buyingPower, available, unitPrice, lot = 1, feeBps = 0 }) {
  const lotSize = Math.max(1, Number(lot) || 1);
  if (side === "sell") return Math.floor(Number(available || 0) / lotSize) * lotSize;
  const unit = Number(unitPrice) * (1 + Number(feeBps || 0) / 10000);
  if (!(unit > 0)) return 0;
  const shares = Math.floor(Number(buyingPower || 0) / unit);
  return Math.floor(shares / lotSize) * lotSize;
}

// What the ticket checks before anything is sent, in words: {field: message}.
// "0.0100" -> "0.01": the tick as a trader writes it.
export function tickText(tick) {
  const [whole, frac = ""] = String(tick).split(".");
  const trimmed = frac.replace(/0+$/, "");
  return trimmed ? whole + "." + trimmed : whole;
}

export function validate({ type, qty, limitPrice, tick: rawTick = "0.01", lot = 1 }) {
  const tick = tickText(rawTick);
  const errors = {};
  const q = String(qty || "").trim();
  if (q === "") errors.qty = "Enter how many shares.";
  else if (!/^\d+$/.test(q)) errors.qty = "Quantity must be a whole number of shares.";
  else if (Number(q) <= 0) errors.qty = "Quantity must be positive.";
  else if (Number(q) % Number(lot || 1) !== 0) errors.qty = `Quantity must be a multiple of the lot (${lot} shares).`;
  if (type !== "market") {
    const p = String(limitPrice || "").trim();
    if (p === "") errors.limit_price = "Enter a limit price.";
    else if (!/^\d+(\.\d+)?$/.test(p) || Number(p) <= 0) errors.limit_price = "The limit price must be a positive amount, like 101.25.";
    else if (!isOnTick(p, tick)) errors.limit_price = `Prices move in steps of $${tick}: try ${onTick(p, tick)}.`;
  }
  return errors;
}

// The API's refusal ({code, message, fields}) in a trader's words (the one table: refusals.js).
export function humanError(error) {
  return plainRefusal(error).text;
}

// Why the book canceled an order, when the trader did not (the order's `reason`).
const CANCEL_REASONS = {
  ioc_remainder: "immediate or cancel: the rest could not fill at once",
  market_remainder: "the rest found no price inside today's band",
  self_trade_prevention: "it would have traded with your own order",
};

// The toast for an order update from the orders stream (null: nothing worth saying).
export function orderToast(event) {
  const o = event.order;
  const what = `${o.side === "buy" ? "Buy" : "Sell"} ${o.qty} ${o.symbol}`;
  const avg = o.filled_avg_price ? " at an average $" + price(o.filled_avg_price, "0.01") : "";
  if (o.status === "filled") return { kind: "up", text: `${what}: filled${avg}.` };
  if (o.status === "partially_filled") return { kind: "info", text: `${what}: ${o.filled_qty} filled${avg}, the rest is on the book.` };
  if (o.status === "canceled") {
    const why = CANCEL_REASONS[o.reason];
    return { kind: "muted", text: `${what}: canceled${Number(o.filled_qty) ? ` after ${o.filled_qty} filled` : ""}${why ? ` (${why})` : ""}.` };
  }
  if (o.status === "expired") return { kind: "muted", text: `${what}: expired.` };
  if (o.status === "rejected") return { kind: "down", text: `${what}: rejected.` };
  if (event.event === "new") return { kind: "info", text: `${what}: placed on the book.` };
  return null;
}
