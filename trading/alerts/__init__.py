"""Price alerts and the notification list, trading's wing (beside `trading.auctions`).

- `services`: arm and delete alerts, fire the ones a price reached (once, by a guarded
  UPDATE), record notifications; run after the commit of a trade or of a price-pull round;
- `selectors`: the reads (a user's alerts, notifications, the bell's unread count);
- `messages`: `alert.fired`, the private stream message;
- `apis`, `views` and `context_processors`: the doors (`/api/v1/alerts`, `/api/v1/notifications`,
  `/alerts/`, `/notifications/`, the bell in every page's top bar).

It lives in `trading` because what fires an alert is trading's: its trades, and the price a
position is marked at. The models stay in `trading.models` (`PriceAlert`, `Notification`).
"""
