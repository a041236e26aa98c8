// The auction countdown on the server's clock: every auction message carries `server_time` and
// the page starts from the time it was rendered, so a browser whose clock is off still shows
// the true time left. Pure: the browser's clock is passed in.

// Server minus browser, in ms (0 when the server's time cannot be read).
export function clockOffset(serverTime, browserNow) {
  const server = Date.parse(serverTime);
  return Number.isNaN(server) ? 0 : server - browserNow;
}

// Time left until `endsAt` on the server's clock: {text: "4:05" | "1:02:03" | "closing…",
// soon: the last 30 seconds, over: the end has passed}.
export function timeLeft(endsAt, offset, browserNow) {
  const ms = Date.parse(endsAt) - (browserNow + offset);
  if (ms <= 0) return { text: "closing…", soon: true, over: true };
  const s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const text = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
  return { text, soon: s <= 30, over: false };
}
