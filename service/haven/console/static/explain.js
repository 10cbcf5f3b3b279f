// For policy authors: POST /v1/policies/explain, then the text with the evidence marked, the
// rules that fired, and why nearby rules did not.

import { api, ApiError, explainError } from "./api.js";
import { announce, append, clear, el, marked } from "./dom.js";

function spans(decision, field) {
  return decision.matches.flatMap((m) => m.evidence.filter((e) => e.field === field));
}

function policyErrors(error) {
  const errors = (error instanceof ApiError && error.problem.errors) || [];
  return el(
    "ul",
    {},
    errors.map((e) => el("li", {}, `line ${e.line}, column ${e.column}: ${e.message}`, e.hint ? ` (${e.hint})` : "")),
  );
}

export function setUpExplain() {
  const form = document.getElementById("explain-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const title = form.elements.title.value;
    const text = form.elements.text.value;
    const policy = form.elements.policy.value.trim();
    const result = clear(document.getElementById("explain-result"));
    if (!text.trim()) {
      announce("Enter a text to explain.", true);
      form.elements.text.focus();
      return;
    }
    const request = { text, title };
    if (policy) {
      request.policy = policy;
    }
    let explained;
    try {
      explained = await api.explain(request);
    } catch (error) {
      const message = error.status === 403 ? "Explaining needs an admin key (a policy author's)." : explainError(error);
      append(result, [el("p", { class: "error" }, message), policyErrors(error)]);
      announce(message, true);
      return;
    }
    const decision = explained.decision;
    const fired = decision.matches;
    append(result, [
      el("h3", {}, `Verdict: ${decision.verdict}`),
      title ? el("p", { class: "explained", "aria-label": "Title, evidence marked" }, marked(title, spans(decision, "title"))) : null,
      el("p", { class: "explained", "aria-label": "Text, evidence marked" }, marked(text, spans(decision, "body"))),
      el("h3", {}, fired.length ? "Rules that fire" : "No rule fires"),
      el(
        "ul",
        { class: "fired" },
        fired.map((m) =>
          el(
            "li",
            {},
            el("strong", {}, `${m.policy}/${m.rule}`),
            ` — ${m.category}, ${m.severity}, ${m.verdict} (${m.mode}, layer ${m.layer})`,
            m.description ? el("div", { class: "meta" }, m.description) : null,
            m.evidence.length
              ? el(
                  "div",
                  {},
                  "Evidence: ",
                  m.evidence.map((e, i) => [i ? ", " : "", el("mark", {}, e.text), ` (${e.matcher})`]),
                )
              : null,
          ),
        ),
      ),
      explained.not_fired.length ? el("h3", {}, "Near misses") : null,
      explained.not_fired.length ? el("ul", {}, explained.not_fired.map((line) => el("li", {}, line))) : null,
    ]);
    announce(
      fired.length
        ? `${fired.length} rule${fired.length === 1 ? "" : "s"} fire: verdict ${decision.verdict}.`
        : "No rule fires on this text.",
    );
  });
}
