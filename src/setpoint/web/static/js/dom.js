// A tiny element builder: h("button", {type: "button", onclick}, "Pause").

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) if (child) el.append(child);
  return el;
}

/** Replace the contents of `root` with `children`. */
export function mount(root, ...children) {
  root.replaceChildren();
  append(root, children);
}

let fieldCount = 0;

/** A label and its control, tied by a fresh id (a control nested in its label would take
 * the selected option's text into its accessible name). */
export function field(label, control, { hint = null, className = "field" } = {}) {
  if (!control.id) control.id = `f${++fieldCount}`;
  return h("div", { class: className }, h("label", { for: control.id }, label), control, hint);
}
