// The API keys page: copy a new key's id and secret in one click; ask before revoking a key.
import { bindNotices } from "./notices.js";

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", () => {
    const done = (text) => {
      button.textContent = text;
      setTimeout(() => {
        button.textContent = "Copy";
      }, 2000);
    };
    if (!navigator.clipboard) return done("Select and copy");
    navigator.clipboard.writeText(button.dataset.copy).then(
      () => done("Copied"),
      () => done("Select and copy"),
    );
  });
}
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

bindNotices();
