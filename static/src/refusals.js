// The API's refusals ({code, message, fields}) in the ticket's words: the one table the pages'
// scripts use. The server's messages are plain sentences too (core/words.py: "Quantity", "The
// limit price", prices at the tick's decimals), and a code this table has no better wording
// for shows the server's message as it is. The numbers come from the refusal's field hints
// ("Multiple of 10.", "Between $90.00 and $110.00.", "At most 5."), which the server keeps
// short and stable for this purpose; older servers' hints ("90.0000") read the same.
import { price, money as dollars } from "./format.js";

// A price: its tick's digits, thousands grouped as the server writes them ("$1,250.00").
const money = (value) => "$" + price(value).replace(/\B(?=(\d{3})+(?!\d))(?=[^.]*(\.|$))/g, ",");
const NUMBER = /-?\d+(?:\.\d+)?/g;

function hintOf(error, field) {
  const hints = (error.fields && error.fields[field]) || [];
  return String(hints[0] || "");
}

// "$1,013.51" -> "1013.51": thousands separators are not number boundaries.
function numbersIn(text) {
  return String(text).replace(/(\d),(?=\d{3}(?!\d))/g, "$1").match(NUMBER) || [];
}

const WHOLE_SHARES = "Quantity must be a whole number of shares.";

// The checks of a number the services make, by the field's hint.
function qtyWords(hint) {
  if (/^Multiple of/.test(hint)) return `Quantity must be a multiple of the lot (${numbersIn(hint)[0]} shares).`;
  if (/^Must be positive/.test(hint)) return "Quantity must be positive.";
  if (/^Too large/.test(hint)) return "Quantity may be at most 10,000,000 shares.";
  return WHOLE_SHARES;
}

function priceWords(hint, what) {
  if (/^Multiple of/.test(hint)) return `Prices move in steps of $${numbersIn(hint)[0]}.`;
  if (/^Too large/.test(hint)) return `${what} may be at most $1,000,000.00 a share.`;
  if (/^Required/.test(hint)) return what === "Your maximum" ? "Enter your maximum." : "Enter a limit price.";
  return `${what} must be a positive amount, like 101.25.`;
}

const FIELD_WORDS = {
  qty: (hint) => qtyWords(hint),
  limit_price: (hint) => priceWords(hint, "The limit price"),
  max_price: (hint) => priceWords(hint, "Your maximum"),
};

const CODES = {
  invalid_qty: (e) => qtyWords(hintOf(e, "qty")),
  invalid_price: (e) => {
    const field = Object.keys(e.fields || {}).find((f) => FIELD_WORDS[f]) || "limit_price";
    return FIELD_WORDS[field](hintOf(e, field));
  },
  price_outside_band: (e) => {
    const [low, high] = numbersIn(hintOf(e, "limit_price") || e.message);
    const pct = (String(e.message).match(/(\d+)% of the reference/) || [])[1];
    if (!low || !high) return "The limit price is outside today's price band.";
    return `The limit price must be between ${money(low)} and ${money(high)}${pct ? ` (within ${pct}% of the reference price)` : ""}.`;
  },
  limit_price_required: () => "Enter a limit price.",
  limit_price_not_allowed: () => "A market order takes no limit price.",
  insufficient_buying_power: (e) => {
    const [needed, available] = numbersIn(e.message);
    return needed && available
      ? `Not enough buying power: this order needs ${dollars(needed)} and you have ${dollars(available)}.`
      : "Not enough buying power for this order.";
  },
  insufficient_qty: (e) => {
    const free = numbersIn(hintOf(e, "qty"))[0];
    return free !== undefined
      ? `You have ${free} share${free === "1" ? "" : "s"} free to sell (shares in open sell orders are held).`
      : "You don't hold enough free shares to sell that many.";
  },
  symbol_halted: () => "Trading in this stock is halted right now.",
  fok_not_fillable: () => "Fill or kill: the book can't fill all of it at once, so nothing was traded.",
  no_reference_price: () => "This stock has no price yet: try again in a minute.",
  unknown_symbol: () => "There is no such stock.",
  invalid_side: () => "Choose Buy or Sell.",
  invalid_type: () => "Choose a limit or a market order.",
  invalid_time_in_force: () => "Choose how long the order lasts (time in force).",
  duplicate_client_order_id: () => "This order was already sent.",
  no_account: () => "You have no trading account.",
  not_authenticated: () => "Your session has ended: log in again to trade.",
  authentication_failed: () => "Your session has ended: log in again to trade.",
  forbidden: () => "The page is out of date: reload it and try again.",
  rate_limited: () => "Too many requests: wait a moment and try again.",
  network: () => "No connection to the server: nothing was sent.",
  internal_error: () => "Something went wrong on our side: nothing was traded. Try again.",
  // Auctions.
  bid_too_low: (e) => {
    const minimum = hintOf(e, "min_next_bid") || numbersIn(e.message)[0];
    return minimum ? `The lowest bid now is ${money(minimum)} a share.` : "Your bid is below the minimum.";
  },
  bid_not_higher: (e) => {
    const lead = numbersIn(e.message)[0];
    return lead ? `You already lead with a maximum of ${money(lead)}: a new maximum must be higher.` : "A new maximum must be higher than your current one.";
  },
  own_auction: () => "You can't bid on your own auction.",
  auction_ended: () => "The auction has ended.",
  auction_not_open: () => "The auction is not taking bids.",
};

// Input the API's serializers refused ({code: "invalid_request", fields: {qty: [...]}}).
function invalidRequest(error) {
  const field = Object.keys(error.fields || {}).find((f) => FIELD_WORDS[f]);
  return field ? FIELD_WORDS[field](hintOf(error, field)) : null;
}

// {field, text}: the sentence to show, and the ticket field it belongs to (null: the form).
export function plainRefusal(error) {
  if (!error || typeof error !== "object") return { field: null, text: "The order could not be placed. Try again." };
  const words = CODES[error.code];
  const text = (words && words(error)) || (error.code === "invalid_request" && invalidRequest(error)) || null;
  const field = Object.keys(error.fields || {}).find((f) => FIELD_WORDS[f]) || null;
  if (text) return { field, text };
  // A refusal this table does not know: its message, without field names or four decimals.
  return { field, text: fallback(String(error.message || "The order could not be placed.")) };
}

const NAMES = { qty: "quantity", limit_price: "limit price", max_price: "maximum", time_in_force: "time in force", client_order_id: "order id" };
function fallback(message) {
  let text = message;
  for (const [name, words] of Object.entries(NAMES)) text = text.replace(new RegExp("\\b" + name + "\\b", "g"), words);
  text = text.replace(/(\d+\.\d{2})00\b/g, "$1");
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : text + ".";
}
