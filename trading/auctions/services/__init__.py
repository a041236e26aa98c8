"""The auctions' writes, by step: `create` (offer a lot), `bids` (proxy bidding, the soft
close), `close` (settle the winner or return the lot; cancel). The price rules they apply are
`trading.auctions.rules`; the clock that calls the close is `trading.auctions.scheduler`.

Money rules as on the book: a bid reserves its maximum × the lot (fees included) through the
accounts services; when it is outbid that reservation is released in the same transaction,
once. The seller's shares are reserved for the auction's lifetime. The close settles the
winner through the one fill settlement (`settlement.fill_settle`) as an auction print.

Locks: the stock's book (only where shares move: create, close, cancel), then the auction
row, then accounts (ascending id, once), then positions — the order of `locks`, with the
auction between the book and the accounts. The auction row is locked FOR NO KEY UPDATE (its
key never changes): inserting a bid, whose foreign key takes a key-share lock on it, is then
never held up by another bid's lock. The server is the clock: every time here is
`timezone.now()` under the auction's lock.
"""
