// Price and equity charts with TradingView's Lightweight Charts (Apache-2.0; attribution on
// the page as its licence asks).
import { createChart, createSeriesMarkers, CandlestickSeries, HistogramSeries, AreaSeries, ColorType } from "lightweight-charts";
import { marketTz } from "./live.js";
import { auctionMarkers, dollarsAxis, equityRange, ohlcText } from "./candles.js";

const UP = "#2ecc71";
const DOWN = "#ff5c5c";

function etFormatter(options) {
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone: marketTz(), hour12: false, ...options });
  return (seconds) => fmt.format(new Date(seconds * 1000));
}

export function baseChart(container, { daily = false } = {}) {
  const time = etFormatter({ month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const hm = etFormatter({ hour: "2-digit", minute: "2-digit" });
  const day = etFormatter({ month: "short", day: "numeric" });
  // The page's theme (dark, or light when the system asks): lines and labels from its colours.
  const css = getComputedStyle(document.documentElement);
  const line = css.getPropertyValue("--line").trim() || "#2a3240";
  const muted = css.getPropertyValue("--muted").trim() || "#a3adba";
  return createChart(container, {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: "transparent" }, textColor: muted, attributionLogo: true },
    grid: { vertLines: { color: line }, horzLines: { color: line } },
    rightPriceScale: { borderColor: line },
    timeScale: {
      borderColor: line,
      maxBarSpacing: 18, // a young history stays readable bars, not slabs
      timeVisible: !daily,
      secondsVisible: false,
      tickMarkFormatter: (t) => (daily ? day(t) : hm(t)),
    },
    localization: { timeFormatter: (t) => time(t) + " ET" },
    crosshair: { mode: 0 },
  });
}

export function priceChart(container, tick = "0.01") {
  const chart = baseChart(container);
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
  });
  const volume = chart.addSeries(HistogramSeries, {
    priceScaleId: "", priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false,
  });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });
  const volumeBar = (b) => ({ time: b.time, value: b.volume, color: b.close >= b.open ? "rgba(46,204,113,0.45)" : "rgba(255,92,92,0.45)" });
  // Auction prints: a marker above each bar holding one (history and live alike).
  const markers = createSeriesMarkers(candles, []);
  let shown = [];
  const mark = () => {
    const wanted = auctionMarkers(shown);
    markers.setMarkers(wanted);
    container.dataset.auctionMarkers = String(wanted.length);
  };
  // The OHLC read-out: the bar under the pointer, else the latest one.
  const readout = container.parentElement && container.parentElement.querySelector("[data-ohlc]");
  const show = (bar) => {
    if (!readout) return;
    readout.textContent = ohlcText(bar, tick);
    readout.dataset.time = bar ? String(bar.time) : "";
  };
  chart.subscribeCrosshairMove((param) => {
    const hovered = param.time !== undefined ? shown.find((b) => b.time === param.time) : null;
    show(hovered || shown[shown.length - 1]);
  });
  return {
    chart,
    set(bars, daily) {
      shown = bars;
      show(bars[bars.length - 1]);
      chart.applyOptions({ timeScale: { timeVisible: !daily } });
      candles.setData(bars.map(({ time, open, high, low, close }) => ({ time, open, high, low, close })));
      volume.setData(bars.map(volumeBar));
      mark();
      chart.timeScale().fitContent();
    },
    update(bar) {
      candles.update({ time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close });
      volume.update(volumeBar(bar));
      if (bar.auctionPrints) mark();
    },
  };
}

export function equityChart(container, points) {
  const chart = baseChart(container);
  const area = chart.addSeries(AreaSeries, {
    lineColor: "#6ea8ff", topColor: "rgba(110,168,255,0.35)", bottomColor: "rgba(110,168,255,0.02)", lineWidth: 2,
    priceFormat: { type: "custom", formatter: dollarsAxis, minMove: 0.01 },
    autoscaleInfoProvider: (original) => {
      const info = original();
      return info && { ...info, priceRange: equityRange(info.priceRange) };
    },
  });
  area.setData(points);
  chart.timeScale().fitContent();
  return { chart, area };
}
