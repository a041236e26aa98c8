// The markets page: sortable columns and a sparkline per row from the one-minute history.
import { sortRows, sparklinePath } from "./table_sort.js";
import { api } from "./live.js";

const table = document.querySelector("table.stocks");
if (table) {
  const body = table.tBodies[0];
  for (const [index, th] of [...table.tHead.rows[0].cells].entries()) {
    if (!th.dataset.sort) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = th.textContent;
    th.textContent = "";
    th.append(button);
    th.setAttribute("aria-sort", "none");
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      for (const other of table.tHead.rows[0].cells) if (other.dataset.sort) other.setAttribute("aria-sort", "none");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const rows = [...body.rows].filter((r) => r.dataset.symbol);
      const key = (row) => {
        const cell = row.cells[index];
        return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
      };
      body.replaceChildren(...sortRows(rows, key, th.dataset.sort, ascending));
    });
  }
}

// Sparklines: the last two hours of one-minute bars, drawn as an SVG path (no inline styles).
const sparks = document.querySelectorAll("[data-sparkline]");
const SVG = "http://www.w3.org/2000/svg";
for (const node of [...sparks].slice(0, 60)) {
  const symbol = node.dataset.sparkline;
  api("GET", `/api/v1/stocks/${encodeURIComponent(symbol)}/candles?interval=1m`).then(({ ok, body }) => {
    if (!ok || !body || !body.candles.length) return;
    const closes = body.candles.slice(-120).map((c) => Number(c.close));
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 100 24");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", sparklinePath(closes, 100, 24));
    path.setAttribute("class", closes[closes.length - 1] >= closes[0] ? "spark-up" : "spark-down");
    svg.append(path);
    node.replaceChildren(svg);
    node.dataset.drawn = "true";
  });
}
