"""The order ticket."""

from django import forms

from trading.models import Order, Side


class OrderTicketForm(forms.Form):
    """Buy or sell: the service checks the rules, this form only shapes the input."""

    side = forms.ChoiceField(choices=Side.choices, widget=forms.RadioSelect, initial=Side.BUY)
    type = forms.ChoiceField(
        choices=[(Order.Type.LIMIT, "Limit"), (Order.Type.MARKET, "Market")],
        initial=Order.Type.LIMIT,
    )
    qty = forms.CharField(
        label="Quantity (shares)",
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
        ),
    )
    limit_price = forms.CharField(
        label="Limit price ($)",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    time_in_force = forms.ChoiceField(
        label="Time in force",
        # One spelling across the site: "canceled", as the order statuses have it.
        choices=[
            (Order.TimeInForce.DAY, "Day (until today's close)"),
            (Order.TimeInForce.GTC, "Good till canceled"),
            (Order.TimeInForce.IOC, "Immediate or cancel"),
            (Order.TimeInForce.FOK, "Fill or kill"),
        ],
        initial=Order.TimeInForce.DAY,
    )

    def clean(self):
        data = super().clean()
        if data.get("type") == "market":
            data["limit_price"] = None
        return data


class BidForm(forms.Form):
    """A maximum price per share; the auction service checks everything else."""

    max_price = forms.CharField(
        label="Your maximum per share",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
