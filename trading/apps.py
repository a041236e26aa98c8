from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"
    verbose_name = "Trading"

    def ready(self) -> None:
        # marketdata may not import trading: it reads our trades through the port it defines.
        from marketdata import activity
        from trading.activity import TradesActivity

        activity.register(TradesActivity())

        from marketdata import price_watch
        from trading.alerts.services import after_reference_moves

        price_watch.register(after_reference_moves)
