from django.test import RequestFactory

from actito_admin.audit.client_ip import client_ip


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_a_forged_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"


def test_with_one_trusted_proxy_the_address_it_saw_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged "6.6.6.6"; the proxy appended the real address it saw.
    assert client_ip(_request("10.0.0.5", "6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_with_two_trusted_proxies_the_second_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.0.0.4")) == "203.0.113.9"


def test_garbage_in_the_header_gives_no_address_rather_than_a_wrong_one(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.5", "not-an-ip")) is None
