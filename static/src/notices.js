// Notices on every page a signed-in user has open: outbid on an auction, won or lost at its
// close, a price alert that fired; and the bell's unread count in the top bar, which grows with
// each fill and each alert (the server records one notification for each), all from the
// private stream (the page's one socket). The auction's own page says it in its
// status area instead. Every page's bundle calls bindNotices() last; it does nothing unless the
// page says a user is signed in (<body data-signed-in>).
import { shared } from "./streams.js";
import { money } from "./format.js";

// What each private auction event says: [text, link text, toast kind].
export const NOTICE_WORDS = {
  outbid: (m) => ["You were outbid on " + m.symbol + ": the price is now " + money(m.current_price) + " a share.", "Bid again", "down"],
  won: (m) => ["You won the " + m.symbol + " auction at " + money(m.current_price) + " a share.", "See it", "up"],
  lost: (m) => [
    "The " + m.symbol + " auction closed at " + money(m.current_price) + " a share: another bidder won; your held cash is released.",
    "See it",
    "info",
  ],
};

function box() {
  let node = document.getElementById("toasts");
  if (!node) {
    node = document.createElement("div");
    node.id = "toasts";
    node.className = "toasts";
    node.setAttribute("role", "status");
    node.setAttribute("aria-live", "polite");
    document.body.append(node);
  }
  return node;
}

function notice(text, href, linkText, kind, what = "auction") {
  const node = document.createElement("div");
  node.className = "toast notice " + kind;
  node.dataset.notice = what;
  node.append(text + " ");
  const link = document.createElement("a");
  link.href = href;
  link.textContent = linkText;
  node.append(link);
  box().append(node);
  // Long enough to act on; it stays while the pointer or the focus is on it.
  const leave = () => {
    if (node.matches(":hover, :focus-within")) return setTimeout(leave, 2000);
    node.classList.add("leaving");
    setTimeout(() => node.remove(), 600);
  };
  setTimeout(leave, 12000);
}

// How many notifications a private message adds: an alert that fired is one; an `orders`
// message one for each of its orders that filled (wholly or in part).
export function notificationsIn(m) {
  if (m.type === "alert.fired") return 1;
  if (m.type !== "orders" || !Array.isArray(m.events)) return 0;
  return m.events.filter((e) => Array.isArray(e.fills) && e.fills.length > 0).length;
}

// The bell's count, shown when there is anything unread.
export function bumpBell(bell, by) {
  if (!bell || by <= 0) return;
  const count = (Number.parseInt(bell.dataset.unread, 10) || 0) + by;
  bell.dataset.unread = String(count);
  bell.classList.add("has-unread");
  bell.setAttribute("aria-label", "Notifications, " + count + " unread");
  const badge = bell.querySelector("[data-bell-count]");
  if (badge) {
    badge.textContent = String(count);
    badge.hidden = false;
  }
}

export function bindNotices() {
  if (document.body.dataset.signedIn === undefined || !window.WebSocket) return;
  const here = document.getElementById("auction");
  const hereId = here ? here.dataset.auctionId : null;
  const seen = new Set();
  const streams = shared();
  streams.onStatus((status) => {
    document.body.dataset.notices = status; // connecting / live / offline (tests read it)
  });
  const bell = document.getElementById("bell");
  const fired = new Set();
  streams.subscribe("orders", null, (m) => {
    if (m.type === "alert.fired") {
      if (fired.has(m.alert_id)) return; // heard again across a reconnect
      fired.add(m.alert_id);
      bumpBell(bell, 1);
      notice(m.text, "/stocks/" + encodeURIComponent(m.symbol) + "/", "See " + m.symbol, "alert", "alert");
      return;
    }
    bumpBell(bell, notificationsIn(m));
    if (m.type !== "auction.standing" || !Object.hasOwn(NOTICE_WORDS, m.event)) return;
    if (String(m.auction_id) === hereId) return; // that page's status area says it
    const key = m.auction_id + ":" + m.event + ":" + m.current_price;
    if (seen.has(key)) return; // one page may hear a message twice across a reconnect
    seen.add(key);
    const [text, linkText, kind] = NOTICE_WORDS[m.event](m);
    notice(text, "/auctions/" + encodeURIComponent(m.auction_id) + "/", linkText, kind);
  });
}
