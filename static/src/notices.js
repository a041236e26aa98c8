// Notices on every page a signed-in user has open: outbid on an auction, won or lost at its
// close, from the private stream (the page's one socket). The auction's own page says it in its
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

function notice(text, href, linkText, kind) {
  const node = document.createElement("div");
  node.className = "toast notice " + kind;
  node.dataset.notice = "auction";
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

export function bindNotices() {
  if (document.body.dataset.signedIn === undefined || !window.WebSocket) return;
  const here = document.getElementById("auction");
  const hereId = here ? here.dataset.auctionId : null;
  const seen = new Set();
  const streams = shared();
  streams.onStatus((status) => {
    document.body.dataset.notices = status; // connecting / live / offline (tests read it)
  });
  streams.subscribe("orders", null, (m) => {
    if (m.type !== "auction.standing" || !Object.hasOwn(NOTICE_WORDS, m.event)) return;
    if (String(m.auction_id) === hereId) return; // that page's status area says it
    const key = m.auction_id + ":" + m.event + ":" + m.current_price;
    if (seen.has(key)) return; // one page may hear a message twice across a reconnect
    seen.add(key);
    const [text, linkText, kind] = NOTICE_WORDS[m.event](m);
    notice(text, "/auctions/" + encodeURIComponent(m.auction_id) + "/", linkText, kind);
  });
}
