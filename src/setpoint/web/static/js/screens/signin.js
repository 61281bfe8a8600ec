import * as api from "../api.js";
import { h, mount } from "../dom.js";

export async function showSignIn(root, app) {
  const email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", {
    id: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = h("p", { class: "error", role: "alert" });
  const submit = async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await api.signIn(email.value.trim(), password.value);
      app.navigate("/");
    } catch (e) {
      error.textContent =
        e instanceof api.ApiError ? e.message : "The server cannot be reached. Try again.";
    }
  };
  mount(
    root,
    h(
      "form",
      { class: "card narrow", onsubmit: submit },
      h("h1", {}, "Sign in"),
      h("label", { for: "email" }, "Email"),
      email,
      h("label", { for: "password" }, "Password"),
      password,
      error,
      h("button", { type: "submit", class: "primary" }, "Sign in"),
    ),
  );
  email.focus();
}
