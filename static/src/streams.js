// Brokerage live streams: one websocket to /ws/, many subscriptions, kept alive for the page.
//
//   const client = shared();
//   client.subscribe("book", "AAPL", (book) => ..., { depth: 50 });   // a LiveBook, on every change
//   client.subscribe("trades", "AAPL", (msg) => ...);  // {kind: "snapshot"|"trades", trades: [...]}
//   client.subscribe("quotes", "AAPL", (quote) => ...);
//   client.subscribe("orders", null, (msg) => ...);    // the signed-in user's order updates
//   client.subscribe("auction", "12", (msg) => ...);   // one auction (null: every auction)
//   client.onStatus((status) => ...);                    // "connecting" | "live" | "offline"
//
// What it guarantees: after a reconnect (exponential back-off with full jitter) every
// subscription is made again; a book is rebuilt from its snapshot and deltas whose `seq` rises
// by exactly one, and a gap (or a snapshot too shallow for what is shown) asks for a fresh
// snapshot; trades follow their own `seq` the same way; the private orders channel resumes
// from its last `seq` (`since_seq`), each message once.
import { LiveBook } from "./live_book.js";

export { LiveBook };

// What the client needs from the browser; tests hand it a scripted socket and clock.
function browser() {
  return {
    WebSocket: globalThis.WebSocket,
    location: globalThis.location,
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
    clearInterval: (id) => globalThis.clearInterval(id),
    now: () => Date.now(),
    random: () => Math.random(),
  };
}

function defaultUrl(location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return scheme + "//" + location.host + "/ws/";
}

function keyOf(channel, symbol) {
  return channel + ":" + (symbol || "");
}

export class Client {
  constructor(options = {}) {
    this.env = { ...browser(), ...(options.env || {}) };
    this.url = options.url || defaultUrl(this.env.location);
    this.baseDelay = options.baseDelay || 500;
    this.maxDelay = options.maxDelay || 30000;
    this.idleTimeout = options.idleTimeout || 60000;
    this.subs = new Map(); // "channel:symbol" -> {channel, symbol, opts, handlers}
    this.books = new Map();
    this.tradeSeq = new Map();
    // The last private `orders` seq seen: resubscribing with it as `since_seq` (after a
    // reconnect, to whichever server answers, or after a gap) replays what was missed.
    this.ordersSeq = null;
    this.ordersResyncing = false;
    this.statusHandlers = [];
    this.errorHandlers = [];
    this.attempt = 0;
    this.ws = null;
    this.status = "offline";
    this.stopped = false;
    this.lastMessageAt = 0;
    this.nextId = 1;
    this.pendingIds = new Map(); // request id -> subscription key, to retry refused subscribes
    this._connect();
    this._keepalive = this.env.setInterval(() => this._checkAlive(), 15000);
  }

  onStatus(handler) {
    this.statusHandlers.push(handler);
    handler(this.status);
  }

  onError(handler) {
    this.errorHandlers.push(handler);
  }

  subscribe(channel, symbol, handler, opts) {
    symbol = symbol ? String(symbol).toUpperCase() : null;
    const key = keyOf(channel, symbol);
    let sub = this.subs.get(key);
    if (!sub) {
      sub = { channel, symbol, opts: opts || {}, handlers: new Set() };
      this.subs.set(key, sub);
      this._sendSubscribe(sub);
    }
    sub.handlers.add(handler);
    return () => {
      sub.handlers.delete(handler);
      if (sub.handlers.size === 0) {
        this.subs.delete(key);
        this._send({ action: "unsubscribe", channel, symbol });
      }
    };
  }

  close() {
    this.stopped = true;
    this.env.clearInterval(this._keepalive);
    if (this.ws) this.ws.close(1000);
  }

  _setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    for (const handler of this.statusHandlers) handler(status);
  }

  _connect() {
    if (this.stopped) return;
    this._setStatus("connecting");
    let ws;
    try {
      ws = new this.env.WebSocket(this.url);
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastMessageAt = this.env.now();
      for (const sub of this.subs.values()) this._sendSubscribe(sub);
    };
    ws.onmessage = (event) => {
      this.lastMessageAt = this.env.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      this._handle(message);
    };
    ws.onclose = () => this._closed(ws);
    ws.onerror = () => {}; // onclose follows and does the work
  }

  _closed(ws) {
    if (this.ws !== ws) return;
    this.ws = null;
    for (const book of this.books.values()) book.synced = false;
    this.tradeSeq.clear();
    this.ordersResyncing = false;
    this._setStatus("offline");
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    if (this.stopped) return;
    this.attempt += 1;
    // Full jitter: a restarted server is not hit by every open tab in the same instant.
    const ceiling = Math.min(this.maxDelay, this.baseDelay * Math.pow(2, this.attempt));
    this.env.setTimeout(() => this._connect(), this.env.random() * ceiling);
  }

  _checkAlive() {
    if (!this.ws || this.ws.readyState !== 1) return;
    if (this.env.now() - this.lastMessageAt > this.idleTimeout) {
      this.ws.close(); // half-open: onclose reconnects
      return;
    }
    this._send({ action: "ping" });
  }

  _send(message) {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false; // sent on (re)connect instead
  }

  _sendSubscribe(sub) {
    const id = this.nextId++;
    const message = { action: "subscribe", channel: sub.channel, id };
    if (sub.channel === "auction") {
      if (sub.symbol) message.auction_id = Number(sub.symbol);
    } else if (sub.symbol) {
      message.symbol = sub.symbol;
    }
    if (sub.channel === "book" && sub.opts.depth) message.depth = sub.opts.depth;
    if (sub.channel === "orders" && this.ordersSeq !== null) message.since_seq = this.ordersSeq;
    if (this._send(message)) this.pendingIds.set(id, keyOf(sub.channel, sub.symbol));
  }

  _resubscribe(channel, symbol) {
    const sub = this.subs.get(keyOf(channel, symbol));
    if (sub) this._sendSubscribe(sub);
  }

  _emit(channel, symbol, payload) {
    const sub = this.subs.get(keyOf(channel, symbol));
    if (!sub) return;
    for (const handler of sub.handlers) {
      try {
        handler(payload);
      } catch (e) {
        if (globalThis.console) globalThis.console.error(e);
      }
    }
  }

  _handle(m) {
    // pong, unsubscribed, authenticated, and types added later: nothing to do.
    if (m && typeof m.type === "string" && Object.hasOwn(HANDLERS, m.type)) HANDLERS[m.type].call(this, m);
  }

  _onBookSnapshot(m) {
    let book = this.books.get(m.symbol);
    if (!book) {
      book = new LiveBook(m.symbol);
      this.books.set(m.symbol, book);
    }
    book.load(m);
    this._emitBook(book);
  }

  _onBookDelta(m) {
    const book = this.books.get(m.symbol);
    if (!book) return;
    if (!book.apply(m)) {
      this._resubscribe("book", m.symbol); // a gap: start again from a fresh snapshot
      return;
    }
    this._emitBook(book);
  }

  _onTradesSnapshot(m) {
    this.tradeSeq.set(m.symbol, m.seq);
    this._emit("trades", m.symbol, { kind: "snapshot", symbol: m.symbol, seq: m.seq, trades: m.trades, day: m.day });
  }

  _onTrades(m) {
    const last = this.tradeSeq.get(m.symbol);
    if (last === undefined || m.seq <= last) return;
    if (m.first_seq !== last + 1) {
      this.tradeSeq.delete(m.symbol);
      this._resubscribe("trades", m.symbol);
      return;
    }
    this.tradeSeq.set(m.symbol, m.seq);
    this._emit("trades", m.symbol, { kind: "trades", symbol: m.symbol, seq: m.seq, trades: m.trades, ts: m.ts });
  }

  // What was missed since `since_seq` comes first, oldest first, each once.
  _onOrdersSnapshot(m) {
    this.ordersResyncing = false;
    if (this.ordersSeq !== null) {
      for (const missed of m.missed || []) {
        if (typeof missed.seq === "number" && missed.seq > this.ordersSeq) {
          this.ordersSeq = missed.seq;
          this._emit("orders", null, missed);
        }
      }
    }
    this.ordersSeq = Math.max(this.ordersSeq || 0, m.seq || 0);
  }

  _onPrivate(m) {
    if (typeof m.seq === "number") {
      if (this.ordersResyncing) return; // the replay asked for brings it
      if (this.ordersSeq !== null && m.seq <= this.ordersSeq) return; // had it already
      if (this.ordersSeq !== null && m.seq > this.ordersSeq + 1) {
        this.ordersResyncing = true; // a gap: the replay after our last seq brings it
        this._resubscribe("orders", null);
        return;
      }
      this.ordersSeq = m.seq;
    }
    this._emit("orders", null, m);
  }

  // One auction's subscribers and the index's both get it (the page drops repeats by seq).
  _onAuction(m) {
    this._emit("auction", m.auction_id === undefined ? null : String(m.auction_id), m);
    this._emit("auction", null, m);
  }

  _emitBook(book) {
    const sub = this.subs.get(keyOf("book", book.symbol));
    const shown = (sub && sub.opts.display) || 10;
    if (book.tooShallow(shown)) {
      book.synced = false;
      this._resubscribe("book", book.symbol);
      return;
    }
    this._emit("book", book.symbol, book);
  }

  _handleError(m) {
    const key = m.id !== undefined ? this.pendingIds.get(m.id) : undefined;
    if (key !== undefined) this.pendingIds.delete(m.id);
    // A busy server: try that subscription again shortly rather than going without it.
    if (key !== undefined && (m.code === "unavailable" || m.code === "rate_limited")) {
      this.env.setTimeout(() => {
        const sub = this.subs.get(key);
        if (sub) this._sendSubscribe(sub);
      }, 1000 + this.env.random() * 2000);
    }
    for (const handler of this.errorHandlers) handler(m);
  }
}

// Each message type the client acts on, and what it does (called with the client as `this`).
const HANDLERS = {
  hello() {
    this.attempt = 0; // a working connection resets the back-off
    this._setStatus("live");
  },
  subscribed(m) {
    if (m.id !== undefined) this.pendingIds.delete(m.id);
  },
  "book.snapshot": Client.prototype._onBookSnapshot,
  "book.delta": Client.prototype._onBookDelta,
  "trades.snapshot": Client.prototype._onTradesSnapshot,
  trades: Client.prototype._onTrades,
  quote(m) {
    this._emit("quotes", m.symbol, m);
  },
  candle(m) {
    this._emit("candles", m.symbol, m);
  },
  "orders.snapshot": Client.prototype._onOrdersSnapshot,
  orders: Client.prototype._onPrivate,
  "auction.standing": Client.prototype._onPrivate,
  "auction.snapshot": Client.prototype._onAuction,
  auction: Client.prototype._onAuction,
  error: Client.prototype._handleError,
};

// The page's one socket, shared by what runs on it (the live tables, the auctions, the notices
// every signed-in page shows). `opened()` is that socket if something has opened it, else null.
let sharedClient = null;

export function shared() {
  if (!sharedClient) sharedClient = new Client();
  return sharedClient;
}

export function opened() {
  return sharedClient;
}
