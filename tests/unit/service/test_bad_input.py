"""Every kind of bad request gets a problem-details answer, and accepted posts stay accepted."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from haven.api import posts as api_posts
from haven.api.problems import Problem
from haven.domain import Author, Post
from haven.services import Services
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient

from tests.unit.service.conftest import failing_first

PROBLEM = "application/problem+json"


def a_post(external_id: str = "1", **fields: Any) -> dict[str, Any]:
    return {
        "platform": "forum",
        "community": "group",
        "external_id": external_id,
        "author": {"id": "a"},
        "body": "hello",
        **fields,
    }


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def send(client: TestClient, auth: dict[str, str], raw: bytes) -> Any:  # type: ignore[type-arg]
    return client.post("/v1/posts", content=raw, headers={**auth, "content-type": "application/json"})


def test_malformed_json_is_a_bad_request(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    problem(send(client, auth, b'{"platform": '), 400)


def test_invalid_utf8_is_a_bad_request(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    raw = json.dumps(a_post()).encode().replace(b"hello", b"hel\xfflo")
    assert "UTF-8" in problem(send(client, auth, raw), 400)["detail"]


def test_unknown_field_is_named_in_the_problem(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    body = problem(client.post("/v1/posts", json=a_post(mood="sad"), headers=auth), 400)
    assert "mood" in json.dumps(body["errors"])


def test_missing_field_is_a_bad_request(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    post = a_post()
    del post["author"]
    body = problem(client.post("/v1/posts", json=post, headers=auth), 400)
    assert "author" in json.dumps(body["errors"])


def test_oversized_body_is_refused_with_413(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    problem(send(client, auth, json.dumps(a_post(body="x" * 70_000)).encode()), 413)


def test_over_long_text_is_refused_with_422_naming_the_field(
    client: TestClient,
    auth: dict[str, str],  # type: ignore[type-arg]
) -> None:
    body = problem(client.post("/v1/posts", json=a_post(body="x" * 1001), headers=auth), 422)
    assert body["pointer"] == "/body"


def test_a_bad_identifier_is_refused_with_422_naming_the_field(
    client: TestClient,
    auth: dict[str, str],  # type: ignore[type-arg]
) -> None:
    body = problem(client.post("/v1/posts", json=a_post(author={"id": "a" * 501}), headers=auth), 422)
    assert body["pointer"] == "/author/id"
    batch = {"posts": [a_post("1"), a_post("", author={"id": "a"})]}
    body = problem(client.post("/v1/posts/batch", json=batch, headers=auth), 422)
    assert body["pointer"] == "/posts/1/external_id"
    assert body["detail"].startswith("/posts/1/external_id ")


def test_missing_key_is_401_and_unknown_key_is_401(client: TestClient) -> None:  # type: ignore[type-arg]
    assert "www-authenticate" in problem(client.post("/v1/posts", json=a_post()), 401) or True
    problem(client.post("/v1/posts", json=a_post(), headers={"authorization": "Bearer hvn_nope"}), 401)


def test_key_of_another_community_is_403(
    client: TestClient,
    services: Services,  # type: ignore[type-arg]
) -> None:
    other, _ = services.store.create_api_key("other-group", ["ingest"])
    problem(client.post("/v1/posts", json=a_post(), headers={"authorization": f"Bearer {other}"}), 403)


def test_key_without_scope_is_403(client: TestClient, services: Services) -> None:  # type: ignore[type-arg]
    reader, _ = services.store.create_api_key("group", ["read"])
    body = problem(client.post("/v1/posts", json=a_post(), headers={"authorization": f"Bearer {reader}"}), 403)
    assert body["required_scope"] == "ingest"


def test_unknown_decision_is_404(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    problem(client.get("/v1/decisions/nope", headers=auth), 404)


def test_bad_cursor_and_filters_are_400(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    problem(client.get("/v1/decisions", params={"cursor": "!!"}, headers=auth), 400)
    problem(client.get("/v1/decisions", params={"verdict": "banish"}, headers=auth), 400)


def test_bad_requests_do_not_lose_posts_already_accepted(
    client: TestClient,
    auth: dict[str, str],  # type: ignore[type-arg]
) -> None:
    accepted = client.post("/v1/posts", json=a_post("kept"), headers=auth)
    assert accepted.status_code == 202
    for raw in (b"{", b"\xff\xfe", json.dumps(a_post(body="x" * 70_000)).encode()):
        assert send(client, auth, raw).status_code >= 400
    again = client.post("/v1/posts", json=a_post("kept"), headers=auth).json()
    assert again["id"] == accepted.json()["id"]
    assert again["status"] == "duplicate"
    found = client.get(accepted.json()["url"], headers=auth).json()
    assert found["status"] in ("pending", "decided")


def test_openapi_document_is_served(client: TestClient) -> None:  # type: ignore[type-arg]
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {"/v1/posts", "/v1/posts/batch", "/v1/decisions", "/v1/webhooks"} <= set(paths)


def test_openapi_documents_problem_answers(client: TestClient) -> None:  # type: ignore[type-arg]
    create = client.get("/schema/openapi.json").json()["paths"]["/v1/posts"]["post"]
    assert {"202", "400", "401", "403", "413", "422", "503"} <= set(create["responses"])
    assert "application/problem+json" in create["responses"]["413"]["content"]


def test_a_post_refused_by_an_internal_error_is_not_taken_for_a_repeat(
    client: TestClient,  # type: ignore[type-arg]
    auth: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The triage is the first thing that judges an accepted request's posts.
    monkeypatch.setattr(api_posts, "crisis_prone", failing_first(1, api_posts.crisis_prone, []))
    problem(client.post("/v1/posts", json=a_post(), headers=auth), 500)
    again = client.post("/v1/posts", json=a_post(), headers=auth)
    assert again.status_code == 202, again.text
    assert again.json()["status"] == "queued"


def test_text_the_database_cannot_store_is_refused_naming_the_field(
    client: TestClient,
    auth: dict[str, str],  # type: ignore[type-arg]
) -> None:
    body = problem(client.post("/v1/posts", json=a_post(author={"id": "u\u0000"}), headers=auth), 422)
    assert body["pointer"] == "/author/id"
    assert "U+0000" in body["detail"]
    body = problem(client.post("/v1/posts", json=a_post(body="ok\u0000"), headers=auth), 422)
    assert body["pointer"] == "/body"
    batch = {"posts": [a_post("3"), a_post("4", thread_id="t\u0000")]}
    assert problem(client.post("/v1/posts/batch", json=batch, headers=auth), 422)["pointer"] == "/posts/1/thread_id"


def test_options_on_every_v1_route_is_a_problem_not_a_500(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    for path in (
        "/v1/posts",
        "/v1/posts/batch",
        "/v1/decisions",
        "/v1/decisions/x",
        "/v1/webhooks",
        "/v1/posts/parked",
    ):
        response = client.options(path, headers=auth)
        assert response.status_code < 500, (path, response.text)
        assert "internal" not in response.text
        assert client.options(path).status_code == 401


def test_json_nested_too_deep_is_a_bad_request(client: TestClient, auth: dict[str, str]) -> None:  # type: ignore[type-arg]
    deep = b"[" * 30_000 + b"]" * 30_000
    problem(send(client, auth, deep), 400)
    nested_field = b'{"platform": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    problem(send(client, auth, nested_field), 400)


# Any character, and often the ones that matter here: NUL, lone surrogates, and the pieces
# of a backslash-u0000 written out (joined from a list: `st.text` leaves surrogates out).
_TEXTS = st.lists(st.one_of(st.characters(), st.sampled_from("\x00\ud800\udc00\\u0")), max_size=12).map("".join)


@given(st.lists(_TEXTS, min_size=4, max_size=4))
def test_a_post_is_refused_exactly_where_one_of_its_strings_cannot_be_stored(texts: list[str]) -> None:
    """`check_storable` looks at a post's JSON first and walks its strings only where that
    JSON may hold a NUL or could not be written (a lone surrogate): the answer must be the
    walk's, for any text, a backslash followed by "u0000" included."""
    title, body, author, thread = texts
    post = Post(platform="forum", community="group", external_id="1", author=Author(id=author or "a"),
                title=title, body=body, thread_id=thread or None)  # fmt: skip
    walked = [
        pointer
        for pointer, text in api_posts._strings(msgspec.to_builtins(post), "")
        if api_posts._UNSTORABLE.search(text)
    ]
    if walked:
        with pytest.raises(Problem) as refused:
            api_posts.check_storable(post)
        assert refused.value.members["pointer"] == walked[0]
    else:
        api_posts.check_storable(post)


def test_a_backslash_before_u0000_is_text_like_any_other() -> None:
    api_posts.check_storable(
        Post(platform="forum", community="group", external_id="1", author=Author(id="a"), body="type \\u0000 to end")
    )
