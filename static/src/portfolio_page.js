// The portfolio: the equity curve from the ledgers, and the connection badge.
import { equityChart } from "./chart.js";
import { equityPoints } from "./candles.js";
import { api, bindConnectionBadges, toast, on } from "./live.js";
import { orderToast } from "./ticket_math.js";

bindConnectionBadges();

const box = document.getElementById("equity-chart");
if (box) {
  api("GET", box.dataset.source).then(({ ok, body }) => {
    if (!ok || !body) {
      box.textContent = "The equity curve could not be loaded.";
      return;
    }
    const points = equityPoints(body.points);
    equityChart(box, points);
    box.dataset.points = String(points.length);
    box.dataset.state = "drawn";
  });
}

on("orders", (message) => {
  for (const event of message.events || []) {
    const t = orderToast(event);
    if (t) toast(t.text, t.kind);
  }
});
