// The review queue: what waits for a person, crisis first (the API's order), with the
// evidence, claim, uphold / overturn with a note, and acknowledge for escalations.

import { api, explainError, session } from "./api.js";
import { age, announce, append, clear, el, webLink, when } from "./dom.js";

// Items this moderator opened (claimed), with the decision the claim handed back.
const opened = new Map();

function evidenceList(evidence) {
  return el(
    "ul",
    {},
    evidence.map((e) => el("li", {}, el("mark", {}, e.text), ` (${e.field}, found by ${e.matcher})`)),
  );
}

function openedEvidence(decision) {
  return decision.matches.map((match) =>
    el(
      "div",
      { class: "rule" },
      el("strong", {}, `${match.policy}/${match.rule}`),
      ` — ${match.category}, ${match.severity}`,
      match.description ? el("div", { class: "meta" }, match.description) : null,
      match.evidence.length ? evidenceList(match.evidence) : el("p", {}, "No words: the rule read other signals."),
    ),
  );
}

function evidenceBox(entry, blurred, refresh) {
  const box = el("div", { class: "evidence", id: `evidence-${entry.decision_id}`, tabindex: "-1" });
  const mine = opened.get(entry.decision_id);
  if (mine) {
    append(box, [el("p", { class: "meta" }, "Evidence (opened by you):"), openedEvidence(mine)]);
    return box;
  }
  if (entry.evidence) {
    append(box, [el("p", { class: "meta" }, "Evidence:"), evidenceList(entry.evidence)]);
    return box;
  }
  if (blurred) {
    // Exposure to crisis content is the moderator's choice: the words stay out of the page
    // (not merely blurred on screen) until they open the item, which claims it.
    box.classList.add("is-hidden");
    const open = el(
      "button",
      {
        type: "button",
        class: "secondary",
        "aria-controls": box.id,
        "aria-expanded": "false",
        onclick: () => claim(entry, refresh, true),
      },
      entry.crisis ? "Open crisis evidence" : "Open evidence",
    );
    append(box, [
      el(
        "p",
        {},
        entry.crisis
          ? "This post may be about someone at risk. Its words are hidden until you open it (opening claims it)."
          : "Evidence is hidden until you open it (opening claims it).",
      ),
      open,
    ]);
  }
  return box;
}

async function claim(entry, refresh, toOpen) {
  try {
    const claimed = await api.claim(entry.decision_id, session.moderator);
    opened.set(entry.decision_id, claimed.decision);
    announce(
      toOpen
        ? `Opened and claimed until ${new Date(claimed.claimed_until).toLocaleTimeString()}.`
        : `Claimed until ${new Date(claimed.claimed_until).toLocaleTimeString()}: no other moderator can claim it meanwhile.`,
    );
    await refresh();
    document.getElementById(`evidence-${entry.decision_id}`)?.focus();
  } catch (error) {
    announce(explainError(error), true);
  }
}

async function review(entry, outcome, note, refresh) {
  try {
    await api.review(entry.decision_id, outcome, session.moderator, note);
    opened.delete(entry.decision_id);
    announce(`${outcome === "upheld" ? "Upheld" : "Overturned"}: the item left the queue.`);
    await refresh();
    document.getElementById("queue-title").focus();
  } catch (error) {
    announce(explainError(error), true);
  }
}

async function acknowledge(entry, refresh) {
  try {
    const escalation = await api.acknowledge(entry.decision_id, session.moderator);
    announce(`Escalation acknowledged by ${escalation.acknowledged_by}: reminders stop.`);
    await refresh();
  } catch (error) {
    announce(explainError(error), true);
  }
}

function item(entry, blurred, refresh) {
  const heading = `item-${entry.decision_id}`;
  const mine = entry.claimed_by === session.moderator;
  const badges = [
    entry.crisis ? el("span", { class: "badge crisis" }, "Crisis") : null,
    el("span", { class: "badge" }, `Severity: ${entry.severity}`),
    el("span", { class: "badge" }, `Verdict: ${entry.verdict}`),
    entry.acknowledged === true ? el("span", { class: "badge ok" }, `Acknowledged by ${entry.acknowledged_by}`) : null,
    entry.acknowledged === false ? el("span", { class: "badge crisis" }, "Not acknowledged") : null,
  ];
  const note = el("textarea", { id: `note-${entry.decision_id}`, rows: 2, maxlength: 2000 });
  const controls = el(
    "div",
    { class: "actions" },
    mine
      ? null
      : el(
          "button",
          { type: "button", class: "secondary", "aria-describedby": heading, onclick: () => claim(entry, refresh) },
          "Claim",
        ),
    entry.acknowledged === false
      ? el(
          "button",
          { type: "button", class: "danger", "aria-describedby": heading, onclick: () => acknowledge(entry, refresh) },
          "Acknowledge escalation",
        )
      : null,
    el("div", { class: "note" }, el("label", { for: note.id }, "Note for your review (optional)"), note),
    el(
      "button",
      { type: "button", "aria-describedby": heading, onclick: () => review(entry, "upheld", note.value, refresh) },
      "Uphold",
    ),
    el(
      "button",
      { type: "button", "aria-describedby": heading, onclick: () => review(entry, "overturned", note.value, refresh) },
      "Overturn",
    ),
    el("a", { href: `#decision/${encodeURIComponent(entry.decision_id)}` }, "History"),
  );
  return el(
    "li",
    {},
    el(
      "article",
      { class: entry.crisis ? "item is-crisis" : "item", "aria-labelledby": heading, "data-decision": entry.decision_id },
      el("h3", { id: heading }, badges, el("span", {}, entry.rules.join(", "))),
      el(
        "p",
        { class: "meta" },
        "Received ",
        when(entry.received_at),
        ` (${age(entry.received_at)})`,
        entry.categories.length ? ` · ${entry.categories.join(", ")}` : "",
        entry.claimed_by ? ` · claimed by ${entry.claimed_by}` : "",
      ),
      entry.post_url ? el("p", {}, webLink(entry.post_url, "Read the post on its platform")) : null,
      evidenceBox(entry, blurred, refresh),
      controls,
    ),
  );
}

export async function showQueue() {
  const list = document.getElementById("queue-items");
  const refresh = showQueue;
  let queue;
  try {
    queue = await api.queue(session.moderator);
  } catch (error) {
    announce(explainError(error), true);
    return;
  }
  const notice = document.getElementById("queue-notice");
  const capped = queue.crisis_cap > 0 && queue.crisis_in_row >= queue.crisis_cap;
  notice.hidden = !capped;
  notice.textContent = capped
    ? `You have opened ${queue.crisis_in_row} crisis items in a row: other work comes first for you now. ` +
      "Crisis items are still listed below; take a break if you need one."
    : "";
  const waiting = new Set(queue.items.map((e) => e.decision_id));
  for (const decision of [...opened.keys()]) {
    if (!waiting.has(decision)) {
      opened.delete(decision);
    }
  }
  clear(list);
  append(
    list,
    queue.items.map((entry) => item(entry, queue.evidence_blurred, refresh)),
  );
  document.getElementById("queue-empty").hidden = queue.items.length > 0;
  const crises = queue.items.filter((e) => e.crisis).length;
  return { waiting: queue.items.length, crises };
}
