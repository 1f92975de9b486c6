"""The requests session behind a :class:`~cloudinary_presets.cloudinary.transport.Transport`.

Made once per transport: connections whose every request a total deadline can cut
(:mod:`~cloudinary_presets.cloudinary.deadline`), no cookies kept, the environment read
once. Its requests are prepared here and handed straight to the adapter: ``Session.request``
would merge the same settings again on every call (a tenth of a write's CPU time at 0 ms
latency), and what goes out is the same, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict

from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.deadline import DeadlineAdapter


def new_session() -> requests.Session:
    """A session that keeps no cookies, whose connections a deadline can cut."""
    session = requests.Session()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def settle_environment(session: requests.Session, credentials: Credentials) -> dict[str, Any]:
    """What requests would take from the environment for every request, taken once.

    With ``trust_env`` on, requests scans the environment twice per request (proxies,
    ``NO_PROXY``, the CA bundle: a tenth of an apply's CPU time at 0 ms latency). Every
    request of a transport goes to one host, so the answer is always the same: requests'
    own ``merge_environment_settings`` computes it here, once, for that host (the proxies
    from ``HTTPS_PROXY``/``ALL_PROXY``, none when ``NO_PROXY`` covers the host, none for a
    local emulator; the CA bundle from ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``), and
    the session stops looking. It also stops reading ``~/.netrc``, which requests consults
    for requests sent without credentials (unsigned uploads): nothing but the configured
    credentials is sent to Cloudinary.
    """
    settings = session.merge_environment_settings(credentials.api_host, {}, None, None, None)
    session.trust_env = False
    session.verify = settings["verify"]
    return {} if credentials.is_loopback else dict(settings["proxies"])


def send_prepared(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    files: Any,
    data: Any,
    json: Any,
    params: Mapping[str, Any] | None,
    auth: Any,
    timeout: tuple[float, float],
    proxies: dict[str, str],
) -> requests.Response:
    """What ``session.request(..., allow_redirects=False, stream=True)`` sends, for a
    session :func:`settle_environment` has settled: the session's headers, then these (in
    requests' own merge), the same body and auth, its CA settings, ``proxies`` as given.
    Nothing is skipped that such a session would do: it has no hooks and no cookies, and
    it follows no redirects."""
    own: Any = session  # requests' helpers are untyped
    prepared = requests.PreparedRequest()
    prepared.prepare(
        method=method,
        url=url,
        headers=merge_setting(headers, own.headers, dict_class=CaseInsensitiveDict),  # type: ignore[no-untyped-call]
        files=files,
        data=data or {},
        json=json,
        params=params or {},
        auth=auth,
    )
    return own.get_adapter(url).send(  # type: ignore[no-any-return]
        prepared,
        stream=True,
        timeout=timeout,
        verify=own.verify,
        cert=own.cert,
        proxies=proxies,
    )
