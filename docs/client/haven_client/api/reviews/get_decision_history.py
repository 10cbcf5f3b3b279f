from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.decision_history import DecisionHistory
from ...models.problem_details import ProblemDetails
from ...types import Response


def _get_kwargs(
    decision_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/decisions/{decision_id}/history".format(
            decision_id=quote(str(decision_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DecisionHistory | ProblemDetails | None:
    if response.status_code == 200:
        response_200 = DecisionHistory.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ProblemDetails.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ProblemDetails.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ProblemDetails.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ProblemDetails.from_dict(response.json())

        return response_404

    if response.status_code == 503:
        response_503 = ProblemDetails.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[DecisionHistory | ProblemDetails]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    decision_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[DecisionHistory | ProblemDetails]:
    """One decision's history: reviews, acknowledgement, reminders, webhook deliveries, platform actions

     The decision itself (verdict, policy version, evidence), then in time order everything that
    followed: moderators' reviews, the escalation's reminders and acknowledgement, webhook deliveries
    (event, status, attempts; never a secret or a subscriber's address) and the platform actions of the
    action ledger.

    Args:
        decision_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecisionHistory | ProblemDetails]
    """

    kwargs = _get_kwargs(
        decision_id=decision_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    decision_id: str,
    *,
    client: AuthenticatedClient,
) -> DecisionHistory | ProblemDetails | None:
    """One decision's history: reviews, acknowledgement, reminders, webhook deliveries, platform actions

     The decision itself (verdict, policy version, evidence), then in time order everything that
    followed: moderators' reviews, the escalation's reminders and acknowledgement, webhook deliveries
    (event, status, attempts; never a secret or a subscriber's address) and the platform actions of the
    action ledger.

    Args:
        decision_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecisionHistory | ProblemDetails
    """

    return sync_detailed(
        decision_id=decision_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    decision_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[DecisionHistory | ProblemDetails]:
    """One decision's history: reviews, acknowledgement, reminders, webhook deliveries, platform actions

     The decision itself (verdict, policy version, evidence), then in time order everything that
    followed: moderators' reviews, the escalation's reminders and acknowledgement, webhook deliveries
    (event, status, attempts; never a secret or a subscriber's address) and the platform actions of the
    action ledger.

    Args:
        decision_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecisionHistory | ProblemDetails]
    """

    kwargs = _get_kwargs(
        decision_id=decision_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    decision_id: str,
    *,
    client: AuthenticatedClient,
) -> DecisionHistory | ProblemDetails | None:
    """One decision's history: reviews, acknowledgement, reminders, webhook deliveries, platform actions

     The decision itself (verdict, policy version, evidence), then in time order everything that
    followed: moderators' reviews, the escalation's reminders and acknowledgement, webhook deliveries
    (event, status, attempts; never a secret or a subscriber's address) and the platform actions of the
    action ledger.

    Args:
        decision_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecisionHistory | ProblemDetails
    """

    return (
        await asyncio_detailed(
            decision_id=decision_id,
            client=client,
        )
    ).parsed
