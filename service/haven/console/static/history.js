// One decision's history (GET /v1/decisions/{id}/history): the decision, then everything
// that followed in time order, with the deliveries and platform actions in tables.

import { api, explainError } from "./api.js";
import { announce, append, clear, el, webLink, when } from "./dom.js";

const KIND_WORDS = {
  received: "Post received",
  decided: "Decided",
  "escalation.opened": "Escalation opened",
  "escalation.reminder": "Reminder sent",
  "escalation.unacknowledged": "Unacknowledged: on-call list told",
  "escalation.acknowledged": "Escalation acknowledged",
  review: "Reviewed",
  webhook: "Webhook",
  action: "Platform action",
};

function table(caption, headings, rows) {
  if (!rows.length) {
    return el("p", {}, `${caption}: none.`);
  }
  return el(
    "table",
    {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, headings.map((h) => el("th", { scope: "col" }, h)))),
    el(
      "tbody",
      {},
      rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c)))),
    ),
  );
}

function summary(history) {
  const decision = history.decision;
  const escalation = history.escalation;
  return el(
    "div",
    {},
    el(
      "dl",
      {},
      el("dt", {}, "Verdict"),
      el("dd", {}, decision.verdict),
      el("dt", {}, "Policy version"),
      el("dd", {}, el("code", {}, decision.policy_version)),
      el("dt", {}, "Post"),
      el(
        "dd",
        {},
        `${decision.post.platform} ${decision.post.external_id} by ${decision.post.author_id}`,
        decision.post.url ? [" · ", webLink(decision.post.url, "read it on its platform")] : null,
      ),
      escalation ? el("dt", {}, "Escalation") : null,
      escalation
        ? el(
            "dd",
            {},
            escalation.acknowledged_at
              ? `acknowledged by ${escalation.acknowledged_by}`
              : escalation.unacknowledged_at
                ? "unacknowledged: the on-call list was told"
                : "open: not acknowledged yet",
            `, ${escalation.reminders_sent} reminder(s) sent`,
          )
        : null,
    ),
    el("h4", {}, "Rules that matched"),
    el(
      "ul",
      {},
      decision.matches.map((m) =>
        el(
          "li",
          {},
          el("strong", {}, `${m.policy}/${m.rule}`),
          ` — ${m.category}, ${m.severity}, ${m.mode}`,
          m.evidence.length ? [": ", m.evidence.map((e, i) => [i ? ", " : "", el("mark", {}, e.text)])] : "",
        ),
      ),
    ),
  );
}

export async function showHistory(decisionId) {
  const body = clear(document.getElementById("history-body"));
  document.getElementById("history-id").value = decisionId || "";
  if (!decisionId) {
    append(body, [el("p", {}, "Enter a decision id, or open one from the queue.")]);
    return;
  }
  let history;
  try {
    history = await api.history(decisionId);
  } catch (error) {
    const message =
      error.status === 404 ? "No decision with this id in your community." : explainError(error);
    append(body, [el("p", { class: "error" }, message)]);
    announce(message, true);
    return;
  }
  append(body, [
    summary(history),
    el("h3", {}, "Timeline"),
    el(
      "ol",
      { class: "timeline", "aria-label": "What happened, oldest first" },
      history.timeline.map((entry) =>
        el(
          "li",
          { "data-kind": entry.kind },
          when(entry.at),
          " ",
          el("strong", {}, KIND_WORDS[entry.kind] || entry.kind),
          entry.by ? ` by ${entry.by}` : "",
          entry.detail ? ` — ${entry.detail}` : "",
        ),
      ),
    ),
    el("h3", {}, "Reviews"),
    table(
      "Moderators' reviews",
      ["When", "Moderator", "Outcome", "Note"],
      history.reviews.map((r) => [when(r.created_at), r.moderator, r.outcome, r.note]),
    ),
    el("h3", {}, "Webhook deliveries"),
    table(
      "Webhook deliveries",
      ["Stored", "Event", "Status", "Attempts"],
      history.deliveries.map((d) => [when(d.created_at), d.event_type, d.status, String(d.attempts.length)]),
    ),
    el("h3", {}, "Platform actions"),
    table(
      "Platform actions",
      ["Action", "Platform", "Status", "Attempts"],
      history.actions.map((a) => [a.action.kind, a.action.platform, a.action.status, String(a.action.attempts)]),
    ),
  ]);
  announce(`History of decision ${decisionId}: ${history.timeline.length} events.`);
}
