from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from haven.domain import TextRange
from haven.policy import InMemoryCounterStore, PolicySet, evaluate, is_crisis_prone, load_policy_set
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import NOW, corpus_texts, default_pack, fired, judge, post

CRISIS = """\
id: crisis
description: Suicide and self-harm.
rules:
  - id: imminent
    category: crisis.suicide
    severity: critical
    description: A plan with timing.
    match:
      all:
        - phrases: ["kill myself", "end my life", "kms", "unalive myself"]
          fold: [leetspeak]
        - any:
            - phrases: ["tonight", "this weekend"]
            - regex: '\\b(?:goodbye|farewell)\\s+(?:everyone|all)\\b'
    unless:
      - near: {phrases: ["not", "never", "no longer", "used to"], within: 3}
    actions:
      - escalate: {priority: urgent}
      - reply: {template: crisis-resources, private: true}
  - id: ideation
    category: crisis.suicide
    severity: high
    match:
      phrases: ["kill myself", "suicid*", "want to die"]
      fold: [leetspeak]
    unless:
      - near: {phrases: ["not", "never", "no longer"], within: 3}
      - phrases: ["988", "crisis line"]
    actions:
      - escalate
      - reply: {template: crisis-resources, private: true}
  - id: tell-to-die
    category: community.harassment
    severity: high
    match:
      regex: '\\b(?:go|just) kill yourself\\b'
    verdict: remove
    actions: [remove, escalate]
"""


def test_a_plan_with_timing_escalates_urgently_with_resources(policy_set: Callable[[str], PolicySet]) -> None:
    decision = judge(policy_set(CRISIS), post("I'm going to end my life tonight. goodbye everyone", locale="en-US"))
    assert decision.verdict == "escalate"
    assert fired(decision) == ["crisis/imminent"]
    escalate = next(a for a in decision.actions if a.kind == "escalate")
    assert escalate.params["priority"] == "urgent"
    reply = next(a for a in decision.actions if a.kind == "reply")
    assert reply.target == "author"
    assert "988" in reply.params["text"]


def test_coded_and_obfuscated_language_is_caught(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(CRISIS)
    for text in ["k1ll mys3lf", "K\u200bILL MYSELF", "kill mys\u0435lf", "i'm suicidal"]:
        assert "crisis/ideation" in fired(judge(rules, post(text))), text


def test_whole_words_only(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(CRISIS)
    assert fired(judge(rules, post("skills myselfie"))) == []
    assert fired(judge(rules, post("skills, kill myself"))) == ["crisis/ideation"]


def test_negation_window_suppresses_denials(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(CRISIS)
    assert fired(judge(rules, post("I am not suicidal, just venting"))) == []
    assert fired(judge(rules, post("I would never kill myself"))) == []


def test_negation_does_not_reach_across_a_sentence(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(CRISIS)
    assert "crisis/ideation" in fired(judge(rules, post("Not good. Want to die")))


def test_veto_exception_skips_resource_sharing(policy_set: Callable[[str], PolicySet]) -> None:
    decision = judge(policy_set(CRISIS), post("If you're feeling suicidal, call or text 988"))
    assert fired(decision) == []
    assert decision.verdict == "allow"


def test_telling_someone_to_die_is_harassment_not_the_authors_crisis(
    policy_set: Callable[[str], PolicySet],
) -> None:
    decision = judge(policy_set(CRISIS), post("nobody cares, go kill yourself"))
    assert fired(decision) == ["crisis/tell-to-die"]
    assert decision.verdict == "remove"


def test_evidence_points_at_the_authors_characters(policy_set: Callable[[str], PolicySet]) -> None:
    body = "Honestly\u2026  I want to k\u200bill mys\u0435lf"
    decision = judge(policy_set(CRISIS), post(body, title="Can't go on"))
    evidence = decision.matches[0].evidence[0]
    assert evidence.field == "body"
    assert body[evidence.start : evidence.end] == evidence.text == "k\u200bill mys\u0435lf"


def test_title_evidence_is_reported_in_the_title(policy_set: Callable[[str], PolicySet]) -> None:
    decision = judge(policy_set(CRISIS), post("that's all", title="I want to die"))
    evidence = decision.matches[0].evidence[0]
    assert (evidence.field, evidence.start, evidence.end) == ("title", 2, 13)


def test_quoted_crisis_post_is_not_escalated_as_the_quoter(policy_set: Callable[[str], PolicySet]) -> None:
    quote = "I want to die"
    body = f"{quote}\n\nSending you love, please reach out to someone today."
    decision = judge(policy_set(CRISIS), post(body, quoted=[TextRange("body", 0, len(quote))]))
    assert decision.verdict == "allow"
    assert [m.rule for m in decision.quoted_matches] == ["ideation"]


def test_crisis_resources_follow_the_locale(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(CRISIS)
    uk = judge(rules, post("I want to die", locale="en-GB"))
    text = next(a for a in uk.actions if a.kind == "reply").params["text"]
    assert "Samaritans" in text and "988" not in text
    elsewhere = judge(rules, post("I want to die", locale="de-DE"))
    assert "findahelpline.com" in next(a for a in elsewhere.actions if a.kind == "reply").params["text"]


def test_actions_are_merged_and_the_strongest_subsumes(policy_set: Callable[[str], PolicySet]) -> None:
    decision = judge(policy_set(CRISIS), post("I will kill myself tonight"))
    kinds = [a.kind for a in decision.actions]
    assert kinds.count("escalate") == 1 and kinds.count("reply") == 1
    escalate = next(a for a in decision.actions if a.kind == "escalate")
    assert escalate.params["priority"] == "urgent"
    assert escalate.rules == ["crisis/imminent", "crisis/ideation"]


def test_decision_id_is_derived_from_the_post_identity(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(CRISIS)
    first = judge(rules, post("hello", external_id="x"))
    assert judge(rules, post("hello", external_id="x")).id == first.id
    assert judge(rules, post("hello", external_id="y")).id != first.id
    assert first.policy_version == rules.version


SHADOW_AND_CONDITIONS = """\
id: community
mode: shadow
rules:
  - id: new-account-links
    category: spam.links
    severity: medium
    when: {account_age_days: {lt: 7}}
    match: {domains: ["miracle-cure.example"]}
    actions: [hold]
  - id: repeat-hostility
    category: community.hostility
    severity: medium
    mode: enforce
    match:
      all:
        - phrases: ["idiot", "moron"]
        - counter: {category: community, within: 24h, at_least: 2}
    actions: [hold]
  - id: hostility
    category: community.hostility
    severity: low
    mode: enforce
    match: {phrases: ["idiot", "moron"]}
    actions: [flag_for_review]
"""


def test_shadow_rules_are_reported_apart_and_never_enforced(policy_set: Callable[[str], PolicySet]) -> None:
    from datetime import datetime

    rules = policy_set(SHADOW_AND_CONDITIONS)
    item = post("buy at https://shop.miracle-cure.example/now")
    item.author.created_at = NOW - timedelta(days=2)
    decision = judge(rules, item)
    assert decision.verdict == "allow"
    assert [m.rule for m in decision.shadow_matches] == ["new-account-links"]
    assert decision.mode == "shadow"
    item.author.created_at = datetime(2020, 1, 1, tzinfo=NOW.tzinfo)
    assert judge(rules, item).shadow_matches == []


def test_a_set_knows_the_longest_window_its_counters_look_back_over(policy_set: Callable[[str], PolicySet]) -> None:
    # What a worker's batch reads of each author's history (counters_redis.batch).
    assert policy_set(SHADOW_AND_CONDITIONS).longest_counter_seconds == 24 * 3600
    assert policy_set(SHADOW_AND_CONDITIONS.replace("within: 24h", "within: 3d")).longest_counter_seconds == 3 * 86400
    without = SHADOW_AND_CONDITIONS.replace("        - counter: {category: community, within: 24h, at_least: 2}\n", "")
    assert policy_set(without).longest_counter_seconds == 0


def test_counter_rule_fires_on_the_third_offence_and_reruns_count_once(
    policy_set: Callable[[str], PolicySet],
) -> None:
    rules = policy_set(SHADOW_AND_CONDITIONS)
    counters = InMemoryCounterStore()
    verdicts = []
    for n in range(3):
        verdicts.append(judge(rules, post("you idiot", external_id=f"p{n}"), counters).verdict)
    assert verdicts == ["review", "review", "hold"]
    # The same post judged again (a retried task) does not count against itself.
    assert judge(rules, post("you idiot", external_id="p0"), counters).verdict == "hold"
    assert judge(rules, post("you idiot", external_id="p9", author="someone-else"), counters).verdict == "review"


PII = """\
id: confidentiality
rules:
  - id: contact
    category: confidentiality.contact
    severity: medium
    match: {pii: [email, phone, street_address, payment_card, national_id, iban, ip_address]}
    actions: [hold, {redact: {what: pii}}]
  - id: outing
    category: confidentiality.identity
    severity: medium
    match:
      third_party:
        details: ["said in group", "works at", "real name is"]
        within: 6
    actions: [hold]
"""


def test_personal_data_is_found_and_checked(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(PII)
    found = {
        "text me on (415) 555-2671": True,
        "mail jo.smith@example.org please": True,
        "I live at 42 Wallaby Way, Sydney": True,
        "card 4111 1111 1111 1111 exp 12/29": True,
        "card 4111 1111 1111 1112 exp 12/29": False,
        "my ssn is 078-05-1120": False,  # the SSA's famous invalid example
        "my ssn is 123-45-6789": True,
        "IBAN GB82 WEST 1234 5698 7654 32": True,
        "server at 192.168.10.4": True,
        "I take 20 mg twice a day and 5 more at 10pm": False,
        "call the helpline on 1-800-273-8255 any time": False,  # toll-free: an organisation, not a member
        "my number is 0412 555 019, text me": True,
        "she lives at Dunajska 56 near the park": True,
        "send it to PSC 4574, Box 8393 APO AA 81998": True,
        "I walked 3 times in a row around the park": False,
        "it took 4 days. the circle of pain goes on": False,
        "my driver's license number is 6940579": False,
    }
    for text, expected in found.items():
        assert (fired(judge(rules, post(text))) == ["confidentiality/contact"]) == expected, text


def test_naming_another_member_with_a_private_detail(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(PII)
    assert fired(judge(rules, post("You know what Sarah said in group on Tuesday?"))) == ["confidentiality/outing"]
    assert fired(judge(rules, post("btw @jenny88 works at the county hospital"))) == ["confidentiality/outing"]
    assert fired(judge(rules, post("What I said in group helped me."))) == []


def test_crisis_triage_sends_ahead_only_what_would_escalate(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(CRISIS)
    assert rules.is_crisis_prone(post("I want to die"))
    assert not rules.is_crisis_prone(post("had a good day at the pain clinic"))
    # A denial or a shared crisis line is not sent ahead of the queue.
    assert not rules.is_crisis_prone(post("I am not suicidal, just venting"))
    assert not rules.is_crisis_prone(post("If you're feeling suicidal, call or text 988"))
    # A rule that removes and also escalates is not an escalating rule: the worker removes.
    assert not rules.is_crisis_prone(post("just kill yourself"))


def test_the_triage_compiled_apart_sends_ahead_what_the_whole_pack_would() -> None:
    """The triage scans for the enforced escalating rules' phrases, patterns and models alone
    (`PolicySet.triage`); on every corpus text it must pick what triage over the whole pack picks."""
    pack = default_pack()
    escalating = [r.qualified_id for r in pack.rules if r.escalates and r.mode == "enforce"]
    assert [r.qualified_id for r in pack.triage.rules] == escalating
    assert set(pack.triage.models) < set(pack.models)
    texts = corpus_texts()
    posts = [post(text, external_id=str(i)) for i, text in enumerate(texts)]
    picked = [pack.is_crisis_prone(p) for p in posts]
    assert picked == [is_crisis_prone(pack, p) for p in posts]  # the whole pack scanned, as before
    assert 0 < sum(picked) < len(picked)


LATE_DETAIL = """\
id: privacy
description: Contact details.
rules:
  - id: phone-to-call
    category: privacy.contact
    severity: medium
    match:
      all:
        - pii: [phone]
        - phrases: ["call me", "text me"]
    actions:
      - hold: {}
  - id: phone-to-message
    category: privacy.contact
    severity: medium
    match:
      all:
        - pii: [phone]
        - any:
            - phrases: ["message me"]
            - regex: '\\bwhats?app\\b'
    actions:
      - hold: {}
  - id: phone-with-a-model
    category: privacy.contact
    severity: medium
    match:
      all:
        - pii: [phone]
        - counter: {category: privacy.contact, within: 1h, at_least: 1}
    actions:
      - hold: {}
  - id: counted-and-asked
    category: privacy.repeat
    severity: medium
    match:
      all:
        - counter: {category: privacy.contact, within: 1h, at_least: 1}
        - phrases: ["ring me"]
        - phrases: ["tonight"]
        - none:
            - phrases: ["landline"]
    actions:
      - hold: {}
"""


def test_an_all_knows_which_hits_it_cannot_hold_without_and_judges_as_before(
    policy_set: Callable[[str], PolicySet],
) -> None:
    rules = policy_set(LATE_DETAIL)
    checked, either, counted, _ = rules.rules
    # The phrases' hits are needed, or a hit of one of an "any"'s children; the pii check has
    # no such sign. A counter is a store's read, so an "all" with one is judged child by
    # child as always.
    assert checked.match.needs == (frozenset((checked.match.children[1].group,)),)
    phrases, pattern = either.match.children[1].children
    assert either.match.needs == (frozenset((phrases.group, *pattern.groups)),)
    assert counted.match.needs == ()
    assert fired(judge(rules, post("my number is 415-555-0134"))) == []
    assert fired(judge(rules, post("call me at 415-555-0134"))) == ["privacy/phone-to-call"]
    assert fired(judge(rules, post("call me tomorrow"))) == []
    assert fired(judge(rules, post("415-555-0134 on WhatsApp"))) == ["privacy/phone-to-message"]


def test_a_child_without_a_hit_of_what_it_needs_is_not_judged_and_does_not_hold(
    policy_set: Callable[[str], PolicySet],
) -> None:
    rules = policy_set(LATE_DETAIL)
    asked = rules.rules[3].match
    _, ring, tonight, none = asked.children
    # A counter is a store's read: it has no needs, and its "all" none either; the phrases
    # and the "none"'s child still have their own.
    assert asked.needs == ()
    assert asked.child_needs == ((), (frozenset((ring.group,)),), (frozenset((tonight.group,)),), ())
    assert none.child_needs == ((frozenset((none.children[0].group,)),),)
    counters = InMemoryCounterStore()
    judge(rules, post("call me at 415-555-0134", external_id="first"), counters)
    # "ring me" makes the rule a candidate and the counter holds; "tonight", not judged for
    # want of a hit, fails the "all" all the same.
    assert "privacy/counted-and-asked" not in fired(judge(rules, post("ring me", external_id="a"), counters))
    assert "privacy/counted-and-asked" in fired(judge(rules, post("ring me tonight", external_id="b"), counters))
    landline = post("ring me tonight on the landline", external_id="c")
    assert "privacy/counted-and-asked" not in fired(judge(rules, landline, counters))


def test_judging_every_child_of_every_all_changes_no_decision_on_the_corpus() -> None:
    """Tracing judges every child (so that each check says why); without it an "all" that
    lacks a child's hits fails first. The whole pack, models included, on every corpus text."""
    pack = default_pack()
    texts = corpus_texts()
    matched = 0
    for i, text in enumerate(texts):
        item = post(text, external_id=str(i))
        decision = evaluate(pack, item, now=NOW)
        assert evaluate(pack, item, now=NOW, trace=[]) == decision, text
        matched += bool(decision.matches)
    assert 0 < matched < len(texts)


# Every code point, lone surrogates included (JSON can carry them).
_ANY_CHARACTER = st.characters(exclude_categories=())


@settings(max_examples=300, deadline=None)
@given(title=st.text(_ANY_CHARACTER, max_size=80), body=st.text(_ANY_CHARACTER, max_size=400))
def test_evaluation_never_raises_and_evidence_points_into_the_original(title: str, body: str) -> None:
    decision = judge(_ALL_RULES, post(body, title=title))
    for match in [*decision.matches, *decision.shadow_matches]:
        for evidence in match.evidence:
            source = title if evidence.field == "title" else body
            assert 0 <= evidence.start <= evidence.end <= len(source)
            assert source[evidence.start : evidence.end].startswith(evidence.text[:10])


def test_lone_surrogates_from_a_json_escape_do_not_break_evaluation() -> None:
    # JSON allows "\\ud800" on its own; decoders hand it over as a lone surrogate.
    body = "goodbye everyone \ud800 I will end my life tonight \udfff"
    decision = judge(_ALL_RULES, post(body))
    assert decision.verdict == "escalate"
    for match in decision.matches:
        for evidence in match.evidence:
            assert body[evidence.start : evidence.end] == evidence.text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["kill", "myself", "k1ll", "m\u0443self", "\u200b", "not", " ", "tonight",
                                  "@a.b", "4111", "\u0301", "\ufb01", "ß", ".", "idiot", "Sarah", "said in group"]),
                max_size=30))  # fmt: skip
def test_evaluation_survives_adversarial_fragments(parts: list[str]) -> None:
    body = "".join(parts)
    decision = judge(_ALL_RULES, post(body))
    for match in decision.matches:
        for evidence in match.evidence:
            assert body[evidence.start : evidence.end].startswith(evidence.text[:10])


def _all_rules() -> PolicySet:
    import tempfile

    from .conftest import write_set

    root = Path(tempfile.mkdtemp()) / "set"
    return load_policy_set(
        write_set(root, {"crisis.yaml": CRISIS, "community.yaml": SHADOW_AND_CONDITIONS, "pii.yaml": PII})
    )


_ALL_RULES = _all_rules()


NEAR = """\
id: misinformation
rules:
  - id: stop-meds
    category: misinformation.medication
    severity: medium
    match:
      near: {phrases: ["stop taking", "quit"], to: ["meds", "lithium"], within: 3}
    actions: [flag_for_review]
  - id: about-me
    category: crisis.suicide
    severity: high
    match:
      near: {phrases: ["i", "i'm"], to: ["suicidal"], within: 2, same_sentence: true}
    unless:
      - near: {phrases: ["not", "never"], within: 1}
    actions: [escalate]
  - id: ordered
    category: misinformation.medication
    severity: low
    match:
      near: {phrases: ["double"], to: ["dose"], within: 2, ordered: true}
    actions: [flag_for_review]
"""


def test_proximity_counts_words_between_in_either_order(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(NEAR)
    assert fired(judge(rules, post("just stop taking your meds"))) == ["misinformation/stop-meds"]
    assert fired(judge(rules, post("just stop taking all of your meds"))) == ["misinformation/stop-meds"]
    assert fired(judge(rules, post("stop taking them, honestly all of your meds"))) == []
    assert fired(judge(rules, post("the lithium? I'd quit it"))) == ["misinformation/stop-meds"]


def test_a_negation_between_the_parts_of_a_proximity_negates_it(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(NEAR)
    assert fired(judge(rules, post("honestly I'm suicidal"))) == ["misinformation/about-me"]
    assert fired(judge(rules, post("honestly I'm not suicidal"))) == []


def test_same_sentence_proximity_stops_at_a_full_stop(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(NEAR)
    assert fired(judge(rules, post("my friend said I, suicidal thoughts and all"))) == ["misinformation/about-me"]
    assert fired(judge(rules, post("my friend said I. Suicidal thoughts are common"))) == []


def test_ordered_proximity_needs_the_first_list_first(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(NEAR)
    assert fired(judge(rules, post("double your dose"))) == ["misinformation/ordered"]
    assert fired(judge(rules, post("the dose, double it"))) == []


def test_proximity_in_a_long_dense_post_finds_every_pair(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(NEAR)
    body = " ".join(["quit your meds now."] * 200)
    decision = judge(rules, post(body))
    # Every "quit … meds" pair, and every "meds now. quit" pair across the full stop.
    assert len(decision.matches[0].evidence) == 399


SCORE = """\
id: crisis
rules:
  - id: many-signals
    category: crisis.suicide
    severity: high
    match:
      score:
        at_least: 4
        terms:
          - {weight: 3, phrases: ["better off without me", "no reason to live"]}
          - {weight: 1, phrases: ["hopeless", "worthless", "a burden", "so tired"]}
    unless:
      - near: {phrases: ["not"], within: 1}
    actions: [escalate]
"""


def test_score_adds_the_weights_of_distinct_phrases(policy_set: Callable[[str], PolicySet]) -> None:
    rules = policy_set(SCORE)
    assert fired(judge(rules, post("everyone would be better off without me, I'm a burden"))) == ["crisis/many-signals"]
    assert fired(judge(rules, post("hopeless, worthless, a burden, so tired"))) == ["crisis/many-signals"]
    # One weak signal repeated is still one signal.
    assert fired(judge(rules, post("so tired. so tired. so tired. so tired."))) == []
    # Negated signals add nothing.
    assert fired(judge(rules, post("I'm not hopeless, not worthless, a burden, so tired"))) == []
