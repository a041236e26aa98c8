// What a trader does to a row of an order table, over the API and in place (no reload, the
// scroll and the focus stay): modify an open limit order, cancel one, cancel all. The row
// follows the answer at once and the stream's update after it (never backwards: updated_at).
import { el, answerOf, formToken } from "./dom.js";

function showRowError(row, after, text) {
  let note = row.querySelector("[data-cancel-error]");
  if (!note) {
    note = el("span", { class: "error small", "data-cancel-error": "", role: "alert" });
    after.after(note);
  }
  note.textContent = text;
}

// The row's last fill figures, for the status the answer implies before the stream says it.
function filledSoFar(row) {
  const filled = row.querySelector("[data-field=filled_qty]");
  const avg = row.querySelector("[data-field=filled_avg_price]");
  return {
    filled_qty: filled ? filled.textContent : "0",
    filled_avg_price: avg && avg.textContent ? avg.textContent : null,
  };
}

function saveModified(table, row, fields, save, box, done) {
  save.disabled = true;
  const request = fetch("/api/v1/orders/" + encodeURIComponent(row.dataset.orderId), {
    method: "PATCH",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": formToken() },
    body: JSON.stringify({ qty: fields.qty.value.trim(), limit_price: fields.limit.value.trim() }),
  });
  answerOf(request).then((answer) => {
    if (answer.ok) {
      done();
      table.update(row, { status: "replaced", reason: "replaced", ...filledSoFar(row) });
      return;
    }
    save.disabled = false;
    const text =
      answer.status === 0
        ? "No connection to the server: nothing was changed."
        : (answer.body && answer.body.message) || "The order could not be changed.";
    showRowError(row, box, text);
  });
}

// Modify an open limit order in place: its quantity and price become fields; Save replaces it
// over the API (a new order takes its place: the stream drops the old row, adds the new).
function startModify(table, button, row) {
  row.dataset.editing = "true";
  const qtyCell = row.querySelector("[data-field=qty]");
  const limitCell = row.querySelector("[data-field=limit_price]");
  const before = [qtyCell.textContent, limitCell.textContent];
  const qty = el("input", { class: "inline-input", inputmode: "numeric", "aria-label": "New quantity", value: before[0].trim() });
  const limit = el("input", { class: "inline-input", inputmode: "decimal", "aria-label": "New limit price", value: before[1].trim() });
  qtyCell.replaceChildren(qty);
  limitCell.replaceChildren(limit);
  const save = el("button", { type: "button", class: "button small primary", "data-modify-save": "" }, "Save");
  const keep = el("button", { type: "button", class: "button small" }, "Keep");
  const box = el("span", { class: "modify-box" });
  box.append(save, keep);
  button.replaceWith(box);
  qty.focus();
  const done = () => {
    delete row.dataset.editing;
    qtyCell.textContent = before[0];
    limitCell.textContent = before[1];
    box.replaceWith(button);
  };
  keep.addEventListener("click", done);
  save.addEventListener("click", () => saveModified(table, row, { qty, limit }, save, box, done));
}

// Cancel all, after asking: one request; each row follows the answer (and the stream).
function bindCancelAll(table) {
  const cancelAll = table.cancelAll;
  if (!cancelAll) return;
  cancelAll.addEventListener("click", () => {
    const open = table.body.querySelectorAll("tr[data-open=true]").length;
    if (!open || !window.confirm(`Cancel all ${open} open order${open === 1 ? "" : "s"}?`)) return;
    cancelAll.disabled = true;
    fetch("/api/v1/orders", {
      method: "DELETE",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": formToken() },
    })
      .then((response) => response.json())
      .then((answers) => {
        for (const answer of answers) {
          const row = table.body.querySelector('tr[data-order-id="' + CSS.escape(answer.id) + '"]');
          if (row && answer.body) table.update(row, answer.body);
        }
      })
      .catch(() => {})
      .finally(() => {
        cancelAll.disabled = false;
      });
  });
}

function cancelRefusal(answer) {
  if (answer.status === 0) return "No connection to the server: nothing was canceled.";
  if (answer.status === 429) return "Too many requests: wait a moment and try again.";
  return (answer.body && answer.body.message) || "The order could not be canceled.";
}

// Cancel in place over the API.
function cancelRow(table, form, row) {
  const button = form.querySelector("button");
  if (button) button.disabled = true;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  const request = fetch("/api/v1/orders/" + encodeURIComponent(row.dataset.orderId), {
    method: "DELETE",
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
  });
  answerOf(request).then((answer) => {
    if (answer.ok) {
      // 204: canceled. The row says so now; the stream's message (with the time) follows.
      table.update(row, { status: "canceled", reason: "user_requested", ...filledSoFar(row) });
      return;
    }
    if (button) button.disabled = false;
    showRowError(row, form, cancelRefusal(answer));
  });
}

export function bindOrderActions(table) {
  table.body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-modify]");
    const row = button && button.closest("tr[data-order-id]");
    if (row && !row.dataset.editing) startModify(table, button, row);
  });
  bindCancelAll(table);
  table.body.addEventListener("submit", (event) => {
    const form = event.target.closest("form");
    const row = form && form.closest("tr[data-order-id]");
    if (!row || !/\/cancel\/$/.test(form.getAttribute("action") || "")) return;
    event.preventDefault();
    cancelRow(table, form, row);
  });
}
