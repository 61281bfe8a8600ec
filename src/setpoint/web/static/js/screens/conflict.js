// Starting a workout while another session is active on any device: resume that one, or
// discard it and start the new one.

import { h } from "../dom.js";

/** `name` names what was to be started. */
export function conflictDialog(root, active, name, { resume, discard }) {
  const choose = (action) => async () => {
    dialog.close();
    await action();
  };
  const dialog = h(
    "dialog",
    { "aria-labelledby": "conflict-title", "aria-describedby": "conflict-text" },
    h("h2", { id: "conflict-title" }, "A session is already running"),
    h(
      "p",
      { id: "conflict-text" },
      `${active.workout_name} is ${active.status.replace("_", " ")}, maybe on another device. ` +
        `Resume it, or discard it and start ${name}?`,
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      h("button", { type: "button", onclick: choose(discard) }, "Discard and start new"),
      h("button", { type: "button", class: "primary", onclick: choose(resume) }, "Resume"),
    ),
  );
  dialog.addEventListener("close", () => dialog.remove());
  root.append(dialog);
  dialog.showModal();
}
