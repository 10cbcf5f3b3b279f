from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem_details import ProblemDetails
from ...models.queue import Queue
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    moderator: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_moderator: None | str | Unset
    if isinstance(moderator, Unset):
        json_moderator = UNSET
    else:
        json_moderator = moderator
    params["moderator"] = json_moderator

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/queue",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ProblemDetails | Queue | None:
    if response.status_code == 200:
        response_200 = Queue.from_dict(response.json())

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
) -> Response[ProblemDetails | Queue]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    moderator: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[ProblemDetails | Queue]:
    """Decisions waiting for a person

    Args:
        moderator (None | str | Unset): who asks: past the crisis cap, other work comes first
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ProblemDetails | Queue]
    """

    kwargs = _get_kwargs(
        moderator=moderator,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    moderator: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> ProblemDetails | Queue | None:
    """Decisions waiting for a person

    Args:
        moderator (None | str | Unset): who asks: past the crisis cap, other work comes first
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ProblemDetails | Queue
    """

    return sync_detailed(
        client=client,
        moderator=moderator,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    moderator: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[ProblemDetails | Queue]:
    """Decisions waiting for a person

    Args:
        moderator (None | str | Unset): who asks: past the crisis cap, other work comes first
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ProblemDetails | Queue]
    """

    kwargs = _get_kwargs(
        moderator=moderator,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    moderator: None | str | Unset = UNSET,
    limit: int | Unset = 50,
) -> ProblemDetails | Queue | None:
    """Decisions waiting for a person

    Args:
        moderator (None | str | Unset): who asks: past the crisis cap, other work comes first
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ProblemDetails | Queue
    """

    return (
        await asyncio_detailed(
            client=client,
            moderator=moderator,
            limit=limit,
        )
    ).parsed
