"""Timed auctions, trading's wing: a lot of shares to the highest bidder, with proxy bidding
and a soft close.

- `rules`: the pure price rules (ladder, increments, lowest next bid, standing, soft close);
- `services`: the writes (create, bids, close and cancel), under the house's lock order;
- `scheduler`: the clock (a close task at each end, the beat sweep, its hooks);
- `selectors`: the reads; `events` and `messages`: what a transaction did, as stream messages;
- `apis` and `views`: the doors (`/api/v1/auctions`, `/auctions/`).

The models stay in `trading.models` (`Auction`, `Bid`).
"""
