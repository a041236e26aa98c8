"""Writes on orders, trades and positions, by responsibility:

- `orders`: place and replace (validate, match, settle, write);
- `cancels`: cancel, cancel-all, the day's expiry, staff cancels;
- `settlement`: one execution's cash and shares between buyer and seller (`fill_settle`);
- `locks`: the lock order every transaction follows, written once;
- `book_levels`: the aggregated book and its sequence;
- `parsing`: quantities, prices and choices from clients;
- `positions`: staff grants of shares;
- `stock_settings`: a stock's tick, lot and band (staff);
- `watchlists`, `configuration`: a user's lists and trading configuration.
"""

from trading.services.cancels import order_cancel, order_cancel_all, orders_expire_day
from trading.services.orders import order_place, order_replace
from trading.services.positions import position_grant
from trading.services.stock_settings import stock_update

__all__ = [
    "order_cancel",
    "order_cancel_all",
    "order_place",
    "order_replace",
    "orders_expire_day",
    "position_grant",
    "stock_update",
]
