from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.decision_resource import DecisionResource
from ...models.problem_details import ProblemDetails
from ...types import Response


def _get_kwargs(
    decision_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/posts/parked/{decision_id}/retry".format(
            decision_id=quote(str(decision_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DecisionResource | ProblemDetails | None:
    if response.status_code == 202:
        response_202 = DecisionResource.from_dict(response.json())

        return response_202

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
) -> Response[DecisionResource | ProblemDetails]:
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
) -> Response[DecisionResource | ProblemDetails]:
    """Send a parked post again, with a new round of attempts

    Args:
        decision_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecisionResource | ProblemDetails]
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
) -> DecisionResource | ProblemDetails | None:
    """Send a parked post again, with a new round of attempts

    Args:
        decision_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecisionResource | ProblemDetails
    """

    return sync_detailed(
        decision_id=decision_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    decision_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[DecisionResource | ProblemDetails]:
    """Send a parked post again, with a new round of attempts

    Args:
        decision_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecisionResource | ProblemDetails]
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
) -> DecisionResource | ProblemDetails | None:
    """Send a parked post again, with a new round of attempts

    Args:
        decision_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecisionResource | ProblemDetails
    """

    return (
        await asyncio_detailed(
            decision_id=decision_id,
            client=client,
        )
    ).parsed
