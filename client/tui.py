"""`brokerage tui SYMBOL`: one symbol live in the terminal, with Textual.

The book ladder (depth bars, your own levels marked), the tape, a sparkline of trade prices,
your open orders and positions, and an order ticket, all from the websocket (`client.stream`)
with the REST API (`client.api`) for orders and account reads. Keyboard driven:

    up/down   pick a book level (the ticket takes its price)   left/right  price -/+ one tick
    0-9, ⌫    type the quantity      + / -  quantity -/+ one lot      t  time in force
    m         market / limit         b / s  buy / sell                c  cancel (level, else newest)
    x         cancel all             r      refresh                   q  quit

REST calls block, so they run in threads; the stream runs as an asyncio worker.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Sparkline, Static

from client import format as fmt
from client.api import TIME_IN_FORCE, Client, ClientError
from client.stream import Book, Stream

TAPE_SIZE = 40
SPARK_POINTS = 120
FAILED = object()  # what `_rest` answers when the server refused (None is a valid answer)


class BookLadder(Widget):
    """Asks above, bids below, a depth bar per level; the selected level is highlighted."""

    DEFAULT_CSS = "BookLadder { height: 1fr; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.book: Book | None = None
        self.mine: set[Decimal] = set()
        self.selected: Decimal | None = None

    def show(self, book: Book, mine: set[Decimal] | None = None) -> None:
        self.book = book
        if mine is not None:
            self.mine = mine
        self.refresh()

    @property
    def depth(self) -> int:
        return max(1, (self.size.height - 1) // 2) if self.size.height else 10

    def rows(self) -> list[tuple[str, Decimal, Decimal]]:
        """(side, price, qty) top to bottom as drawn: asks high to low, then bids high to low."""
        if self.book is None:
            return []
        asks = list(reversed(self.book.levels("sell", self.depth)))
        bids = self.book.levels("buy", self.depth)
        return [("sell", p, q) for p, q in asks] + [("buy", p, q) for p, q in bids]

    def move(self, step: int) -> tuple[str, Decimal, Decimal] | None:
        rows = self.rows()
        if not rows:
            return None
        prices = [price for _, price, _ in rows]
        if self.selected in prices:
            index = min(max(prices.index(self.selected) + step, 0), len(rows) - 1)
        else:  # start at the touch: the best ask going up, the best bid going down
            asks = sum(1 for side, _, _ in rows if side == "sell")
            index = max(asks - 1, 0) if step < 0 else min(asks, len(rows) - 1)
        self.selected = rows[index][1]
        self.refresh()
        return rows[index]

    def render(self) -> Text:
        rows = self.rows()
        if self.book is None or not self.book.synced:
            return Text("waiting for the book...", style="dim")
        if not rows:
            return Text("the book is empty", style="dim")
        width = max(self.size.width, 30)
        bar_room = max(width - 22, 4)
        biggest = max(qty for _, _, qty in rows)
        out = Text()
        best_ask, best_bid = self.book.best_ask, self.book.best_bid
        for side, price, qty in rows:
            if side == "buy" and best_bid and price == best_bid[0]:
                spread = f" spread {fmt.money(best_ask[0] - best_bid[0])}" if best_ask else ""
                out.append(f"{spread:─^{width}}\n", style="dim")
            colour = "green" if side == "buy" else "red"
            mark = "•" if price in self.mine else " "
            bar = "█" * max(1, round(bar_room * qty / biggest))
            style = "reverse" if price == self.selected else ""
            out.append(f"{mark}{fmt.money(price):>10} {fmt.qty(qty):>8} ", style=style)
            out.append(f"{bar}\n", style=colour)
        out.rstrip()
        return out


class Tape(Static):
    """The latest trades, newest first."""

    def __init__(self, **kwargs) -> None:
        super().__init__("no trades yet", **kwargs)
        self.trades: list[dict] = []

    def show(self, trades: list[dict]) -> None:
        self.trades = trades[:TAPE_SIZE]
        lines = Text()
        for trade in self.trades:
            colour = "green" if trade["taker_side"] == "buy" else "red"
            lines.append(f"{fmt.clock(iso=trade['time'])[:8]} ", style="dim")
            lines.append(f"{fmt.money(trade['price']):>10} {fmt.qty(trade['qty']):>7}\n", colour)
        lines.rstrip()
        self.update(lines if self.trades else "no trades yet")


class TradingApp(App):
    """One symbol's market and your orders in it."""

    TITLE = "Brokerage"
    CSS = """
    Screen { layout: vertical; }
    #title { height: 1; background: $primary; color: $text; padding: 0 1; }
    #main { height: 1fr; }
    #left { width: 38; }
    #middle { width: 36; }
    #right { width: 1fr; }
    BookLadder, #tape, #orders, #positions, #ticket, Sparkline { border: round $secondary; }
    #ticket { height: 5; padding: 0 1; }
    Sparkline { height: 5; }
    #tape { height: 1fr; }
    #orders { height: 1fr; }
    #positions { height: 1fr; }
    #status { height: 1; padding: 0 1; background: $panel; }
    DataTable { scrollbar-size-horizontal: 0; }
    """
    BINDINGS = [
        Binding("b", "place('buy')", "Buy"),
        Binding("s", "place('sell')", "Sell"),
        Binding("c", "cancel", "Cancel"),
        Binding("x", "cancel_all", "Cancel all"),
        Binding("up", "level(-1)", "Level up", show=False),
        Binding("down", "level(1)", "Level down", show=False),
        Binding("left", "nudge(-1)", "-tick", show=False),
        Binding("right", "nudge(1)", "+tick", show=False),
        Binding("plus,equals_sign", "lots(1)", "+lot", show=False),
        Binding("minus", "lots(-1)", "-lot", show=False),
        Binding("t", "cycle_tif", "TIF"),
        Binding("m", "toggle_market", "Mkt/Lmt"),
        Binding("r", "refresh_all", "Refresh"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, client: Client, symbol: str, *, stream: Stream | None = None) -> None:
        super().__init__()
        self.client = client
        self.symbol = symbol.upper()
        self.stream = stream or Stream(
            client.ws_url,
            symbols=[self.symbol],
            key_id=client.key_id,
            secret_key=client.secret_key,
            retry_first_connect=True,
        )
        self.stock: dict = {}
        self.tick = Decimal("0.01")
        self.lot = Decimal("1")
        self.qty_text = "10"
        self.price: Decimal | None = None
        self.market = False
        self.tif = "gtc"
        self.open_orders: list[dict] = []
        self.trades: list[dict] = []
        self.closes: list[float] = []
        self.qty_fresh = True  # the next digit typed starts a new quantity
        self.last_price: str | None = None
        self.connection = "connecting"
        self._refreshing = False

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(id="title")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield BookLadder(id="book")
                yield Static(id="ticket")
            with Vertical(id="middle"):
                yield Sparkline([], id="spark")
                yield Tape(id="tape")
            with Vertical(id="right"):
                yield DataTable(id="orders", show_cursor=False)
                yield DataTable(id="positions", show_cursor=False)
        yield Static(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#book").border_title = f"{self.symbol} book"
        self.query_one("#ticket").border_title = "ticket"
        self.query_one("#spark").border_title = "trade prices"
        self.query_one("#tape").border_title = "tape"
        orders = self.query_one("#orders", DataTable)
        orders.border_title = "open orders"
        orders.add_columns("side", "qty", "filled", "limit", "tif", "status")
        positions = self.query_one("#positions", DataTable)
        positions.border_title = "positions"
        positions.add_columns("symbol", "qty", "avg cost", "unrealized")
        for table in (orders, positions):
            table.can_focus = False  # the arrows belong to the book ladder
        self.set_status("connecting...")
        self.run_worker(self._load_stock(), group="rest")
        self.run_worker(self._load_candles(), group="rest")
        self.set_interval(60, lambda: self.run_worker(self._load_candles(), group="rest"))
        self.run_worker(self._run_stream(), group="stream")
        self.run_worker(self._refresh_account(), group="rest")
        self._draw_title()
        self._draw_ticket()

    # ------------------------------------------------------------------ drawing
    def set_status(self, text: str, error: bool = False) -> None:
        self.query_one("#status", Static).update(Text(text, style="bold red" if error else ""))

    def _draw_title(self) -> None:
        stock = self.stock
        change = ""
        if stock.get("change") is not None:
            change = f"  {fmt.signed(stock['change'])} ({fmt.pct(stock['change_pct'])})"
        last = f"  last {fmt.money(self.last_price)}" if self.last_price else ""
        name = stock.get("name", "")
        title = Text(f"{self.symbol}  {name}  ref {fmt.money(stock.get('reference_price'))}")
        title.append(change)
        title.append(last, style="bold")
        title.append(f"   {self.connection}", style="green" if self.connection == "live" else "red")
        self.query_one("#title", Static).update(title)

    def _draw_ticket(self) -> None:
        price = "market" if self.market else (fmt.money(self.price) if self.price else "-")
        self.query_one("#ticket", Static).update(
            f"qty {self.qty_text or '?'}   price {price}   tif {self.tif}\n"
            "[b]b[/b]uy  [b]s[/b]ell  ↑↓ level  ←→ tick  0-9 qty"
        )

    def _draw_book(self) -> None:
        book = self.stream.books.get(self.symbol)
        if book is None:
            return
        mine = {Decimal(o["limit_price"]) for o in self.open_orders if o.get("limit_price")}
        ladder = self.query_one(BookLadder)
        ladder.show(book, mine)
        if self.price is None and book.synced:
            touch = book.best_bid or book.best_ask
            if touch:
                self.price = touch[0]
                self._draw_ticket()

    def _draw_trades(self) -> None:
        self.query_one(Tape).show(self.trades)
        if self.trades:
            self.last_price = self.trades[0]["price"]
            self._draw_spark(self.last_price)
        self._draw_title()

    def _draw_spark(self, latest: str | None = None) -> None:
        """One-minute closes, the forming minute's point moved to the latest price."""
        if latest is not None and self.closes:
            self.closes[-1] = float(latest)
        # Floats for drawing only: no money is ever computed from them.
        self.query_one(Sparkline).data = list(self.closes)

    def _draw_orders(self, orders: list[dict], positions: list[dict]) -> None:
        self.open_orders = [o for o in orders if o["symbol"] == self.symbol]
        table = self.query_one("#orders", DataTable)
        table.clear()
        for o in self.open_orders:
            table.add_row(
                o["side"],
                fmt.qty(o["qty"]),
                fmt.qty(o["filled_qty"]),
                fmt.money(o["limit_price"]) if o.get("limit_price") else "mkt",
                o["time_in_force"],
                o["status"],
                key=o["id"],
            )
        table = self.query_one("#positions", DataTable)
        table.clear()
        for p in positions:
            table.add_row(
                p["symbol"],
                fmt.qty(p["qty"]),
                fmt.money(p["avg_entry_price"]),
                fmt.signed(p["unrealized_pl"]),
            )
        self._draw_book()

    # ------------------------------------------------------------------ data
    async def _rest(self, fn, *args, **kwargs):
        """A blocking REST call in a thread; a refusal becomes the status line, not a crash."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except ClientError as exc:
            self.set_status(exc.message, error=True)
            return FAILED

    async def _load_stock(self) -> None:
        stock = await self._rest(self.client.stock, self.symbol)
        if stock is not FAILED:
            self.stock = stock
            self.tick = Decimal(stock["tick_size"])
            self.lot = Decimal(stock["lot_size"])
            self._draw_title()

    async def _load_candles(self) -> None:
        candles = await self._rest(self.client.candles, self.symbol, "1m")
        if candles is not FAILED:
            self.closes = [float(c["close"]) for c in candles["candles"][-SPARK_POINTS:]]
            self._draw_spark(self.last_price)

    async def _refresh_account(self) -> None:
        if self._refreshing:
            return
        self._refreshing = True
        try:
            orders = await self._rest(self.client.orders, status="open", limit=200)
            positions = await self._rest(self.client.positions)
            if orders is not FAILED and positions is not FAILED:
                self._draw_orders(orders, positions)
        finally:
            self._refreshing = False

    async def _run_stream(self) -> None:
        try:
            async for event in self.stream.events():
                self._on_event(event)
        except ClientError as exc:
            self.connection = "stopped"
            self._draw_title()
            self.set_status(f"stream stopped: {exc.message}", error=True)

    def _on_event(self, event: dict) -> None:
        kind = event["type"]
        if kind == "connected":
            self.connection = "live"
            self._draw_title()
            self.set_status("live" + (" again" if event["reconnect"] else ""))
            if event["reconnect"]:
                self.run_worker(self._refresh_account(), group="rest")
        elif kind == "disconnected":
            self.connection = "offline"
            self._draw_title()
            self.set_status(f"{event['reason']}; reconnecting in {event['retry_in']:.1f}s")
        elif kind in ("book.snapshot", "book.delta"):
            self._draw_book()
        elif kind == "trades.snapshot":
            self.trades = sorted(event["trades"], key=lambda t: -t["seq"])
            self._draw_trades()
        elif kind == "trades":
            self.trades = sorted(event["trades"], key=lambda t: -t["seq"]) + self.trades
            self.trades = self.trades[:SPARK_POINTS]
            self._draw_trades()
        elif kind == "quote":
            self.stock.update(
                reference_price=event["price"],
                change=event["change"],
                change_pct=event["change_pct"],
            )
            if not self.trades:
                self._draw_spark(event["price"])
            self._draw_title()
        elif kind == "orders":
            for item in event["events"]:
                order = item["order"]
                if item["fills"]:
                    self.set_status(f"{item['event']}: {fmt.order_line(order)}")
            self.run_worker(self._refresh_account(), group="rest")
        elif kind == "error":
            self.set_status(f"server: {event.get('message')}", error=True)

    # ------------------------------------------------------------------ keys
    def on_key(self, event) -> None:
        if event.character and event.character.isdigit():
            typed = "" if self.qty_fresh else self.qty_text
            self.qty_text = (typed + event.character).lstrip("0")[:9]
            self.qty_fresh = False
            self._draw_ticket()
            event.stop()
        elif event.key == "backspace":
            self.qty_text = self.qty_text[:-1]
            self._draw_ticket()
            event.stop()

    def action_level(self, step: int) -> None:
        row = self.query_one(BookLadder).move(step)
        if row is not None:
            self.price, self.market = row[1], False
            self._draw_ticket()

    def action_nudge(self, ticks: int) -> None:
        if self.price is None:
            return
        self.price = max(self.tick, self.price + self.tick * ticks)
        self.market = False
        self._draw_ticket()

    def action_lots(self, lots: int) -> None:
        qty = self._qty() or Decimal(0)
        self.qty_text = str(max(self.lot, qty + self.lot * lots).normalize())
        self._draw_ticket()

    def action_cycle_tif(self) -> None:
        self.tif = TIME_IN_FORCE[(TIME_IN_FORCE.index(self.tif) + 1) % len(TIME_IN_FORCE)]
        self._draw_ticket()

    def action_toggle_market(self) -> None:
        self.market = not self.market
        self._draw_ticket()

    def action_refresh_all(self) -> None:
        self.run_worker(self._refresh_account(), group="rest")

    def _qty(self) -> Decimal | None:
        try:
            qty = Decimal(self.qty_text)
        except InvalidOperation:
            return None
        return qty if qty > 0 else None

    async def action_place(self, side: str) -> None:
        qty = self._qty()
        if qty is None:
            self.set_status("type a quantity first", error=True)
            return
        if not self.market and self.price is None:
            self.set_status("pick a price level first (arrows)", error=True)
            return
        order = await self._rest(
            self.client.place_order,
            symbol=self.symbol,
            qty=qty,
            side=side,
            limit_price=None if self.market else self.price,
            time_in_force=self.tif,
        )
        if order is not FAILED:
            self.qty_fresh = True
            self.set_status(fmt.order_line(order))
            await self._refresh_account()

    async def action_cancel(self) -> None:
        if not self.open_orders:
            self.set_status("no open orders to cancel", error=True)
            return
        selected = self.query_one(BookLadder).selected
        here = [
            o
            for o in self.open_orders
            if o.get("limit_price") and Decimal(o["limit_price"]) == selected
        ]
        target = (here or self.open_orders)[0]  # the server lists newest first
        if await self._rest(self.client.cancel, target["id"]) is not FAILED:
            self.set_status(f"canceled {fmt.order_line(target)}")
        await self._refresh_account()

    async def action_cancel_all(self) -> None:
        canceled = await self._rest(self.client.cancel_all)
        if canceled is not FAILED:
            self.set_status(f"canceled {len(canceled)} orders")
        await self._refresh_account()

    async def on_unmount(self) -> None:
        await self.stream.close()


def run_tui(client: Client, symbol: str) -> int:
    client.stock(symbol)  # an unknown symbol or a bad key fails here, in one line
    client.account()
    TradingApp(client, symbol).run()
    return 0
