"""The order ticket."""

from django import forms

from core.errors import DomainError


class OrderTicketForm(forms.Form):
    """Buy or sell: the service checks the rules, this form only shapes the input."""

    side = forms.ChoiceField(
        choices=[("buy", "Buy"), ("sell", "Sell")], widget=forms.RadioSelect, initial="buy"
    )
    type = forms.ChoiceField(choices=[("limit", "Limit"), ("market", "Market")], initial="limit")
    qty = forms.CharField(label="Quantity (shares)", max_length=40)
    limit_price = forms.CharField(label="Limit price", max_length=40, required=False)
    time_in_force = forms.ChoiceField(
        label="Time in force",
        choices=[
            ("day", "Day"),
            ("gtc", "Good till cancelled"),
            ("ioc", "Immediate or cancel"),
            ("fok", "Fill or kill"),
        ],
        initial="day",
    )

    def clean(self):
        data = super().clean()
        if data.get("type") == "market":
            data["limit_price"] = None
        return data

    def add_domain_error(self, exc: DomainError) -> None:
        """Show a refused order on the fields it concerns, or above the form."""
        placed = False
        for name in exc.fields:
            if name in self.fields:
                self.add_error(name, exc.message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)
