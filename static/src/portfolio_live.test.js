import { test } from "node:test";
import assert from "node:assert/strict";
import { FOLLOWED_SYMBOLS, MoveWatch, followHoldings, followPlan } from "./portfolio_live.js";

test("any trades message may move a held stock's mark", () => {
  const w = new MoveWatch();
  assert.equal(w.trades("AAPL", { kind: "snapshot", trades: [] }), true);
  assert.equal(w.trades("AAPL", { kind: "trades", trades: [{ price: "101.00" }] }), true);
});

test("a quote moves the figures when it is the first or the reference price changed", () => {
  const w = new MoveWatch();
  assert.equal(w.quote("AAPL", { price: "100.00" }), true);
  assert.equal(w.quote("AAPL", { price: "100.00", stale: true }), false);
  assert.equal(w.quote("AAPL", { price: "100.50" }), true);
  assert.equal(w.quote("AAPL", { price: "100.50" }), false);
  w.forget("AAPL");
  assert.equal(w.quote("AAPL", { price: "100.50" }), true);
});

test("the follow plan adds the new symbols, drops the sold ones and keeps to the cap", () => {
  assert.deepEqual(followPlan(new Set(["AAPL", "MSFT"]), ["MSFT", "NVDA", "NVDA"]), {
    add: ["NVDA"],
    drop: ["AAPL"],
  });
  const many = Array.from({ length: FOLLOWED_SYMBOLS + 5 }, (_, i) => "S" + i);
  assert.equal(followPlan(new Set(), many).add.length, FOLLOWED_SYMBOLS);
});

test("followHoldings subscribes per held symbol and reports its moves", () => {
  const handlers = new Map();
  const dropped = [];
  const streams = {
    subscribe(channel, symbol, handler) {
      handlers.set(channel + ":" + symbol, handler);
      return () => dropped.push(channel + ":" + symbol);
    },
  };
  let rows = [{ dataset: { symbol: "AAPL" } }];
  const moved = [];
  const sync = followHoldings(streams, () => rows, (s) => moved.push(s));
  assert.deepEqual([...handlers.keys()].sort(), ["quotes:AAPL", "trades:AAPL"]);
  handlers.get("quotes:AAPL")({ price: "10.00" });
  handlers.get("quotes:AAPL")({ price: "10.00" });
  assert.deepEqual(moved, ["AAPL"]);
  handlers.get("trades:AAPL")({ kind: "trades", trades: [{ price: "10.10" }] });
  handlers.get("quotes:AAPL")({ price: "10.20" });
  assert.deepEqual(moved, ["AAPL", "AAPL", "AAPL"]);
  rows = [{ dataset: { symbol: "MSFT" } }];
  sync();
  assert.deepEqual(dropped.sort(), ["quotes:AAPL", "trades:AAPL"]);
  assert.ok(handlers.has("trades:MSFT"));
});
