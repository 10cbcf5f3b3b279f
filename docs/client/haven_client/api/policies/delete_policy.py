from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem_details import ProblemDetails
from ...models.version_out import VersionOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    policy_id: str,
    *,
    channel: None | str | Unset = UNSET,
    message: str | Unset = "",
    candidate: bool | Unset = False,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_channel: None | str | Unset
    if isinstance(channel, Unset):
        json_channel = UNSET
    else:
        json_channel = channel
    params["channel"] = json_channel

    params["message"] = message

    params["candidate"] = candidate

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/policies/{policy_id}".format(
            policy_id=quote(str(policy_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ProblemDetails | VersionOut | None:
    if response.status_code == 200:
        response_200 = VersionOut.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = ProblemDetails.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = ProblemDetails.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ProblemDetails | VersionOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    policy_id: str,
    *,
    client: AuthenticatedClient,
    channel: None | str | Unset = UNSET,
    message: str | Unset = "",
    candidate: bool | Unset = False,
) -> Response[ProblemDetails | VersionOut]:
    """Remove an uploaded policy: a new version without it

    Args:
        policy_id (str):
        channel (None | str | Unset):
        message (str | Unset):  Default: ''.
        candidate (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ProblemDetails | VersionOut]
    """

    kwargs = _get_kwargs(
        policy_id=policy_id,
        channel=channel,
        message=message,
        candidate=candidate,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    policy_id: str,
    *,
    client: AuthenticatedClient,
    channel: None | str | Unset = UNSET,
    message: str | Unset = "",
    candidate: bool | Unset = False,
) -> ProblemDetails | VersionOut | None:
    """Remove an uploaded policy: a new version without it

    Args:
        policy_id (str):
        channel (None | str | Unset):
        message (str | Unset):  Default: ''.
        candidate (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ProblemDetails | VersionOut
    """

    return sync_detailed(
        policy_id=policy_id,
        client=client,
        channel=channel,
        message=message,
        candidate=candidate,
    ).parsed


async def asyncio_detailed(
    policy_id: str,
    *,
    client: AuthenticatedClient,
    channel: None | str | Unset = UNSET,
    message: str | Unset = "",
    candidate: bool | Unset = False,
) -> Response[ProblemDetails | VersionOut]:
    """Remove an uploaded policy: a new version without it

    Args:
        policy_id (str):
        channel (None | str | Unset):
        message (str | Unset):  Default: ''.
        candidate (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ProblemDetails | VersionOut]
    """

    kwargs = _get_kwargs(
        policy_id=policy_id,
        channel=channel,
        message=message,
        candidate=candidate,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    policy_id: str,
    *,
    client: AuthenticatedClient,
    channel: None | str | Unset = UNSET,
    message: str | Unset = "",
    candidate: bool | Unset = False,
) -> ProblemDetails | VersionOut | None:
    """Remove an uploaded policy: a new version without it

    Args:
        policy_id (str):
        channel (None | str | Unset):
        message (str | Unset):  Default: ''.
        candidate (bool | Unset):  Default: False.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ProblemDetails | VersionOut
    """

    return (
        await asyncio_detailed(
            policy_id=policy_id,
            client=client,
            channel=channel,
            message=message,
            candidate=candidate,
        )
    ).parsed
