"""POST, GET and DELETE /v1/webhooks: subscriptions to signed event deliveries."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from haven.api.auth import API_KEY_SECURITY, requires
from haven.api.problems import Problem, problem_responses
from haven.api.schemas import SubscriptionCreated, SubscriptionIn, SubscriptionOut
from haven.pipeline import queue_for_event
from haven.services import Services
from haven.store.records import ApiKey, DeliveryReport, Subscription
from haven.webhooks.destinations import subscription_refusal


def _out(subscription: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        url=subscription.url,
        event_types=list(subscription.event_types),
        created_at=subscription.created_at,
    )


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]  # noqa: RUF012
    guards = [requires("admin")]  # noqa: RUF012
    security = API_KEY_SECURITY

    @post(
        "/",
        responses=problem_responses(400, 401, 403, 422, 503),
        status_code=201,
        sync_to_thread=True,
        operation_id="createWebhook",
        summary="Subscribe; the secret is shown once",
    )
    def create(self, data: JSONBody[SubscriptionIn], request: Request[ApiKey, str, State]) -> SubscriptionCreated:
        services: Services = request.app.state.services
        refused = subscription_refusal(data.url, allow_private=services.settings.webhooks.allow_private_networks)
        if refused is not None:
            raise Problem(422, "webhook-destination", f"webhooks are not sent there: {refused}", pointer="/url")
        made = services.store.create_subscription(request.user.community, data.url, data.event_types)
        return SubscriptionCreated(**msgspec.structs.asdict(_out(made)), secret=made.secret)

    @get(
        "/",
        responses=problem_responses(401, 403, 503),
        sync_to_thread=True,
        operation_id="listWebhooks",
        summary="This community's subscriptions",
    )
    def list_all(self, request: Request[ApiKey, str, State]) -> list[SubscriptionOut]:
        services: Services = request.app.state.services
        return [_out(s) for s in services.store.list_subscriptions(request.user.community)]

    @get(
        "/{subscription_id:str}",
        responses=problem_responses(400, 401, 403, 404, 503),
        sync_to_thread=True,
        operation_id="getWebhook",
        summary="One subscription",
    )
    def get_one(self, subscription_id: FromPath[str], request: Request[ApiKey, str, State]) -> SubscriptionOut:
        services: Services = request.app.state.services
        found = services.store.get_subscription(request.user.community, subscription_id)
        if found is None:
            raise Problem(404, "not-found", "no such subscription in your community")
        return _out(found)

    @get(
        "/{subscription_id:str}/deliveries",
        responses=problem_responses(400, 401, 403, 404, 503),
        sync_to_thread=True,
        operation_id="listWebhookDeliveries",
        summary="The latest deliveries to a subscriber, with every attempt",
    )
    def deliveries(
        self,
        subscription_id: FromPath[str],
        request: Request[ApiKey, str, State],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[DeliveryReport]:
        services: Services = request.app.state.services
        if services.store.get_subscription(request.user.community, subscription_id) is None:
            raise Problem(404, "not-found", "no such subscription in your community")
        return services.store.recent_deliveries(request.user.community, subscription_id, limit)

    @post(
        "/{subscription_id:str}/deliveries/{delivery_id:str}/retry",
        responses=problem_responses(400, 401, 403, 404, 503),
        status_code=202,
        sync_to_thread=True,
        operation_id="retryWebhookDelivery",
        summary="Send a failed delivery again, with a new round of attempts",
    )
    def retry_delivery(
        self, subscription_id: FromPath[str], delivery_id: FromPath[str], request: Request[ApiKey, str, State]
    ) -> None:
        services: Services = request.app.state.services
        event_type = services.store.retry_delivery(request.user.community, subscription_id, delivery_id)
        if event_type is None:
            raise Problem(404, "not-found", "no failed delivery with this id for this subscription")
        # Pending again, its attempt due now: if this send is lost the sweeper sends it.
        services.work.deliver([delivery_id], queue=queue_for_event(event_type))

    @delete(
        "/{subscription_id:str}",
        responses=problem_responses(400, 401, 403, 404, 503),
        sync_to_thread=True,
        operation_id="deleteWebhook",
        summary="Unsubscribe",
    )
    def remove(self, subscription_id: FromPath[str], request: Request[ApiKey, str, State]) -> None:
        services: Services = request.app.state.services
        if not services.store.delete_subscription(request.user.community, subscription_id):
            raise Problem(404, "not-found", "no such subscription in your community")
