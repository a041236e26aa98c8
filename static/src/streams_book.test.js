// The stream client's book and tape: a snapshot, then deltas in seq order; a gap asks for a
// fresh snapshot and the book resumes from it; repeats and old seqs change nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "./streams.js";
import { fakeBrowser } from "./stream_fakes.js";

function snapshot(seq, bids, asks, depth = 50) {
  const level = ([price, qty]) => ({ price, qty, orders: 1 });
  return { type: "book.snapshot", symbol: "ZED", seq, depth, bids: bids.map(level), asks: asks.map(level) };
}

function delta(firstSeq, seq, levels) {
  return { type: "book.delta", symbol: "ZED", first_seq: firstSeq, seq, levels };
}

function bookClient() {
  const { env, sockets } = fakeBrowser();
  const client = new Client({ env });
  const views = [];
  client.subscribe("book", "zed", (book) => views.push({ seq: book.seq, bids: book.levels("buy", 5), asks: book.levels("sell", 5) }));
  const socket = sockets[0];
  socket.open();
  socket.receive({ type: "hello" });
  return { client, socket, views };
}

const prices = (levels) => levels.map((l) => l.price + "x" + l.qty);

test("a book is its snapshot, then each delta in seq order", () => {
  const { socket, views, client } = bookClient();
  assert.deepEqual(socket.subscribes(), [["book", "ZED"]]);
  assert.equal(client.status, "live");
  socket.receive(snapshot(10, [["100.00", "5"], ["99.50", "3"]], [["101.00", "7"]]));
  socket.receive(delta(11, 11, [{ side: "buy", price: "100.50", qty: "2", orders: 1 }]));
  socket.receive(delta(12, 13, [{ side: "sell", price: "101.00", qty: "0" }, { side: "buy", price: "99.50", qty: "4" }]));
  const last = views.at(-1);
  assert.equal(last.seq, 13);
  assert.deepEqual(prices(last.bids), ["100.50x2", "100.00x5", "99.50x4"]);
  assert.deepEqual(prices(last.asks), []);
  assert.equal(last.bids[2].orders, 1); // a delta without `orders` keeps the known count
});

test("a gap asks for a fresh snapshot and the book resumes from it", () => {
  const { socket, views } = bookClient();
  socket.receive(snapshot(10, [["100.00", "5"]], [["101.00", "7"]]));
  const shown = views.length;
  socket.receive(delta(12, 12, [{ side: "buy", price: "100.00", qty: "9" }])); // 11 never came
  assert.equal(views.length, shown, "a book with a hole is not shown");
  assert.deepEqual(socket.subscribes(), [["book", "ZED"], ["book", "ZED"]], "the gap resubscribes");
  // Deltas arriving before the fresh snapshot change nothing.
  socket.receive(delta(13, 13, [{ side: "buy", price: "98.00", qty: "1" }]));
  assert.deepEqual(prices(views.at(-1).bids), ["100.00x5"]);
  assert.equal(views.at(-1).seq, 10);
  socket.receive(snapshot(13, [["100.00", "9"], ["98.00", "1"]], [["101.00", "7"]]));
  socket.receive(delta(14, 14, [{ side: "sell", price: "100.90", qty: "3" }]));
  const last = views.at(-1);
  assert.equal(last.seq, 14);
  assert.deepEqual(prices(last.bids), ["100.00x9", "98.00x1"]);
  assert.deepEqual(prices(last.asks), ["100.90x3", "101.00x7"]);
});

test("repeats and seqs already in the snapshot are ignored", () => {
  const { socket, views } = bookClient();
  socket.receive(snapshot(10, [["100.00", "5"]], []));
  socket.receive(delta(9, 10, [{ side: "buy", price: "100.00", qty: "1" }])); // in the snapshot
  socket.receive(delta(11, 11, [{ side: "buy", price: "100.00", qty: "6" }]));
  socket.receive(delta(11, 11, [{ side: "buy", price: "100.00", qty: "6" }])); // the same again
  socket.receive(delta(10, 11, [{ side: "buy", price: "100.00", qty: "1" }])); // older
  assert.equal(views.at(-1).seq, 11);
  assert.deepEqual(prices(views.at(-1).bids), ["100.00x6"]);
  assert.deepEqual(socket.subscribes(), [["book", "ZED"]], "no resync for a repeat");
});

test("a reconnect resubscribes and waits for the new snapshot", () => {
  const { env, sockets, timers } = fakeBrowser();
  const client = new Client({ env });
  const seqs = [];
  client.subscribe("book", "ZED", (book) => seqs.push(book.seq + "/" + book.levels("buy", 1)[0].qty));
  sockets[0].open();
  sockets[0].receive(snapshot(10, [["100.00", "5"]], []));
  sockets[0].close();
  assert.equal(client.status, "offline");
  timers.shift()();
  const second = sockets[1];
  second.open();
  assert.deepEqual(second.subscribes(), [["book", "ZED"]]);
  second.receive(delta(11, 11, [{ side: "buy", price: "100.00", qty: "1" }])); // before the snapshot
  second.receive(snapshot(20, [["100.00", "2"]], []));
  second.receive(delta(21, 21, [{ side: "buy", price: "100.00", qty: "3" }]));
  // The delta before the snapshot is not applied: the book stays at 10 until the snapshot.
  assert.deepEqual(seqs.filter((seq, i) => seq !== seqs[i - 1]), ["10/5", "20/2", "21/3"]);
});

test("a snapshot too shallow for what is shown asks again", () => {
  const { env, sockets } = fakeBrowser();
  const client = new Client({ env });
  const seen = [];
  client.subscribe("book", "ZED", (book) => seen.push(book.seq), { depth: 2, display: 3 });
  sockets[0].open();
  assert.equal(sockets[0].sent[0].depth, 2);
  sockets[0].receive(snapshot(5, [["100.00", "1"], ["99.00", "1"]], [], 2));
  assert.deepEqual(seen, []);
  assert.equal(sockets[0].subscribes().length, 2);
});

test("the tape follows its own seq: a gap resubscribes, repeats are dropped", () => {
  const { env, sockets } = fakeBrowser();
  const client = new Client({ env });
  const seen = [];
  client.subscribe("trades", "ZED", (m) => seen.push([m.kind, m.seq]));
  const socket = sockets[0];
  socket.open();
  socket.receive({ type: "trades", symbol: "ZED", first_seq: 1, seq: 1, trades: [] }); // before a snapshot
  socket.receive({ type: "trades.snapshot", symbol: "ZED", seq: 4, trades: [], day: {} });
  socket.receive({ type: "trades", symbol: "ZED", first_seq: 5, seq: 6, trades: [] });
  socket.receive({ type: "trades", symbol: "ZED", first_seq: 5, seq: 6, trades: [] });
  socket.receive({ type: "trades", symbol: "ZED", first_seq: 8, seq: 8, trades: [] });
  assert.deepEqual(seen, [["snapshot", 4], ["trades", 6]]);
  assert.deepEqual(socket.subscribes(), [["trades", "ZED"], ["trades", "ZED"]]);
});

test("a busy server's refusal is tried again; messages of unknown types are ignored", () => {
  const { env, sockets, timers } = fakeBrowser();
  const client = new Client({ env });
  const errors = [];
  client.onError((m) => errors.push(m.code));
  client.subscribe("quotes", "ZED", () => {});
  const socket = sockets[0];
  socket.open();
  socket.receive({ type: "later.added", symbol: "ZED" });
  socket.receive({ type: "toString" });
  socket.onmessage({ data: "not json" });
  socket.receive({ type: "error", id: socket.sent[0].id, code: "unavailable" });
  assert.deepEqual(errors, ["unavailable"]);
  timers.shift()();
  assert.deepEqual(socket.subscribes(), [["quotes", "ZED"], ["quotes", "ZED"]]);
});
