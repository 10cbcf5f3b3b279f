"""/v1/policies and /v1/policy-versions: a community's own policy layer, managed through the API.

Every route acts on the API key's own community and needs the `admin` scope. An upload is
checked as `haven policy check` and `haven policy test` check a folder; a valid one makes a
new version of the community's layer, which acts at once or, as a candidate, is judged in
shadow beside the active one until it is activated.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import msgspec
import yaml
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.problems import Problem, problem_responses
from haven.comparison import Comparison, compare
from haven.domain import Author, Decision, Post
from haven.policy import PolicyError, PolicyLoadError, evaluate
from haven.policy.compiler import compile_folder
from haven.policy.layers import merge_layers
from haven.policy_library import PolicyLibrary, channel_key, split_key
from haven.services import Services
from haven.store.records import ApiKey, PolicyVersion

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
PRECEDENCE = [
    "base: the deployment's policy folder",
    "community files: policies/communities/<community>/",
    "community uploads: PUT /v1/policies/{policy_id}",
    "channel files: policies/communities/<community>/channels/<channel>/",
    "channel uploads: PUT /v1/policies/{policy_id}?channel=<channel>",
]


class ErrorItem(msgspec.Struct, kw_only=True):
    document: str
    line: int
    column: int
    message: str
    hint: str | None = None


class RuleOut(msgspec.Struct, kw_only=True):
    id: Annotated[str, Meta(description="The rule's id.")]
    category: Annotated[str, Meta(description="Its category.")]
    mode: Annotated[str, Meta(description="enforce or shadow, after every layer.")]
    verdict: Annotated[str, Meta(description="The verdict it gives.")]
    layer: Annotated[str, Meta(description="The layer that defines it.")]
    changed_in: Annotated[list[str], Meta(description="The layers above that override it.")]


class PolicyOut(msgspec.Struct, kw_only=True):
    id: Annotated[str, Meta(description="The policy's id.")]
    layer: Annotated[str, Meta(description="base, community:<c> or channel:<c>/<channel>.")]
    source: Annotated[str, Meta(description='"file" (a policy folder) or "api" (uploaded).')]
    channel: Annotated[str | None, Meta(description="The channel of a channel layer.")] = None
    version: Annotated[int | None, Meta(description="The community's API version it comes from.")] = None
    rules: Annotated[list[RuleOut], Meta(description="Its rules, as in force.")] = msgspec.field(default_factory=list)
    overrides: Annotated[
        list[str], Meta(description="Rules of lower layers this document changes or switches off.")
    ] = msgspec.field(default_factory=list)


class PolicyList(msgspec.Struct, kw_only=True):
    community: Annotated[str, Meta(description="The key's community.")]
    version: Annotated[int | None, Meta(description="The active API version of its layer, if any.")]
    candidate: Annotated[int | None, Meta(description="The candidate version judged in shadow, if any.")]
    policy_version: Annotated[
        str, Meta(description="The effective set's version (content hash), as decisions record it.")
    ]
    precedence: Annotated[list[str], Meta(description="Which source wins, from the top.")]
    policies: Annotated[list[PolicyOut], Meta(description="Every policy in force, with its layer.")]


class VersionOut(msgspec.Struct, kw_only=True):
    version: Annotated[int, Meta(description="The version number.")]
    status: Annotated[str, Meta(description="active, candidate or inactive.")]
    content_hash: Annotated[str, Meta(description="SHA-256 of the layer's documents.")]
    author_key: Annotated[str | None, Meta(description="The API key that uploaded it.")]
    message: Annotated[str, Meta(description="What changed, as the author wrote.")]
    created_at: Annotated[datetime, Meta(description="When it was made.")]
    policies: Annotated[list[str], Meta(description="The documents of the layer at this version.")]


class ExplainIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, Meta(description="The post's body to judge.")]
    title: Annotated[str, Meta(description="Its title.")] = ""
    locale: Annotated[str | None, Meta(description="Its locale (crisis lines and phone numbers are read for it).")] = (
        None
    )
    channel: Annotated[str | None, Meta(description="A channel, for its layer.")] = None
    # A policy document to try as if uploaded (it replaces the stored one of the same id).
    policy: Annotated[
        str | None,
        Meta(description="A policy document to try as if uploaded (it replaces the stored one of the same id)."),
    ] = None


class ExplainOut(msgspec.Struct, kw_only=True):
    decision: Annotated[Decision, Meta(description="The decision, with evidence.")]
    not_fired: Annotated[list[str], Meta(description="Why rules near the text did not fire.")]


def _version_out(found: PolicyVersion) -> VersionOut:
    return VersionOut(
        version=found.version, status=found.status, content_hash=found.content_hash,
        author_key=found.author_key, message=found.message, created_at=found.created_at,
        policies=sorted(found.documents),
    )  # fmt: skip


def _errors(errors: list[PolicyError]) -> list[dict[str, Any]]:
    return [
        msgspec.to_builtins(
            ErrorItem(document=str(e.file), line=e.line, column=e.column, message=e.message, hint=e.hint)
        )
        for e in errors
    ]


def _refuse(errors: list[PolicyError]) -> Problem:
    return Problem(
        422, "invalid-policy", f"the policy does not load: {len(errors)} error(s); nothing was changed",
        errors=_errors(errors),
    )  # fmt: skip


def _yaml_text(request: Request[Any, Any, Any], data: bytes) -> str:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise Problem(415, "unsupported-media-type", "send the policy as YAML: content-type: application/yaml")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "invalid-utf-8", f"the body is not valid UTF-8 (byte {exc.start})") from exc


def _documents(library: PolicyLibrary, community: str, version: int | None) -> dict[str, str]:
    found = library.stored_documents(community, version)
    return dict(found)


class PolicyController(Controller):
    path = "/v1/policies"
    tags = ["policies"]  # noqa: RUF012
    security = API_KEY_SECURITY
    guards = [requires("admin")]  # noqa: RUF012

    def _file_owner(self, services: Services, community: str, channel: str | None, policy_id: str) -> str | None:
        layer = services.policies.live.layers.get((community, channel))
        if layer is None:
            return None
        return next((str(d.origin) for d in layer.documents if d.policy_id == policy_id), None)

    def _change(
        self, request: Request[ApiKey, str, State], policy_id: str, text: str | None, *,
        channel: str | None, message: str, candidate: bool,
    ) -> VersionOut:  # fmt: skip
        services: Services = request.app.state.services
        library = services.policies
        community = request.user.community
        owner = self._file_owner(services, community, channel, policy_id)
        if owner is not None:
            raise Problem(409, "managed-as-file", f"policy '{policy_id}' is kept as a file ({owner}); change the "
                          "file, or remove it before managing the policy through the API")  # fmt: skip
        active, pending = library.heads_now().get(community, (None, None))
        start = pending if candidate and pending is not None else active
        documents = _documents(library, community, start)
        key = channel_key(channel, policy_id) if channel else policy_id
        if text is None:
            if key not in documents:
                raise Problem(404, "not-found", f"no uploaded policy '{policy_id}' in your community's layer")
            del documents[key]
        else:
            documents[key] = text
        errors, _ = library.check(community, documents)
        if errors:
            raise _refuse(errors)
        made = services.store.add_policy_version(
            community, documents, author_key=request.user.id, message=message, candidate=candidate
        )
        library.forget_heads()
        return _version_out(made)

    @get(
        "/",
        operation_id="listPolicies",
        responses=problem_responses(400, 401, 403),
        sync_to_thread=True,
        summary="The community's effective policies",
    )
    def list_all(self, request: Request[ApiKey, str, State]) -> PolicyList:
        services: Services = request.app.state.services
        library = services.policies
        community = request.user.community
        active, candidate = library.heads_now().get(community, (None, None))
        try:
            effective = library.effective(community, None, active)
        except PolicyLoadError as exc:
            raise _refuse(exc.errors) from exc
        folder = effective.merged.folder
        policies = []
        for policy in folder.policies:
            layer, source = effective.merged.origins.get(policy.id, ("base", "file"))
            rules = [
                RuleOut(id=r.id, category=r.category, mode=r.mode, verdict=r.verdict.label, layer=r.layer,
                        changed_in=list(r.changed_in))
                for r in effective.policy_set.rules if r.policy == policy.id
            ]  # fmt: skip
            policies.append(PolicyOut(id=policy.id, layer=layer, source=source,
                                      version=active if source == "api" else None, rules=rules))  # fmt: skip
        listed = {p.id for p in policies}
        documents = library.stored_documents(community, active)
        for (layer, policy_id), changed in effective.merged.overrides.items():
            if policy_id in listed:
                next(p for p in policies if p.id == policy_id).overrides = changed
                continue
            source = "api" if policy_id in documents else "file"
            policies.append(PolicyOut(id=policy_id, layer=layer, source=source,
                                      version=active if source == "api" else None, overrides=changed))  # fmt: skip
        for key in sorted(documents):
            channel, policy_id = split_key(key)
            if channel is not None:
                policies.append(PolicyOut(id=policy_id, layer=f"channel:{community}/{channel}", source="api",
                                          channel=channel, version=active))  # fmt: skip
        return PolicyList(
            community=community, version=active, candidate=candidate, policy_version=effective.policy_set.version,
            precedence=PRECEDENCE, policies=policies,
        )  # fmt: skip

    @get("/{policy_id:str}", operation_id="getPolicy",
          responses=problem_responses(400, 401, 403, 404), sync_to_thread=True,
         summary="One policy's YAML", media_type="application/yaml")  # fmt: skip
    def get_one(
        self, policy_id: FromPath[str], request: Request[ApiKey, str, State],
        channel: Annotated[str | None, QueryParameter(description="a channel's layer")] = None,
    ) -> Response[str]:  # fmt: skip
        services: Services = request.app.state.services
        library = services.policies
        community = request.user.community
        active, _ = library.heads_now().get(community, (None, None))
        documents = library.stored_documents(community, active)
        key = channel_key(channel, policy_id) if channel else policy_id
        if key in documents:
            return Response(documents[key], media_type="application/yaml")
        owner = self._file_owner(services, community, channel, policy_id)
        if owner is None and channel is None:
            owner = next((p.file for p in library.current().policies if p.id == policy_id), None)
        if owner is None:
            raise Problem(404, "not-found", f"no policy '{policy_id}' in your community's set")
        return Response(Path(owner).read_text(encoding="utf-8"), media_type="application/yaml")

    @put("/{policy_id:str}", operation_id="putPolicy",
          responses=problem_responses(400, 401, 403, 409, 415, 422), status_code=201,
         summary="Upload a policy (YAML): a new version of the community's layer")  # fmt: skip
    async def upload(
        self, policy_id: FromPath[str], request: Request[ApiKey, str, State],
        channel: Annotated[str | None, QueryParameter(description="upload to a channel's layer")] = None,
        message: Annotated[str, QueryParameter(max_length=500)] = "",
        candidate: Annotated[bool, QueryParameter(description="judge it in shadow before it acts")] = False,
    ) -> VersionOut:  # fmt: skip
        text = _yaml_text(request, await request.body())
        change = functools.partial(
            self._change, request, policy_id, text, channel=channel, message=message, candidate=candidate
        )
        return await anyio.to_thread.run_sync(change)

    @delete("/{policy_id:str}", operation_id="deletePolicy",
          responses=problem_responses(400, 401, 403, 404, 409, 422), status_code=200,
            sync_to_thread=True, summary="Remove an uploaded policy: a new version without it")  # fmt: skip
    def remove(
        self, policy_id: FromPath[str], request: Request[ApiKey, str, State],
        channel: Annotated[str | None, QueryParameter()] = None,
        message: Annotated[str, QueryParameter(max_length=500)] = "",
        candidate: Annotated[bool, QueryParameter()] = False,
    ) -> VersionOut:  # fmt: skip
        return self._change(request, policy_id, None, channel=channel, message=message, candidate=candidate)

    @post("/explain", operation_id="explainPolicy",
          responses=problem_responses(400, 401, 403, 422), status_code=200, sync_to_thread=True,
          summary="Which rules fire on a text, with evidence; optionally with a policy not uploaded yet")  # fmt: skip
    def explain(self, data: JSONBody[ExplainIn], request: Request[ApiKey, str, State]) -> ExplainOut:
        services: Services = request.app.state.services
        library = services.policies
        community = request.user.community
        active, _ = library.heads_now().get(community, (None, None))
        post_ = Post(
            platform="api", community=community, external_id="explain", author=Author(id="explain"),
            title=data.title, body=data.text, locale=data.locale, thread_id=data.channel,
        )  # fmt: skip
        if data.policy is None:
            policy_set = library.for_post(post_)
        else:
            documents = library.stored_documents(community, active)
            try:
                policy_id = yaml.safe_load(data.policy).get("id")
            except (yaml.YAMLError, AttributeError):
                policy_id = None
            key = str(policy_id) if isinstance(policy_id, str) else "explain"
            documents[channel_key(data.channel, key) if data.channel else key] = data.policy
            errors, _ = library.check(community, documents)
            if errors:
                raise _refuse(errors)
            merged = merge_layers(library.current().folder(), library.layers(community, data.channel, documents))
            policy_set = compile_folder(merged.folder)
        trace: list[str] = []
        decision = evaluate(policy_set, post_, now=datetime.now(UTC), trace=trace)
        return ExplainOut(decision=decision, not_fired=trace)


class PolicyVersionController(Controller):
    path = "/v1/policy-versions"
    tags = ["policies"]  # noqa: RUF012
    security = API_KEY_SECURITY
    guards = [requires("admin")]  # noqa: RUF012

    @get(
        "/",
        operation_id="listPolicyVersions",
        responses=problem_responses(400, 401, 403),
        sync_to_thread=True,
        summary="The community's versions",
    )
    def list_all(self, request: Request[ApiKey, str, State]) -> list[VersionOut]:
        services: Services = request.app.state.services
        return [_version_out(v) for v in services.store.policy_versions(request.user.community)]

    @post("/{version:int}/activate", operation_id="activatePolicyVersion",
          responses=problem_responses(400, 401, 403, 404), status_code=200,
          sync_to_thread=True, summary="Make a version act: promote a candidate, or roll back")  # fmt: skip
    def activate(self, version: FromPath[int], request: Request[ApiKey, str, State]) -> VersionOut:
        services: Services = request.app.state.services
        found = services.store.activate_policy_version(request.user.community, version)
        if found is None:
            raise Problem(404, "not-found", f"your community has no policy version {version}")
        services.policies.forget_heads()
        return _version_out(found)

    @get("/{version:int}/comparison", operation_id="comparePolicyVersion",
          responses=problem_responses(400, 401, 403, 404), sync_to_thread=True,
         summary="What a candidate version would have changed, rule by rule")  # fmt: skip
    def comparison(self, version: FromPath[int], request: Request[ApiKey, str, State]) -> Comparison:
        services: Services = request.app.state.services
        community = request.user.community
        if services.store.policy_version(community, version) is None:
            raise Problem(404, "not-found", f"your community has no policy version {version}")
        candidates = {d.id: d for d in services.store.candidate_decisions(community, version)}
        acted = {d.id: d for d in services.store.get_decisions(list(candidates))}
        return compare(version, ((acted[i], candidates[i]) for i in sorted(candidates) if i in acted))
