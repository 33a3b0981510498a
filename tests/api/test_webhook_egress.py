"""Webhook targets: only public addresses, and the request goes to the address that was checked."""

from __future__ import annotations

import socket

import pytest

from api.webhooks.egress import Refused, pinned


def _resolving_to(*addresses: str):
    def resolve(host, port, type=0):  # getaddrinfo's own keyword
        family = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET  # noqa: E731
        return [(family(a), socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def test_a_public_host_is_reached_at_the_checked_address_under_its_own_name():
    target = pinned("https://hooks.example.com:8443/send?key=abc", _resolving_to("93.184.216.34"))
    assert target.url == "https://93.184.216.34:8443/send?key=abc"
    assert target.headers == {"Host": "hooks.example.com:8443"}
    assert target.extensions == {"sni_hostname": "hooks.example.com"}  # TLS checks the name, not the IP


def test_an_ipv6_address_is_bracketed_and_plain_http_needs_no_sni():
    target = pinned("http://hooks.example.com/x", _resolving_to("2606:4700::6810:85e5"))
    assert target.url == "http://[2606:4700::6810:85e5]/x"
    assert target.extensions == {}


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_loopback_private_link_local_shared_and_multicast_addresses_are_refused(address):
    with pytest.raises(Refused):
        pinned("https://looks-public.example.com/hook", _resolving_to(address))


def test_one_private_answer_among_public_ones_is_enough_to_refuse():
    # Otherwise a host that answers both could be aimed inside on a later resolution.
    with pytest.raises(Refused):
        pinned("https://mixed.example.com/hook", _resolving_to("93.184.216.34", "10.0.0.5"))


def test_a_host_that_does_not_resolve_is_refused_with_a_reason():
    def fails(host, port, type=0):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(Refused, match="cannot resolve"):
        pinned("https://nowhere.invalid/hook", fails)


@pytest.fixture
def tls_receiver():
    """An HTTPS server on 127.0.0.1 whose certificate names hooks.example.test only."""
    import http.server
    import ssl
    import threading

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("hooks.example.test")

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # the stdlib's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(self.headers["Host"].encode()[:2])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    yield server.server_address[1], client_context
    server.shutdown()


def test_a_pinned_request_still_checks_the_certificate_against_the_host_name(tls_receiver):
    # The request goes to the checked address, but TLS must verify the name the admin gave:
    # pinning must not turn certificate checks off.
    import httpx

    port, trust = tls_receiver
    target = pinned(f"https://hooks.example.test:{port}/hook", _resolving_to("127.0.0.1"), allowed=lambda _a: True)
    assert target.url == f"https://127.0.0.1:{port}/hook"
    with httpx.Client(verify=trust) as client:
        answered = client.post(target.url, content=b"{}", headers=target.headers, extensions=target.extensions)
        assert answered.status_code == 200
        # Without the name for TLS, the certificate (for hooks.example.test) does not match 127.0.0.1.
        with pytest.raises(httpx.ConnectError):
            client.post(target.url, content=b"{}", headers=target.headers)
