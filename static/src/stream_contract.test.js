// The stream client against the server's contract (docs/stream-messages.schema.json, the JSON
// Schema that the server's, the terminal client's and these tests load): a sample of every
// message type is valid under it, and the client handles each as the pages expect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { Client } from "./streams.js";
import { fakeBrowser } from "./stream_fakes.js";
import { validate } from "./schema_check.js";

const SCHEMA_FILE = new URL("../../docs/stream-messages.schema.json", import.meta.url);
const present = existsSync(SCHEMA_FILE);
const schema = present ? JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) : null;
const skip = present ? false : "docs/stream-messages.schema.json is not in this tree";

const T = "2026-12-07T15:00:00+00:00";
const order = {
  id: "5f0c6c1e-0000-4000-8000-000000000001", client_order_id: null, symbol: "ZED", side: "buy", type: "limit",
  time_in_force: "day", qty: "10", filled_qty: "4", filled_avg_price: "100.5000", limit_price: "101.0000",
  status: "partially_filled", reason: "", created_at: T, updated_at: T, filled_at: null, canceled_at: null,
  expired_at: null, replaced_at: null, replaces: null, fees: "0.0000",
};
const fill = { trade_seq: 7, side: "buy", price: "100.5000", qty: "4", fee: "0.0000", liquidity: "taker", time: T };
const trade = { symbol: "ZED", seq: 7, price: "100.5000", qty: "4", maker_side: "sell", taker_side: "buy", time: T, auction_id: null };
const auction = {
  id: 12, symbol: "ZED", qty: "25", status: "open", current_price: "50.0000", start_price: "40.0000",
  min_next_bid: "50.5000", bid_count: 3, reserve_met: true, starts_at: T, ends_at: "2026-12-07T15:05:00+00:00",
  original_ends_at: "2026-12-07T15:05:00+00:00", extended: false, closed_at: null, sold_price: null, seq: 4,
};

// One message of each type, in the order a page might hear them.
const SAMPLES = {
  hello: { type: "hello", user: "alice", auth: "session", channels: ["book", "trades", "quotes", "orders"], limits: { max_subscriptions: 50, max_frame_bytes: 65536, max_book_depth: 200 } },
  subscribed: { type: "subscribed", channel: "book", symbol: "ZED", id: 1 },
  authenticated: { type: "authenticated", user: "alice", method: "api_key", id: 2 },
  "book.snapshot": { type: "book.snapshot", symbol: "ZED", seq: 10, depth: 50, bids: [{ price: "100.0000", qty: "5", orders: 1 }], asks: [{ price: "101.0000", qty: "7", orders: 2 }] },
  "book.delta": { type: "book.delta", symbol: "ZED", first_seq: 11, seq: 11, ts: 1.5, levels: [{ seq: 11, side: "buy", price: "100.5000", qty: "3", orders: 1 }] },
  "trades.snapshot": { type: "trades.snapshot", symbol: "ZED", seq: 6, trades: [], day: { volume: 0, high: null, low: null } },
  trades: { type: "trades", symbol: "ZED", first_seq: 7, seq: 7, ts: 1.5, trades: [trade] },
  quote: {
    type: "quote", symbol: "ZED", price: "100.5000", previous_close: "99.0000", change: "1.5000", change_pct: "1.52",
    day_high: "101.0000", day_low: "99.5000", stale: false, source: "trades", time: T, status: "active", ts: 1.5,
  },
  candle: {
    type: "candle", symbol: "ZED", interval: "1m", start: T, open: "100.0000", high: "100.5000", low: "100.0000",
    close: "100.5000", volume: 4, trades: 1, auction_prints: 0, source: "trades", ts: 1.5,
  },
  "orders.snapshot": { type: "orders.snapshot", seq: 3, orders: [order], since_seq: null, missed: [], missed_complete: true },
  orders: { type: "orders", symbol: "ZED", ts: 1.5, seq: 4, position_qty: 4, events: [{ event: "fill", order, fills: [fill] }] },
  "auction.snapshot": { type: "auction.snapshot", server_time: T, auction_id: 12, seq: 4, auction, ends_at: auction.ends_at },
  auction: {
    type: "auction", event: "bid", auction_id: 12, seq: 5, auction: { ...auction, seq: 5, bid_count: 4 },
    server_time: T, ends_at: auction.ends_at, bid: { bidder: "bidder 2", price: "50.5000", status: "leading", placed_at: T }, ts: 1.5,
  },
  "auction.standing": { type: "auction.standing", event: "outbid", auction_id: 12, symbol: "ZED", current_price: "51.0000", max_price: "50.5000", ends_at: auction.ends_at, ts: 1.5, seq: 5 },
  unsubscribed: { type: "unsubscribed", channel: "book", symbol: "ZED", id: 3 },
  pong: { type: "pong", ts: 1.5, id: 4 },
  error: { type: "error", code: "rate_limited", message: "Too many subscriptions at once.", id: 5 },
};

test("a sample of every message type is valid under the schema", { skip }, () => {
  const types = schema.oneOf.map((option) => option.$ref.replace("#/$defs/", ""));
  assert.deepEqual([...types].sort(), Object.keys(SAMPLES).sort(), "a sample for each type the server sends");
  for (const [type, message] of Object.entries(SAMPLES)) {
    assert.deepEqual(validate(schema, message), [], type);
  }
});

test("the schema check refuses what the contract does not allow", { skip }, () => {
  const { seq, ...withoutSeq } = SAMPLES["book.snapshot"];
  assert.equal(typeof seq, "number");
  assert.notDeepEqual(validate(schema, withoutSeq), []);
  assert.notDeepEqual(validate(schema, { ...SAMPLES.quote, price: 100.5 }), [], "prices are strings");
  assert.notDeepEqual(validate(schema, { ...SAMPLES.pong, extra: true }), []);
  assert.notDeepEqual(validate(schema, { type: "no.such.type" }), []);
});

test("the client hands every message to the page as it expects", { skip }, () => {
  const { env, sockets } = fakeBrowser();
  const client = new Client({ env });
  const heard = { book: [], trades: [], quotes: [], candles: [], orders: [], auction: [], index: [], errors: [] };
  client.subscribe("book", "ZED", (book) => heard.book.push(book.levels("buy", 5).map((l) => l.price + "x" + l.qty)));
  client.subscribe("trades", "ZED", (m) => heard.trades.push([m.kind, m.seq, m.trades.length]));
  client.subscribe("quotes", "ZED", (m) => heard.quotes.push(m.price));
  client.subscribe("candles", "ZED", (m) => heard.candles.push(m.close));
  client.subscribe("orders", null, (m) => heard.orders.push([m.type, m.seq]));
  client.subscribe("auction", "12", (m) => heard.auction.push([m.type, m.auction.seq]));
  client.subscribe("auction", null, (m) => heard.index.push(m.type));
  client.onError((m) => heard.errors.push(m.code));
  const socket = sockets[0];
  socket.open();
  for (const message of Object.values(SAMPLES)) socket.receive(message);

  assert.equal(client.status, "live");
  assert.deepEqual(heard.book, [["100.0000x5"], ["100.5000x3", "100.0000x5"]]);
  assert.deepEqual(heard.trades, [["snapshot", 6, 0], ["trades", 7, 1]]);
  assert.deepEqual(heard.quotes, ["100.5000"]);
  assert.deepEqual(heard.candles, ["100.5000"]);
  assert.deepEqual(heard.orders, [["orders", 4], ["auction.standing", 5]]);
  assert.equal(client.ordersSeq, 5);
  assert.deepEqual(heard.auction, [["auction.snapshot", 4], ["auction", 5]]);
  assert.deepEqual(heard.index, ["auction.snapshot", "auction"]);
  assert.deepEqual(heard.errors, ["rate_limited"]);
});
