// Pages with order tables but no chart (orders, activity): the connection badge and toasts.
import "./live_start.js"; // first: the socket and the live tables, before this page's code
import { bindConnectionBadges, toast, on } from "./live.js";
import { orderToast } from "./ticket_math.js";
import { bindNotices } from "./notices.js";

bindConnectionBadges();
on("orders", (message) => {
  for (const event of message.events || []) {
    const t = orderToast(event);
    if (t) toast(t.text, t.kind);
  }
});

bindNotices();
