import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.decision_list import DecisionList
from ...models.problem_details import ProblemDetails
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    verdict: None | str | Unset = UNSET,
    category: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_verdict: None | str | Unset
    if isinstance(verdict, Unset):
        json_verdict = UNSET
    else:
        json_verdict = verdict
    params["verdict"] = json_verdict

    json_category: None | str | Unset
    if isinstance(category, Unset):
        json_category = UNSET
    else:
        json_category = category
    params["category"] = json_category

    json_since: None | str | Unset
    if isinstance(since, Unset):
        json_since = UNSET
    elif isinstance(since, datetime.datetime):
        json_since = since.isoformat()
    else:
        json_since = since
    params["since"] = json_since

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/decisions",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DecisionList | ProblemDetails | None:
    if response.status_code == 200:
        response_200 = DecisionList.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = ProblemDetails.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[DecisionList | ProblemDetails]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    verdict: None | str | Unset = UNSET,
    category: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[DecisionList | ProblemDetails]:
    """Decisions, newest first, with cursor paging

    Args:
        verdict (None | str | Unset): allow, nudge, … escalate
        category (None | str | Unset): a category or its prefix, e.g. crisis
        since (datetime.datetime | None | Unset): decided at or after
        cursor (None | str | Unset): next_cursor of the previous page
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecisionList | ProblemDetails]
    """

    kwargs = _get_kwargs(
        verdict=verdict,
        category=category,
        since=since,
        cursor=cursor,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    verdict: None | str | Unset = UNSET,
    category: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> DecisionList | ProblemDetails | None:
    """Decisions, newest first, with cursor paging

    Args:
        verdict (None | str | Unset): allow, nudge, … escalate
        category (None | str | Unset): a category or its prefix, e.g. crisis
        since (datetime.datetime | None | Unset): decided at or after
        cursor (None | str | Unset): next_cursor of the previous page
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecisionList | ProblemDetails
    """

    return sync_detailed(
        client=client,
        verdict=verdict,
        category=category,
        since=since,
        cursor=cursor,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    verdict: None | str | Unset = UNSET,
    category: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[DecisionList | ProblemDetails]:
    """Decisions, newest first, with cursor paging

    Args:
        verdict (None | str | Unset): allow, nudge, … escalate
        category (None | str | Unset): a category or its prefix, e.g. crisis
        since (datetime.datetime | None | Unset): decided at or after
        cursor (None | str | Unset): next_cursor of the previous page
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecisionList | ProblemDetails]
    """

    kwargs = _get_kwargs(
        verdict=verdict,
        category=category,
        since=since,
        cursor=cursor,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    verdict: None | str | Unset = UNSET,
    category: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> DecisionList | ProblemDetails | None:
    """Decisions, newest first, with cursor paging

    Args:
        verdict (None | str | Unset): allow, nudge, … escalate
        category (None | str | Unset): a category or its prefix, e.g. crisis
        since (datetime.datetime | None | Unset): decided at or after
        cursor (None | str | Unset): next_cursor of the previous page
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecisionList | ProblemDetails
    """

    return (
        await asyncio_detailed(
            client=client,
            verdict=verdict,
            category=category,
            since=since,
            cursor=cursor,
            limit=limit,
        )
    ).parsed
