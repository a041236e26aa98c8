// Auctions, live: prices, bid counts, reserve and standings from the `auction` stream, and
// countdowns on the server's clock (every message carries server_time; the page starts from
// the time it was rendered), so a browser whose clock is off still shows the true time left.
(function () {
  "use strict";
  const single = document.getElementById("auction");
  const index = document.getElementById("auction-index");
  const root = single || index;
  if (!root || !window.BrokerageStreams) return;

  let offset = Date.parse(root.dataset.serverTime) - Date.now(); // server minus browser, ms
  const seqs = new Map();
  const streams = BrokerageStreams.shared();

  function fmt(price) {
    return price === null || price === undefined ? "—" : Number(price).toFixed(2);
  }

  function left(endsAt) {
    const ms = Date.parse(endsAt) - (Date.now() + offset);
    if (ms <= 0) return { text: "closing…", soon: true, over: true };
    const s = Math.ceil(ms / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const text = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
    return { text: text, soon: s <= 30, over: false };
  }

  function tick() {
    for (const el of document.querySelectorAll("[data-ends-at]")) {
      const box = el.querySelector("[data-countdown]") || (el === single && single.querySelector("[data-countdown]"));
      if (!box || (el.dataset.status && !["open", "scheduled"].includes(el.dataset.status))) continue;
      const t = left(el.dataset.endsAt);
      box.textContent = t.text;
      box.classList.toggle("soon", t.soon);
    }
  }

  function reserveBadge(el, met) {
    const badge = el.querySelector("[data-reserve]");
    if (!badge) return;
    badge.textContent = met ? "reserve met" : "reserve not met";
    badge.className = "badge " + (met ? "ok" : "muted");
  }

  function applyState(el, a) {
    el.dataset.endsAt = a.ends_at;
    el.dataset.status = a.status;
    const current = el.querySelector("[data-current]");
    if (current) current.textContent = a.current_price ? fmt(a.current_price) : "opens " + fmt(a.start_price);
    const bids = el.querySelector("[data-bids]");
    if (bids) bids.textContent = a.bid_count + (a.bid_count === 1 ? " bid" : " bids");
    reserveBadge(el, a.reserve_met);
    const minNext = el.querySelector("[data-min-next]");
    if (minNext && a.min_next_bid) minNext.textContent = fmt(a.min_next_bid);
    // The bid box keeps the minimum filled in, unless the bidder is typing a price of their own.
    const input = el.querySelector("#id_max_price");
    if (input && a.min_next_bid && document.activeElement !== input &&
        !(Number(input.value) >= Number(a.min_next_bid))) {
      input.value = fmt(a.min_next_bid);
    }
    const extended = el.querySelector("[data-extended]");
    if (extended) extended.hidden = !a.extended;
    el.classList.add("flash");
    setTimeout(() => el.classList.remove("flash"), 800);
  }

  function showResult(a) {
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
      text.innerHTML = "Sold at " + fmt(a.sold_price) + " a share" +
        (won ? ': <strong>you won</strong> — the shares are in your <a href="/portfolio/">portfolio</a>.' : ".");
    } else {
      text.textContent = a.status === "no_sale" ? "No sale: the reserve was not met." : "Canceled.";
    }
  }

  // The status area and the bid history as the server has them now. Replies may cross: only
  // the latest request's answer is shown, so nothing older ever replaces something newer.
  let asked = 0;
  function refreshLive() {
    if (!single || !single.dataset.liveSource) return Promise.resolve();
    const mine = ++asked;
    return fetch(single.dataset.liveSource, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => {
        if (html === null || mine !== asked) return;
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
        if (badge && standing) {
          badge.hidden = false;
          badge.textContent = standing;
          badge.className = "badge standing-" + standing;
        }
      })
      .catch(() => {}); // offline for a moment: the next event asks again
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // A bid goes over the API in place: no reload, the scroll and the focus stay.
  function bindBidForm() {
    const form = single && document.getElementById("bid-form");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = form.querySelector("#id_max_price");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      fetch("/api/v1/auctions/" + encodeURIComponent(single.dataset.auctionId) + "/bids", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ max_price: input.value.trim() }),
      })
        .then((response) => response.json().catch(() => null).then((body) => ({ ok: response.ok, status: response.status, body: body })))
        .catch(() => ({ ok: false, status: 0, body: { message: "No connection to the server: no bid was sent." } }))
        .then((answer) => {
          button.disabled = false;
          if (answer.ok) return refreshLive();
          // A refusal stands in the status area until the next change replaces it.
          const area = document.getElementById("auction-status");
          const text = answer.status === 429
            ? "Too many requests: wait a moment and try again."
            : (answer.body && answer.body.message) || "The bid could not be placed. Try again.";
          if (area) {
            area.textContent = text;
            area.classList.remove("empty");
            area.classList.add("refusal");
          }
          input.focus(); // a refusal changes nothing: the next stream event refreshes the area
        });
    });
  }
  function onAuction(m) {
    if (m.server_time) offset = Date.parse(m.server_time) - Date.now();
    const a = m.auction;
    if (!a) return;
    const last = seqs.get(a.id);
    if (last !== undefined && a.seq <= last) return; // already shown (index and page both deliver)
    seqs.set(a.id, a.seq);
    if (single && String(a.id) === single.dataset.auctionId) {
      applyState(single, a);
      if (!["open", "scheduled"].includes(a.status)) showResult(a);
      refreshLive();
    } else if (index) {
      const tile = index.querySelector('[data-auction-id="' + a.id + '"]');
      if (tile) {
        applyState(tile, a);
        if (!["open", "scheduled"].includes(a.status)) {
          tile.querySelector("[data-countdown]").textContent = a.status === "closed" ? "sold" : a.status.replace("_", " ");
        }
      }
    }
  }

  function onStanding(m) {
    if (m.type !== "auction.standing") return;
    const el = single && String(m.auction_id) === single.dataset.auctionId
      ? single : index && index.querySelector('[data-auction-id="' + m.auction_id + '"]');
    if (!el) return;
    let badge = el.querySelector("[data-standing]");
    const text = m.event === "settled" ? "sold" : m.event;
    if (badge) {
      badge.hidden = false;
      badge.textContent = text;
      badge.className = "badge standing-" + text;
    }
    const live = document.getElementById("auction-status-live");
    if (live) live.textContent = "You are " + text + " on " + m.symbol + ".";
    if (el === single) refreshLive();
  }

  const live = document.createElement("p");
  live.id = "auction-status-live";
  live.className = "visually-hidden";
  live.setAttribute("aria-live", "polite");
  document.body.appendChild(live);

  if (single) {
    bindBidForm();
    streams.subscribe("auction", single.dataset.auctionId, onAuction);
    seqs.set(Number(single.dataset.auctionId), Number(single.dataset.seq));
  } else {
    for (const tile of index.querySelectorAll("[data-auction-id]")) seqs.set(Number(tile.dataset.auctionId), Number(tile.dataset.seq));
    streams.subscribe("auction", null, onAuction);
  }
  streams.subscribe("orders", null, onStanding);
  streams.onStatus((status) => { root.dataset.stream = status; });
  tick();
  setInterval(tick, 250);
})();
