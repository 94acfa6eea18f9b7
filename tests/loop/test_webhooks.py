"""Webhooks: SSRF refusals (save, delivery, redirects), Standard Webhooks signatures, a receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from heedback.core.errors import InvalidInput
from heedback.loop import services
from heedback.notify import webhooks
from heedback.notify.choices import MessageKind, MessageStatus
from heedback.notify.models import OutboxMessage
from heedback.notify.services import WebhookInput, create_webhook, deliver_due

pytestmark = pytest.mark.django_db

REFUSED = [
    # loopback, in every spelling the resolver accepts
    "http://127.0.0.1/",
    "http://127.1/",
    "http://127.0.1/",
    "http://127.255.255.254/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0x0.0x0.0x1/",
    "http://0177.0.0.1/",
    "http://0177.1/",
    "http://017700000001/",
    "http://localhost/",
    "http://LOCALHOST/",
    "http://localhost./",
    "https://127.0.0.1:8443/hook",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::7f00:1]/",  # NAT64 around 127.0.0.1
    # private ranges
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://167772161/",  # 10.0.0.1 as one number
    "http://0xa000001/",
    "http://012.0.0.1/",  # 10.0.0.1 in octal
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.0.1/",
    "http://192.168.1.1:8080/",
    "http://3232235777/",  # 192.168.1.1
    "http://0xc0a80101/",
    "http://[fc00::1]/",
    "http://[fd12:3456:789a::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:192.168.0.1]/",
    # link-local and cloud metadata
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.0.1/",
    "http://2852039166/",  # 169.254.169.254
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:169.254.169.254]/",
    # unspecified, shared, reserved, benchmarking, documentation, broadcast, multicast
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://198.18.0.1/",
    "http://192.0.2.10/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://[ff02::1]/",
    "http://[2001:db8::1]/",
    # not a web address at all
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/",
    "javascript:alert(1)",
    "http:///path-only",
    "http://user:secret@93.184.216.34/",
    "http://93.184.216.34:99999/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_unsafe_destinations_are_refused(url):
    assert len(REFUSED) >= 50
    with pytest.raises(webhooks.UnsafeDestination):
        webhooks.check_url(url)


def fake_dns(monkeypatch, table: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in table:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in table[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_names_that_resolve_to_private_addresses_are_refused(monkeypatch):
    fake_dns(
        monkeypatch,
        {
            "rebind.example": ["93.184.216.34", "127.0.0.1"],  # one bad answer is enough
            "internal.example": ["10.1.2.3"],
            "metadata.example": ["169.254.169.254"],
            "hooks.example": ["93.184.216.34"],
        },
    )
    for host in ("rebind.example", "internal.example", "metadata.example"):
        with pytest.raises(webhooks.UnsafeDestination, match="private or reserved"):
            webhooks.check_url(f"https://{host}/hook")
    checked = webhooks.check_url("https://hooks.example/hook?x=1")
    assert (checked.address, checked.port, checked.target, checked.host) == (
        "93.184.216.34",
        443,
        "/hook?x=1",
        "hooks.example",
    )


def test_public_addresses_pass_and_the_operator_may_allow_a_network(settings):
    assert webhooks.check_url("https://93.184.216.34/h").address == "93.184.216.34"
    assert webhooks.check_url("http://[2606:4700::1111]/").address == "2606:4700::1111"
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert webhooks.check_url("http://127.0.0.1:9/").address == "127.0.0.1"
    with pytest.raises(webhooks.UnsafeDestination):
        webhooks.check_url("http://[::1]/")  # allowing one network allows only that one


def test_saving_a_webhook_checks_its_address(organisation):
    with pytest.raises(InvalidInput) as raised:
        create_webhook(
            organisation, WebhookInput(url="http://169.254.169.254/", events=["nonsense"])
        )
    assert set(raised.value.errors) == {"url", "events.0"}
    assert raised.value.errors["url"] == [
        "169.254.169.254 leads to a private or reserved address (169.254.169.254)"
    ]


# --- a real receiver on loopback --------------------------------------------------------------


class Receiver:
    """An HTTP server on loopback that records requests; paths can answer with a redirect."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.routes: dict[str, tuple[int, dict[str, str]]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status, headers = receiver.routes.get(self.path, (200, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the operator's explicit choice
    server = Receiver()
    yield server
    server.stop()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """Verify a Standard Webhooks signature the way a receiver would."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(f"v1,{expected}", part) for part in headers["webhook-signature"].split()
    )


def test_a_detractor_reaches_the_receiver_signed_once(receiver, organisation, submit, manager):
    created = create_webhook(
        organisation, WebhookInput(url=f"{receiver.url}/hooks", events=["case.opened"])
    )
    assert created.secret.startswith("whsec_")
    response = submit(nps=1)
    services.evaluate_new_responses()
    [message] = OutboxMessage.objects.filter(kind=MessageKind.WEBHOOK)
    assert deliver_due() == 2  # the owner's email and the webhook
    [request] = receiver.requests
    assert request["path"] == "/hooks"
    assert verify(created.secret, request["headers"], request["body"])
    payload = json.loads(request["body"])
    assert (payload["type"], payload["data"]["case"]["response"]) == ("case.opened", response.pk)
    assert request["headers"]["webhook-id"] == message.idempotency_key
    assert request["headers"]["Content-Type"] == "application/json"
    # A worker that died after sending sends again once the lease runs out: same id, so the
    # receiver can drop it.
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.PENDING)
    deliver_due(now=timezone.now() + timedelta(minutes=6))
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [message.idempotency_key] * 2


def test_a_redirect_to_a_private_address_is_refused_at_delivery(
    receiver, organisation, submit, manager
):
    create_webhook(organisation, WebhookInput(url=f"{receiver.url}/moved"))
    receiver.routes["/moved"] = (307, {"Location": "http://169.254.169.254/latest/meta-data/"})
    submit(nps=1)
    services.evaluate_new_responses()
    deliver_due()
    message = OutboxMessage.objects.get(kind=MessageKind.WEBHOOK)
    assert message.status == MessageStatus.PENDING  # to be retried later, never sent there
    assert "private or reserved address (169.254.169.254)" in message.last_error
    assert [r["path"] for r in receiver.requests] == ["/moved"]


def test_redirects_are_followed_within_limits(receiver):
    receiver.routes["/a"] = (308, {"Location": "/b"})
    receiver.routes["/loop"] = (307, {"Location": "/loop"})
    assert webhooks.post(f"{receiver.url}/a", b"{}", {}) == 200
    assert [r["path"] for r in receiver.requests] == ["/a", "/b"]
    with pytest.raises(webhooks.DeliveryFailed, match="more than 3 redirects"):
        webhooks.post(f"{receiver.url}/loop", b"{}", {})
    receiver.routes["/broken"] = (500, {})
    with pytest.raises(webhooks.DeliveryFailed, match="answered 500"):
        webhooks.post(f"{receiver.url}/broken", b"{}", {})


def test_the_slack_format_and_the_event_filter(receiver, organisation, submit, manager):
    create_webhook(organisation, WebhookInput(url=f"{receiver.url}/slack", format="slack"))
    create_webhook(
        organisation, WebhookInput(url=f"{receiver.url}/resolved-only", events=["case.resolved"])
    )
    submit(nps=1)
    services.evaluate_new_responses()
    deliver_due()
    [request] = receiver.requests
    assert request["path"] == "/slack"
    assert json.loads(request["body"]) == {
        "text": "case.opened: Every detractor · Harbour Hotel · NPS 1 (Harbour Hotel)"
    }


def test_webhooks_through_the_api(api, settings):
    refused = api.post("/api/v1/webhooks", {"url": "http://10.0.0.8/hook"})
    assert (refused.status_code, refused.json()["errors"]) == (
        422,
        {"url": ["10.0.0.8 leads to a private or reserved address (10.0.0.8)"]},
    )
    created = api.post(
        "/api/v1/webhooks", {"url": "https://93.184.216.34/hook", "events": ["case.opened"]}
    )
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    listed = api.get("/api/v1/webhooks").json()
    assert [(hook["url"], hook["events"]) for hook in listed] == [
        ("https://93.184.216.34/hook", ["case.opened"])
    ]
    assert "secret" not in listed[0]


def test_a_rule_that_calls_the_webhooks_sends_rule_matched_to_the_receiver(
    receiver, organisation, submit, api
):
    created = create_webhook(
        organisation, WebhookInput(url=f"{receiver.url}/rules", events=["rule.matched"])
    )
    rule = api.post(
        "/api/v1/rules",
        {
            "name": "Any promoter",
            "conditions": [{"kind": "nps_band", "band": "promoter"}],
            "opens_case": False,
            "calls_webhooks": True,
            "is_enabled": True,
        },
    ).json()
    assert rule["calls_webhooks"] is True
    promoter = submit(nps=10)
    submit(nps=8)  # matches no rule: nothing sent
    services.evaluate_new_responses()
    assert deliver_due() == 1
    [request] = receiver.requests
    assert verify(created.secret, request["headers"], request["body"])
    payload = json.loads(request["body"])
    assert payload["type"] == "rule.matched"
    assert payload["data"]["rule"] == {"id": rule["id"], "name": "Any promoter", "tags": []}
    assert payload["data"]["case"] is None
    assert (payload["data"]["response"]["id"], payload["data"]["response"]["scores"]) == (
        promoter.pk,
        "NPS 10",
    )
    assert request["headers"]["webhook-id"] == (
        f"rule-{rule['id']}-response-{promoter.pk}-webhook-{created.webhook.pk}"
    )
