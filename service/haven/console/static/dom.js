// Building the page: elements and text nodes only. Post text is hostile input, so nothing
// here parses a string as HTML (no innerHTML, no insertAdjacentHTML): text is always text.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === "class") {
      node.className = value;
    } else if (name.startsWith("on")) {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// `text` with each [start, end) span wrapped in <mark>; overlapping spans are joined. Haven
// counts offsets in code points (Python's), so the text is cut by code point, not UTF-16 unit.
export function marked(text, spans) {
  const chars = Array.from(text);
  const sorted = spans
    .filter((s) => s.start < s.end && s.start >= 0 && s.end <= chars.length)
    .sort((a, b) => a.start - b.start);
  const joined = [];
  for (const span of sorted) {
    const last = joined[joined.length - 1];
    if (last && span.start <= last.end) {
      last.end = Math.max(last.end, span.end);
    } else {
      joined.push({ start: span.start, end: span.end });
    }
  }
  const cut = (from, to) => chars.slice(from, to).join("");
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const span of joined) {
    fragment.append(cut(at, span.start), el("mark", {}, cut(span.start, span.end)));
    at = span.end;
  }
  fragment.append(cut(at));
  return fragment;
}

export function when(iso) {
  if (!iso) {
    return "";
  }
  const date = new Date(iso);
  return el("time", { datetime: iso, title: date.toISOString() }, date.toLocaleString());
}

export function age(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} min ago`;
  }
  if (seconds < 86400) {
    return `${Math.round(seconds / 3600)} h ago`;
  }
  return `${Math.round(seconds / 86400)} days ago`;
}

// A link only to a web page: a post's address comes from the platform (or whoever posted),
// and a javascript: or data: address must never become clickable.
export function webLink(address, label) {
  try {
    const url = new URL(address);
    if (url.protocol === "https:" || url.protocol === "http:") {
      return el("a", { href: url.href, rel: "noopener noreferrer", target: "_blank" }, label);
    }
  } catch {
    // not an address at all: shown as text below
  }
  return el("span", {}, `${label} (${address})`);
}

const status = () => document.getElementById("status");

// One line in the live region, read out by screen readers.
export function announce(message, isError = false) {
  const line = status();
  line.classList.toggle("is-error", isError);
  line.textContent = message;
}
