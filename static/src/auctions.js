// Auctions, live: prices, bid counts, reserve and standings from the `auction` stream, and
// countdowns on the server's clock (auction_clock.js). One auction's page (#auction) or the
// index of auctions (#auction-index); prices at the stock's tick (data-tick).
import { shared } from "./streams.js";
import { price, subtract, sign } from "./format.js";
import { clockOffset, timeLeft } from "./auction_clock.js";
import { formToken, answerOf } from "./dom.js";

const LIVE = ["open", "scheduled"];

function fmt(value, tick) {
  return value === null || value === undefined ? "—" : price(value, tick || "0.01");
}

// Whether the decimal `a` is at least `b` (false when `a` is not a number).
function atLeast(a, b) {
  const difference = subtract(a, b);
  return difference !== null && sign(difference) >= 0;
}

function reserveBadge(el, met) {
  const badge = el.querySelector("[data-reserve]");
  if (!badge) return;
  badge.textContent = met ? "reserve met" : "reserve not met";
  badge.className = "badge " + (met ? "ok" : "muted");
}

function flash(el) {
  el.classList.add("flash");
  setTimeout(() => el.classList.remove("flash"), 800);
}

function applyState(el, a) {
  const tick = el.dataset.tick;
  el.dataset.endsAt = a.ends_at;
  el.dataset.status = a.status;
  const current = el.querySelector("[data-current]");
  if (current) current.textContent = a.current_price ? fmt(a.current_price, tick) : "opens " + fmt(a.start_price, tick);
  const bids = el.querySelector("[data-bids]");
  if (bids) bids.textContent = a.bid_count + (a.bid_count === 1 ? " bid" : " bids");
  reserveBadge(el, a.reserve_met);
  const minNext = el.querySelector("[data-min-next]");
  if (minNext && a.min_next_bid) minNext.textContent = fmt(a.min_next_bid, tick);
  // The bid box keeps the minimum filled in, unless the bidder is typing a price of their own.
  const input = el.querySelector("#id_max_price");
  if (input && a.min_next_bid && document.activeElement !== input && !atLeast(input.value, a.min_next_bid)) {
    input.value = fmt(a.min_next_bid, tick);
  }
  const extended = el.querySelector("[data-extended]");
  if (extended) extended.hidden = !a.extended;
  flash(el);
}

function showResult(single, a) {
  const result = single.querySelector("[data-result]");
  const form = single.querySelector("[data-bid-form-box]");
  if (form) form.hidden = true;
  const label = single.querySelector("[data-countdown-label]");
  if (label) label.textContent = "Ended";
  const box = single.querySelector("[data-countdown]");
  const standing = single.querySelector("[data-standing]").textContent.trim();
  if (box) box.textContent = a.status === "closed" ? "Sold" : a.status === "no_sale" ? "No sale" : "Canceled";
  if (!result) return;
  result.hidden = false;
  const text = result.querySelector("[data-result-text]");
  // The leader at a sale is its winner: the public "closed" may come before the private "won".
  const won = standing === "won" || standing === "leading";
  if (a.status === "closed") {
    text.innerHTML =
      "Sold at " +
      fmt(a.sold_price, single.dataset.tick) +
      " a share" +
      (won ? ': <strong>you won</strong> — the shares are in your <a href="/portfolio/">portfolio</a>.' : ".");
  } else {
    text.textContent = a.status === "no_sale" ? "No sale: the reserve was not met." : "Canceled.";
  }
}

function showStanding(badge, standing) {
  badge.hidden = false;
  badge.textContent = standing;
  badge.className = "badge standing-" + standing;
}

// The status area and the bid history as the server has them now, swapped in from a fresh copy.
function swapLive(single, html) {
  const fresh = new DOMParser().parseFromString(html, "text/html");
  for (const id of ["auction-status", "bid-history-card"]) {
    const now = document.getElementById(id);
    const next = fresh.getElementById(id);
    if (now && next) now.replaceWith(document.adoptNode(next));
  }
  const myMax = single.querySelector("[data-my-max]");
  const freshMax = fresh.getElementById("auction-my-max");
  if (myMax && freshMax) myMax.textContent = freshMax.textContent;
  const standing = document.getElementById("auction-status").dataset.standingNow;
  const badge = single.querySelector("[data-standing]");
  if (badge && standing) showStanding(badge, standing);
}

function bidRefusal(answer) {
  if (answer.status === 0) return "No connection to the server: no bid was sent.";
  if (answer.status === 429) return "Too many requests: wait a moment and try again.";
  return (answer.body && answer.body.message) || "The bid could not be placed. Try again.";
}

class AuctionsPage {
  constructor(single, index) {
    this.single = single;
    this.index = index;
    this.root = single || index;
    this.offset = clockOffset(this.root.dataset.serverTime, Date.now()); // server minus browser, ms
    this.seqs = new Map();
    this.asked = 0;
    this.streams = shared();
  }

  tick() {
    const single = this.single;
    for (const el of document.querySelectorAll("[data-ends-at]")) {
      const box = el.querySelector("[data-countdown]") || (el === single && single.querySelector("[data-countdown]"));
      if (!box || (el.dataset.status && !LIVE.includes(el.dataset.status))) continue;
      const t = timeLeft(el.dataset.endsAt, this.offset, Date.now());
      box.textContent = t.text;
      box.classList.toggle("soon", t.soon);
    }
  }

  // Replies may cross: only the latest request's answer is shown, so nothing older ever
  // replaces something newer.
  refreshLive() {
    const single = this.single;
    if (!single || !single.dataset.liveSource) return Promise.resolve();
    const mine = ++this.asked;
    return fetch(single.dataset.liveSource, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => {
        if (html !== null && mine === this.asked) swapLive(single, html);
      })
      .catch(() => {}); // offline for a moment: the next event asks again
  }

  // A bid goes over the API in place: no reload, the scroll and the focus stay.
  bindBidForm() {
    const form = this.single && document.getElementById("bid-form");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = form.querySelector("#id_max_price");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const request = fetch("/api/v1/auctions/" + encodeURIComponent(this.single.dataset.auctionId) + "/bids", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": formToken() },
        body: JSON.stringify({ max_price: input.value.trim() }),
      });
      answerOf(request).then((answer) => {
        button.disabled = false;
        if (answer.ok) return this.refreshLive();
        // A refusal stands in the status area until the next change replaces it.
        const area = document.getElementById("auction-status");
        if (area) {
          area.textContent = bidRefusal(answer);
          area.classList.remove("empty");
          area.classList.add("refusal");
        }
        input.focus(); // a refusal changes nothing: the next stream event refreshes the area
      });
    });
  }

  onAuction(m) {
    if (m.server_time) this.offset = clockOffset(m.server_time, Date.now());
    const a = m.auction;
    if (!a) return;
    const last = this.seqs.get(a.id);
    if (last !== undefined && a.seq <= last) return; // already shown (index and page both deliver)
    this.seqs.set(a.id, a.seq);
    if (this.single && String(a.id) === this.single.dataset.auctionId) {
      applyState(this.single, a);
      if (!LIVE.includes(a.status)) showResult(this.single, a);
      this.refreshLive();
    } else if (this.index) {
      const tile = this.index.querySelector('[data-auction-id="' + a.id + '"]');
      if (!tile) return;
      applyState(tile, a);
      if (!LIVE.includes(a.status)) {
        tile.querySelector("[data-countdown]").textContent = a.status === "closed" ? "sold" : a.status.replace("_", " ");
      }
    }
  }

  onStanding(m) {
    if (m.type !== "auction.standing") return;
    const single = this.single;
    const el =
      single && String(m.auction_id) === single.dataset.auctionId
        ? single
        : this.index && this.index.querySelector('[data-auction-id="' + m.auction_id + '"]');
    if (!el) return;
    const badge = el.querySelector("[data-standing]");
    const text = m.event === "settled" ? "sold" : m.event;
    if (badge) showStanding(badge, text);
    const live = document.getElementById("auction-status-live");
    if (live) live.textContent = "You are " + text + " on " + m.symbol + ".";
    if (el === single) this.refreshLive();
  }

  start() {
    const live = document.createElement("p");
    live.id = "auction-status-live";
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    document.body.appendChild(live);
    const onAuction = (m) => this.onAuction(m);
    if (this.single) {
      this.bindBidForm();
      this.streams.subscribe("auction", this.single.dataset.auctionId, onAuction);
      this.seqs.set(Number(this.single.dataset.auctionId), Number(this.single.dataset.seq));
    } else {
      for (const tile of this.index.querySelectorAll("[data-auction-id]")) {
        this.seqs.set(Number(tile.dataset.auctionId), Number(tile.dataset.seq));
      }
      this.streams.subscribe("auction", null, onAuction);
    }
    this.streams.subscribe("orders", null, (m) => this.onStanding(m));
    this.streams.onStatus((status) => {
      this.root.dataset.stream = status;
    });
    this.tick();
    setInterval(() => this.tick(), 250);
  }
}

// One auction's page or the index, whichever this page is.
export function bindAuctions() {
  const single = document.getElementById("auction");
  const index = document.getElementById("auction-index");
  if (!single && !index) return;
  new AuctionsPage(single, index).start();
}
