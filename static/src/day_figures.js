// Today's volume, high and low of a stock, kept live on the markets page. A trades snapshot
// sets them as of its seq; each trades message after it folds in (a trade already counted is
// skipped by its seq); a quote widens the range by the reference prices, as the server does.
import { shares } from "./format.js";

const num = (value) => (value === null || value === undefined || value === "" ? null : Number(value));

function higher(current, candidate) {
  const c = num(candidate);
  if (c === null || !Number.isFinite(c)) return current;
  return current === null || c > Number(current) ? String(candidate) : current;
}

function lower(current, candidate) {
  const c = num(candidate);
  if (c === null || !Number.isFinite(c)) return current;
  return current === null || c < Number(current) ? String(candidate) : current;
}

// The figures the page was rendered with (no seq: the first snapshot replaces them).
export function dayFromPage({ volume, high, low }) {
  return { seq: null, volume: Number(volume) || 0, high: high || null, low: low || null };
}

// A `trades` snapshot ({seq, day: {volume, high, low}}) as the day so far.
export function dayFromSnapshot(message) {
  const day = message.day || {};
  return { seq: message.seq, volume: Number(day.volume) || 0, high: day.high ?? null, low: day.low ?? null };
}

// Fold a `trades` message in; true when a figure changed.
export function foldTrades(day, message) {
  if (day.seq === null) return false; // not synchronised yet: the snapshot will count these
  let changed = false;
  for (const trade of message.trades || []) {
    if (trade.seq <= day.seq) continue;
    day.seq = trade.seq;
    day.volume += Number(trade.qty) || 0;
    day.high = higher(day.high, trade.price);
    day.low = lower(day.low, trade.price);
    changed = true;
  }
  return changed;
}

// Fold a quote's reference range (day_high, day_low) in; true when the range widened.
export function foldQuote(day, quote) {
  const before = [day.high, day.low];
  day.high = higher(day.high, quote.day_high);
  day.low = lower(day.low, quote.day_low);
  return day.high !== before[0] || day.low !== before[1];
}

// 1234567 -> "1,234,567", as the server's intcomma writes it.
export function volumeText(volume) {
  return shares(volume);
}
