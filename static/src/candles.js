// Bars for the chart: the API's candles and the live streams folded into the forming bar.
import { fixed, money, price, shares, sign, subtract } from "./format.js";

export const INTERVAL_SECONDS = { "1m": 60, "5m": 300, "1h": 3600, "1d": 86400 };

// An API candle or a candles-stream message as a chart bar (time in unix seconds).
export function toBar(candle) {
  const start = candle.time || candle.start;
  return {
    time: Math.floor(Date.parse(start) / 1000),
    open: Number(candle.open),
    high: Number(candle.high),
    low: Number(candle.low),
    close: Number(candle.close),
    volume: Number(candle.volume || 0),
    source: candle.source || "trades",
    auctionPrints: Number(candle.auction_prints || 0),
  };
}

export function bucketStart(seconds, interval) {
  const step = INTERVAL_SECONDS[interval] || 60;
  if (interval === "1d") return null; // daily bars follow the market day; leave them to the API
  return Math.floor(seconds / step) * step;
}

// Fold one trade ({price, qty, time, auction_id}) into the bars; returns the bar to draw (or
// null). A trade in the forming bar moves its close, high, low and volume (and counts as an
// auction print when it is one); a later one opens a bar.
export function applyTrade(bars, trade, interval) {
  const seconds = Math.floor(Date.parse(trade.time) / 1000);
  const start = bucketStart(seconds, interval);
  const p = Number(trade.price);
  const q = Number(trade.qty);
  if (start === null || !Number.isFinite(p)) return null;
  const last = bars[bars.length - 1];
  if (last && last.time === start) {
    if (last.source === "reference") {
      // The first trade of a bar drawn from reference prices: from now on it is a traded bar.
      Object.assign(last, { open: p, high: p, low: p, close: p, volume: 0, source: "trades", auctionPrints: 0 });
    }
    last.high = Math.max(last.high, p);
    last.low = Math.min(last.low, p);
    last.close = p;
    last.volume += q;
    if (isAuctionPrint(trade)) last.auctionPrints = (last.auctionPrints || 0) + 1;
    return last;
  }
  if (last && start < last.time) return null; // late: the API's next load has it
  const auctionPrints = isAuctionPrint(trade) ? 1 : 0;
  const bar = { time: start, open: p, high: p, low: p, close: p, volume: q, source: "trades", auctionPrints };
  bars.push(bar);
  return bar;
}

// A trade of the tape (REST or stream) that was an auction's close rather than two orders.
export function isAuctionPrint(trade) {
  return trade.auction_id !== null && trade.auction_id !== undefined;
}

// The chart's markers: one above each bar that holds an auction print (in time order, as
// lightweight-charts wants them).
export const AUCTION_COLOR = "#c39bff";
export function auctionMarkers(bars) {
  return bars
    .filter((b) => b.auctionPrints > 0)
    .map((b) => ({
      time: b.time,
      position: "aboveBar",
      shape: "arrowDown",
      color: AUCTION_COLOR,
      text: b.auctionPrints > 1 ? `Auction ×${b.auctionPrints}` : "Auction",
    }));
}

// Fold a one-minute candles-stream bar in: replaces the 1m bar, or widens the coarser one.
export function applyCandle(bars, message, interval) {
  const minute = toBar(message);
  if (interval === "1m") {
    const last = bars[bars.length - 1];
    if (last && last.time === minute.time) {
      // A bar's auction prints only grow: a trade seen on the tape is not undone by a bar
      // the server read just before it.
      const auctionPrints = Math.max(last.auctionPrints || 0, minute.auctionPrints);
      Object.assign(last, minute, { auctionPrints });
      return last;
    }
    if (last && minute.time < last.time) return null;
    bars.push(minute);
    return minute;
  }
  const start = bucketStart(minute.time, interval);
  if (start === null) return null;
  const last = bars[bars.length - 1];
  if (last && last.time === start) {
    last.high = Math.max(last.high, minute.high);
    last.low = Math.min(last.low, minute.low);
    last.close = minute.close;
    return last;
  }
  if (last && start < last.time) return null;
  const bar = { ...minute, time: start };
  bars.push(bar);
  return bar;
}

// The equity curve's points for the chart: one per second at most (the last wins), in order.
export function equityPoints(raw) {
  const bySecond = new Map();
  for (const p of raw) {
    const t = Math.floor(Date.parse(p.time) / 1000);
    if (Number.isFinite(t)) bySecond.set(t, Number(p.equity));
  }
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
}

// Dollars with separators on the equity axis: "$100,060.00".
export const dollarsAxis = (value) => money(value);

// The equity axis spans at least 2% of the equity: a $60 move on $100,000 reads as the small
// step it is, not as a cliff from the bottom of the chart to the top.
export function equityRange(range, share = 0.02) {
  if (!range) return range;
  const { minValue, maxValue } = range;
  const mid = (minValue + maxValue) / 2;
  const half = Math.max((maxValue - minValue) / 2, (Math.abs(mid) * share) / 2);
  return { minValue: mid - half, maxValue: mid + half };
}

// The chart's read-out of one bar: "O 273.10  H 273.50  L 272.90  C 273.20  +0.10 (+0.04%)  Vol 1,200".
// Prices at the tick's decimals; the change exact (bars hold the numbers the server's decimal
// strings became, whose shortest text is that string again).
export function ohlcText(bar, tick = "0.01") {
  if (!bar) return "";
  const p = (v) => price(v, tick);
  const change = subtract(bar.close, bar.open);
  const direction = sign(change);
  const pct = bar.open ? (Math.abs(bar.close - bar.open) / bar.open) * 100 : 0;
  const mark = direction > 0 ? "+" : direction < 0 ? "-" : "";
  const size = direction < 0 ? change.slice(1) : change;
  return (
    `O ${p(bar.open)}  H ${p(bar.high)}  L ${p(bar.low)}  C ${p(bar.close)}  ` +
    `${mark}${p(size)} (${mark}${fixed(pct, 2)}%)  Vol ${shares(bar.volume || 0)}`
  );
}
