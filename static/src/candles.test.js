import { test } from "node:test";
import assert from "node:assert/strict";
import { toBar, applyTrade, applyCandle, equityPoints, auctionMarkers, isAuctionPrint, dollarsAxis, equityRange, ohlcText } from "./candles.js";

const t0 = "2026-12-01T14:30:00Z";
const s0 = Date.parse(t0) / 1000;

test("an API candle becomes a bar in unix seconds", () => {
  const bar = toBar({ time: t0, open: "1.0000", high: "2", low: "0.5", close: "1.5", volume: 7 });
  assert.deepEqual(bar, { time: s0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 7, source: "trades", auctionPrints: 0 });
});

test("a trade moves the forming bar, a later one opens the next", () => {
  const bars = [toBar({ time: t0, open: "10", high: "10", low: "10", close: "10", volume: 1 })];
  applyTrade(bars, { price: "12", qty: "3", time: "2026-12-01T14:30:30Z" }, "1m");
  assert.deepEqual([bars[0].high, bars[0].close, bars[0].volume], [12, 12, 4]);
  applyTrade(bars, { price: "9", qty: "1", time: "2026-12-01T14:31:05Z" }, "1m");
  assert.equal(bars.length, 2);
  assert.equal(bars[1].time, s0 + 60);
  // A trade inside the same 5-minute bucket joins it.
  const five = [toBar({ time: t0, open: "10", high: "10", low: "10", close: "10", volume: 0 })];
  applyTrade(five, { price: "8", qty: "2", time: "2026-12-01T14:34:59Z" }, "5m");
  assert.deepEqual([five.length, five[0].low, five[0].volume], [1, 8, 2]);
});

test("a reference bar's first trade restarts it as a traded bar", () => {
  const bars = [{ time: s0, open: 10, high: 11, low: 9, close: 10, volume: 0, source: "reference" }];
  applyTrade(bars, { price: "10.5", qty: "2", time: "2026-12-01T14:30:10Z" }, "1m");
  assert.deepEqual(bars[0], { time: s0, open: 10.5, high: 10.5, low: 10.5, close: 10.5, volume: 2, source: "trades", auctionPrints: 0 });
});

test("candles-stream bars replace the 1m bar and widen the hourly one", () => {
  const minute = { start: "2026-12-01T14:31:00Z", open: "10", high: "13", low: "10", close: "12", volume: 0, source: "reference" };
  const bars = [toBar({ time: "2026-12-01T14:31:00Z", open: "10", high: "10", low: "10", close: "10" })];
  applyCandle(bars, minute, "1m");
  assert.equal(bars[0].high, 13);
  const hourly = [{ time: Date.parse("2026-12-01T14:00:00Z") / 1000, open: 9, high: 11, low: 9, close: 10, volume: 5 }];
  applyCandle(hourly, minute, "1h");
  assert.deepEqual([hourly.length, hourly[0].high, hourly[0].close, hourly[0].volume], [1, 13, 12, 5]);
});

test("equity points are in time order, one a second", () => {
  assert.deepEqual(
    equityPoints([
      { time: "2026-12-01T14:30:01.500Z", equity: "10" },
      { time: "2026-12-01T14:30:00Z", equity: "9" },
      { time: "2026-12-01T14:30:01.900Z", equity: "11" },
    ]),
    [{ time: s0, value: 9 }, { time: s0 + 1, value: 11 }],
  );
});

test("auction prints are counted per bar, from the API and from the tape", () => {
  const bars = [toBar({ time: "2026-01-05T14:30:00Z", open: "10", high: "10", low: "10", close: "10", volume: 5, auction_prints: 1 })];
  assert.equal(bars[0].auctionPrints, 1);
  applyTrade(bars, { price: "10.5", qty: "3", time: "2026-01-05T14:30:20Z", auction_id: null }, "1m");
  assert.equal(bars[0].auctionPrints, 1);
  applyTrade(bars, { price: "10.6", qty: "50", time: "2026-01-05T14:30:40Z", auction_id: 7 }, "1m");
  assert.equal(bars[0].auctionPrints, 2);
  const opened = applyTrade(bars, { price: "10.7", qty: "50", time: "2026-01-05T14:31:05Z", auction_id: 8 }, "1m");
  assert.equal(opened.auctionPrints, 1);
  assert.equal(bars.length, 2);
});

test("a bar from the candles stream never forgets an auction print the tape already showed", () => {
  const bars = [];
  applyTrade(bars, { price: "10", qty: "50", time: "2026-01-05T14:30:40Z", auction_id: 7 }, "1m");
  applyCandle(bars, { start: "2026-01-05T14:30:00Z", open: "10", high: "10", low: "10", close: "10", volume: 0, auction_prints: 0 }, "1m");
  assert.equal(bars[0].auctionPrints, 1);
  applyCandle(bars, { start: "2026-01-05T14:30:00Z", open: "10", high: "10", low: "10", close: "10", volume: 0, auction_prints: 2 }, "1m");
  assert.equal(bars[0].auctionPrints, 2);
});

test("each bar holding auction prints gets one marker above it, in time order", () => {
  const bars = [
    { time: 60, auctionPrints: 0 },
    { time: 120, auctionPrints: 1 },
    { time: 180, auctionPrints: 3 },
  ];
  assert.deepEqual(
    auctionMarkers(bars).map((m) => [m.time, m.position, m.text]),
    [[120, "aboveBar", "Auction"], [180, "aboveBar", "Auction ×3"]],
  );
  assert.equal(isAuctionPrint({ auction_id: null }), false);
  assert.equal(isAuctionPrint({ auction_id: 0 }), true);
  assert.equal(isAuctionPrint({}), false);
});

test("the equity axis writes dollars and spans at least 2% of the equity", () => {
  assert.equal(dollarsAxis(100060), "$100,060.00");
  assert.equal(dollarsAxis(-5.5), "-$5.50");
  // A $60 move on $100,000: the axis spans 2% ($2,000.60), so the move is a small step.
  const r = equityRange({ minValue: 100000, maxValue: 100060 });
  assert.deepEqual([r.minValue.toFixed(2), r.maxValue.toFixed(2)], ["99029.70", "101030.30"]);
  // A move larger than 2% keeps its own range.
  assert.deepEqual(equityRange({ minValue: 90000, maxValue: 110000 }), { minValue: 90000, maxValue: 110000 });
  assert.equal(equityRange(null), null);
});

test("the chart's read-out gives a bar's open, high, low, close, change and volume", () => {
  const bar = { time: 1, open: 273.1, high: 273.5, low: 272.9, close: 273.2, volume: 1200 };
  assert.equal(ohlcText(bar), "O 273.10  H 273.50  L 272.90  C 273.20  +0.10 (+0.04%)  Vol 1,200");
  assert.equal(ohlcText({ ...bar, close: 273.0 }), "O 273.10  H 273.50  L 272.90  C 273.00  -0.10 (-0.04%)  Vol 1,200");
  assert.equal(ohlcText(undefined), "");
});
