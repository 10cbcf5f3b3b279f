"""POST, GET and DELETE /v1/protected-identities: names a member must not be linked to.

The names arrive once, in the request, and are never stored, logged or sent
back: Haven keeps their keyed hashes only (see `haven.policy.identities`).
"""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.problems import Problem, problem_responses
from haven.api.schemas import ProtectedIdentityIn, ProtectedIdentityOut
from haven.policy.engine import protecting_rules
from haven.policy.identities import ProtectedName
from haven.services import Services
from haven.store.records import ApiKey, ProtectedIdentity


def _out(registration: ProtectedIdentity, rules: list[str]) -> ProtectedIdentityOut:
    return ProtectedIdentityOut(
        id=registration.id,
        member=registration.member,
        names=registration.names,
        created_at=registration.created_at,
        matched_by=rules,
    )


class ProtectedIdentityController(Controller):
    path = "/v1/protected-identities"
    tags = ["protected identities"]  # noqa: RUF012
    security = API_KEY_SECURITY
    guards = [requires("admin")]  # noqa: RUF012

    @post(
        "/",
        operation_id="registerProtectedIdentity",
        responses=problem_responses(400, 401, 403, 422),
        status_code=201,
        sync_to_thread=True,
        summary="Protect a member's names and handles; only their keyed hashes are kept",
    )
    def create(self, data: JSONBody[ProtectedIdentityIn], request: Request[ApiKey, str, State]) -> ProtectedIdentityOut:
        services: Services = request.app.state.services
        community = request.user.community
        secret = services.store.identity_secret(community)
        names = []
        for index, name in enumerate(data.names):
            try:
                names.append(ProtectedName.of(secret, name, data.member))
            except ValueError as exc:
                raise Problem(422, "invalid-name", str(exc), pointer=f"/names/{index}") from None
        made = services.store.add_protected_identity(community, names, data.member)
        return _out(made, protecting_rules(services.policies.current()))

    @get(
        "/",
        operation_id="listProtectedIdentities",
        responses=problem_responses(400, 401, 403),
        sync_to_thread=True,
        summary="This community's registrations, without the names",
    )
    def list_all(self, request: Request[ApiKey, str, State]) -> list[ProtectedIdentityOut]:
        services: Services = request.app.state.services
        rules = protecting_rules(services.policies.current())
        return [_out(r, rules) for r in services.store.list_protected_identities(request.user.community)]

    @delete(
        "/{registration_id:str}",
        operation_id="withdrawProtectedIdentity",
        responses=problem_responses(400, 401, 403, 404),
        sync_to_thread=True,
        summary="Withdraw a registration; its hashes are deleted",
    )
    def remove(self, registration_id: FromPath[str], request: Request[ApiKey, str, State]) -> None:
        services: Services = request.app.state.services
        if not services.store.withdraw_protected_identity(request.user.community, registration_id):
            raise Problem(404, "not-found", "no such registration in your community")
