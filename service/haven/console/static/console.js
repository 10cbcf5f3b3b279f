// The console's entry: sign-in, and the views by the address's fragment
// (#queue, #history, #decision/<id> as alerts link to it, #explain).

import { call, explainError, session } from "./api.js";
import { announce } from "./dom.js";
import { setUpExplain } from "./explain.js";
import { showHistory } from "./history.js";
import { showQueue } from "./queue.js";

const VIEWS = ["sign-in", "queue", "history", "explain"];
const $ = (id) => document.getElementById(id);

function show(view) {
  for (const name of VIEWS) {
    $(`view-${name}`).hidden = name !== view;
  }
  for (const name of ["queue", "history", "explain"]) {
    const link = $(`nav-${name}`);
    if (name === view) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  const signedIn = Boolean(session.key);
  $("nav").hidden = !signedIn;
  $("who").hidden = !signedIn;
  $("who-name").textContent = signedIn ? `Signed in as ${session.moderator}` : "";
}

async function route() {
  if (!session.key) {
    show("sign-in");
    return;
  }
  const fragment = decodeURIComponent(location.hash.slice(1));
  const [view, ...rest] = fragment.split("/");
  if (view === "decision" || view === "history") {
    show("history");
    await showHistory(rest.join("/"));
  } else if (view === "explain") {
    show("explain");
  } else {
    show("queue");
    const counts = await showQueue();
    if (counts) {
      announce(
        counts.waiting
          ? `${counts.waiting} item${counts.waiting === 1 ? "" : "s"} waiting, ${counts.crises} of them crisis.`
          : "Nothing is waiting for a person.",
      );
    }
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const key = form.elements.key.value.trim();
  const moderator = form.elements.moderator.value.trim();
  const error = $("sign-in-error");
  const refuse = (message, field) => {
    error.textContent = message;
    field.setAttribute("aria-invalid", "true");
    field.focus();
    announce(message, true);
  };
  form.elements.key.removeAttribute("aria-invalid");
  form.elements.moderator.removeAttribute("aria-invalid");
  if (!key) {
    refuse("Enter your API key.", form.elements.key);
    return;
  }
  if (!moderator) {
    refuse("Enter your name: reviews and acknowledgements carry it.", form.elements.moderator);
    return;
  }
  try {
    // Any call the key may make says whether Haven knows it; the queue is the console's home.
    await call("GET", "/v1/queue?limit=1", undefined, key);
  } catch (failure) {
    const message =
      failure.status === 401
        ? "Haven does not know this API key. Check that you pasted all of it, or ask your operator for one."
        : failure.status === 403
          ? "This API key lacks the review scope: ask your operator for a moderator's key."
          : explainError(failure);
    refuse(message, form.elements.key);
    return;
  }
  error.textContent = "";
  form.reset();
  session.start(key, moderator);
  announce(`Signed in as ${moderator}.`);
  if (!location.hash || location.hash === "#sign-in") {
    location.hash = "#queue";
  } else {
    await route();
  }
  $("main").focus();
}

function signOut() {
  session.end();
  location.hash = "";
  show("sign-in");
  announce("Signed out: the key is forgotten.");
  $("sign-in-key").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("queue-refresh").addEventListener("click", () => route());
  $("history-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("history-id").value.trim();
    location.hash = `#decision/${encodeURIComponent(id)}`;
  });
  setUpExplain();
  window.addEventListener("hashchange", () => route());
  route();
});
