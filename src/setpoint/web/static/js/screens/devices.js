// An athlete's device connections: Connect Garmin / Connect Wahoo (only the providers this
// server is configured for), the primary choice and Disconnect. A coach sees the same card
// without the buttons (connecting is the athlete's own OAuth consent).

import * as api from "../api.js";
import { h } from "../dom.js";
import { providerName } from "../plan.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** The card, filled now and refilled by `card.refresh()`; `onChange` runs after a change that
 * moves the athlete's exports (primary, disconnect). */
export function devicesCard(app, { athleteId = null, editable = false, onChange = () => {} }) {
  const body = h("div", {});
  const card = h(
    "section",
    { class: "card devices", "aria-labelledby": "devices-title" },
    h("h2", { id: "devices-title" }, "Devices"),
    body,
  );

  const act = async (work) => {
    try {
      await work();
    } catch (error) {
      app.fail(error);
    }
    await card.refresh();
  };

  const connect = (provider) =>
    act(async () => {
      const { authorize_url } = await api.connectDevice(provider);
      location.assign(authorize_url); // the provider sends the browser back to /?device=…
    });

  card.refresh = async () => {
    let answer;
    try {
      answer = await api.devices(athleteId);
    } catch (error) {
      app.fail(error);
      return;
    }
    const byProvider = Object.fromEntries(answer.items.map((d) => [d.provider, d]));
    const connected = answer.items.filter((d) => d.status === "connected");
    card.connected = connected.length;
    const primary = connected.find((d) => d.primary) ?? (connected.length === 1 ? connected[0] : null);
    const rows = answer.providers.map((provider) => {
      const device = byProvider[provider];
      const name = providerName(provider);
      let state = "Not connected";
      if (device?.status === "connected") state = `Connected since ${dateTime.format(new Date(device.connected_at))}`;
      if (device?.status === "revoked") state = `${name} withdrew access: connect again`;
      return h(
        "li",
        { "aria-label": name },
        h(
          "div",
          {},
          h("strong", {}, name),
          h("span", { class: device?.status === "revoked" ? "error" : "muted" }, state),
        ),
        editable &&
          h(
            "div",
            { class: "actions" },
            device?.status !== "connected" &&
              h("button", { type: "button", class: "primary", onclick: () => connect(provider) }, `Connect ${name}`),
            device &&
              h(
                "button",
                {
                  type: "button",
                  onclick: () =>
                    act(async () => {
                      await api.disconnectDevice(provider);
                      app.say(`${name} disconnected.`);
                      onChange();
                    }),
                },
                "Disconnect",
              ),
          ),
      );
    });
    const readOnlyChoice =
      primary && h("p", {}, "Workouts go to ", h("strong", {}, providerName(primary.provider)), ".");
    const choice =
      connected.length > 0 &&
      editable &&
      h(
        "fieldset",
        { class: "primary-choice" },
        h("legend", {}, "Send workouts to"),
        connected.map((d) =>
          h(
            "label",
            { class: "radio" },
            h("input", {
              type: "radio",
              name: `primary-${athleteId ?? "me"}`,
              value: d.provider,
              checked: primary?.provider === d.provider,
              onchange: () =>
                act(async () => {
                  await api.makePrimary(d.provider);
                  onChange();
                }),
            }),
            providerName(d.provider),
          ),
        ),
      );
    body.replaceChildren(
      answer.providers.length === 0
        ? h("p", { class: "muted" }, "This server is not set up for any device provider.")
        : h("ul", { class: "workouts" }, rows),
      (editable ? choice : readOnlyChoice) || "",
      connected.length === 0 && answer.providers.length > 0
        ? h("p", { class: "muted" }, "Endurance sessions wait (NOT_CONNECTED) until a device is connected.")
        : "",
    );
  };

  return card;
}
