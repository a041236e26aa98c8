// Order ticket: hide the limit price for market orders, colour the button by side.
(function () {
  const form = document.getElementById("order-ticket");
  if (!form) return;
  const type = form.querySelector("[name=type]");
  const price = form.querySelector("[data-field-name=limit_price]");
  const button = form.querySelector("button[type=submit]");
  function refresh() {
    if (price) price.style.display = type.value === "market" ? "none" : "";
    const side = (form.querySelector("[name=side]:checked") || {}).value || "buy";
    button.className = "button wide " + side;
    button.textContent = (side === "buy" ? "Buy" : "Sell") + " " + (type.value === "market" ? "at market" : "limit");
  }
  form.addEventListener("change", refresh);
  refresh();
})();
