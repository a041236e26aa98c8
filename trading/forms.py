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
    qty = forms.CharField(label="Quantity (shares)", max_length=40)
    limit_price = forms.CharField(label="Limit price", max_length=40, required=False)
    time_in_force = forms.ChoiceField(
        label="Time in force",
        choices=Order.TimeInForce.choices,
        initial=Order.TimeInForce.DAY,
    )

    def clean(self):
        data = super().clean()
        if data.get("type") == "market":
            data["limit_price"] = None
        return data
