"""A decision's id is the UUID version 5 of its post's key, made without the UUID object."""

from __future__ import annotations

import uuid

from haven.domain import _DECISION_NAMESPACE, Author, Post, decision_id_of
from hypothesis import given
from hypothesis import strategies as st


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_the_id_is_uuid5_of_the_key(key: str) -> None:
    assert decision_id_of(key) == str(uuid.uuid5(_DECISION_NAMESPACE, key))


def test_a_posts_id_follows_its_key_and_revision() -> None:
    post = Post(platform="reddit", community="c", external_id="t3_1", author=Author(id="u"), body="x")
    edited = Post(platform="reddit", community="c", external_id="t3_1", author=Author(id="u"), body="y", revision="2")
    assert uuid.UUID(post.decision_id()).version == 5
    assert post.decision_id() != edited.decision_id()
    assert uuid.UUID(edited.decision_id()) == uuid.uuid5(_DECISION_NAMESPACE, edited.key)
