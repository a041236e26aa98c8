// Small DOM helpers the live tables share.

// A node with attributes (null and undefined are left out) and text.
export function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// The "nothing here yet" note under a table: gone once it has rows, back when it is empty.
export function hideEmptyNote(node) {
  const card = node.closest(".card") || node.parentElement;
  const note = card && card.querySelector(".empty-note");
  if (note) note.remove();
}

export function showEmptyNote(node, text) {
  const card = node.closest(".card") || node.parentElement;
  if (!card || card.querySelector(".empty-note")) return;
  card.append(el("p", { class: "muted empty-note" }, text));
}

// The session's CSRF token from the page's form (empty when the page has none).
export function formToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

// A fetch answered as {ok, status, body}; a network failure is status 0 with no body.
export function answerOf(request) {
  return request
    .then((response) =>
      response
        .json()
        .catch(() => null)
        .then((body) => ({ ok: response.ok, status: response.status, body })),
    )
    .catch(() => ({ ok: false, status: 0, body: null }));
}
