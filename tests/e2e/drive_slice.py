#!/usr/bin/env python3
"""Drive one Baton slice end to end as an independent, third-party gRPC client.

The script knows nothing of Baton at build time: it discovers the services through gRPC server
reflection, builds request messages from dicts (json_format) with classes made at run time
(message_factory.GetMessageClass) and reads responses back as dicts. See README.md beside it.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import grpc
from google.protobuf import descriptor_database, descriptor_pool, json_format, message_factory
from google.protobuf import timestamp_pb2  # noqa: F401  (a fallback copy of a well-known type)
from google.protobuf.descriptor_pb2 import FileDescriptorProto
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2  # v1 and v1alpha are the same on the wire

try:  # decodes grpc-status-details-bin without reflection, when installed
    from google.rpc import error_details_pb2, status_pb2
except ImportError:
    error_details_pb2 = status_pb2 = None

SERVICES = {
    "people": "baton.people.v1.PeopleService",
    "projects": "baton.projects.v1.ProjectsService",
    "assets": "baton.assets.v1.AssetsService",
    "notifications": "baton.notifications.v1.NotificationsService",
}
# A development server (`baton-server --development`) accepts HS256 tokens signed with its
# development secret; the script signs one per person, asserting the global role that goes with
# their role at the agency, and acts as an administrator where it names nobody.
DEVELOPMENT_SECRET = "baton-development-only: never accept tokens signed with this in production"
OPERATOR = "people/00000000-0000-4000-8000-000000000000"
GLOBAL_ROLES = {"PERSON_ROLE_PRODUCER": "producer", "PERSON_ROLE_CLIENT_CONTACT": "client_contact"}
ASSET_STATUS_CHANGED = "NOTIFICATION_KIND_ASSET_STATUS_CHANGED"
MEMBER_ADDED = "NOTIFICATION_KIND_PROJECT_MEMBER_ADDED"
# The asset workflow the script drives: (method, who acts, comment, status afterwards).
WORKFLOW = [
    ("StartAsset", "animator", None, "ASSET_STATUS_IN_PROGRESS"),
    ("SubmitAssetForReview", "animator", "First cut is ready.", "ASSET_STATUS_IN_REVIEW"),
    ("RequestAssetChanges", "client", "Slower ease-in on the logo, please.",
     "ASSET_STATUS_CHANGES_REQUESTED"),
    ("StartAsset", "animator", None, "ASSET_STATUS_IN_PROGRESS"),
    ("SubmitAssetForReview", "animator", "Ease-in slowed down.", "ASSET_STATUS_IN_REVIEW"),
    ("ApproveAsset", "producer", "Looks great.", "ASSET_STATUS_APPROVED"),
    ("DeliverAsset", "producer", None, "ASSET_STATUS_DELIVERED"),
]

failures: list[str] = []


def check(ok: bool, what: str) -> bool:
    """Records a failed check and goes on; the run fails at the end."""
    if not ok:
        failures.append(what)
        print(f"    FAIL: {what}")
    return ok


def eventually(timeout: float, probe, interval: float = 0.2):
    """Polls `probe` until it returns something truthy or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class ReflectionDatabase(descriptor_database.DescriptorDatabase):
    """File descriptors fetched on demand from a server's reflection service, v1 or else v1alpha."""

    def __init__(self, channel: grpc.Channel, timeout: float):
        super().__init__()
        self._channel, self._timeout, self.version = channel, timeout, "v1"

    def _ask(self, **request) -> reflection_pb2.ServerReflectionResponse:
        message = reflection_pb2.ServerReflectionRequest(**request)
        while True:
            rpc = self._channel.stream_stream(
                f"/grpc.reflection.{self.version}.ServerReflection/ServerReflectionInfo",
                request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
            try:
                response = next(rpc(iter([message]), timeout=self._timeout))
                break
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNIMPLEMENTED or self.version == "v1alpha":
                    raise
                self.version = "v1alpha"  # no v1 on this server: fall back to v1alpha
        if response.HasField("error_response"):
            raise KeyError(f"{request}: {response.error_response.error_message}")
        return response

    def services(self) -> list[str]:
        return [s.name for s in self._ask(list_services="").list_services_response.service]

    def _add_files(self, response) -> None:
        for raw in response.file_descriptor_response.file_descriptor_proto:
            proto = FileDescriptorProto.FromString(raw)
            try:
                super().FindFileByName(proto.name)
            except KeyError:
                self.Add(proto)

    def FindFileByName(self, name: str) -> FileDescriptorProto:
        try:
            return super().FindFileByName(name)
        except KeyError:
            pass
        try:
            self._add_files(self._ask(file_by_filename=name))
        except KeyError:
            if not name.startswith("google/protobuf/"):
                raise
            proto = FileDescriptorProto()  # a well-known type the server did not publish
            descriptor_pool.Default().FindFileByName(name).CopyToProto(proto)
            self.Add(proto)
        return super().FindFileByName(name)

    def FindFileContainingSymbol(self, symbol: str) -> FileDescriptorProto:
        try:
            return super().FindFileContainingSymbol(symbol)
        except KeyError:
            self._add_files(self._ask(file_containing_symbol=symbol))
            return super().FindFileContainingSymbol(symbol)


class Endpoint:
    """One server address: a channel and the descriptor pool its reflection service fills."""

    def __init__(self, target: str, timeout: float):
        self.channel = grpc.insecure_channel(target)
        self.reflection = ReflectionDatabase(self.channel, timeout)
        self.pool = descriptor_pool.DescriptorPool(self.reflection)


def development_token(subject: str, roles: list[str], lifetime_s: int = 3600) -> str:
    """An HS256 JWT for `subject`, as `baton-server dev-token` signs them."""
    def encode(part: dict) -> str:
        raw = json.dumps(part, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"sub": subject, "iss": "baton", "aud": "baton", "iat": now, "nbf": now,
              "exp": now + lifetime_s, "jti": str(uuid.uuid4()), "roles": roles}
    signing_input = f"{encode({'alg': 'HS256', 'typ': 'JWT'})}.{encode(claims)}"
    signature = hmac.new(DEVELOPMENT_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


class Baton:
    """Calls any Baton RPC by service key and method name, with dicts in and dicts out."""

    def __init__(self, targets: dict[str, str], timeout: float):
        self.timeout = timeout
        # The global roles each person's tokens assert, by resource name.
        self.roles: dict[str, list[str]] = {OPERATOR: ["admin"]}
        self.tokens: dict[str, str] = {}
        self.by_target = {target: Endpoint(target, timeout) for target in set(targets.values())}
        self.endpoints = {key: self.by_target[target] for key, target in targets.items()}

    def _method(self, key: str, method: str, streaming: bool = False):
        endpoint = self.endpoints[key]
        descriptor = endpoint.pool.FindServiceByName(SERVICES[key]).methods_by_name[method]
        request_class = message_factory.GetMessageClass(descriptor.input_type)
        response_class = message_factory.GetMessageClass(descriptor.output_type)
        make = endpoint.channel.unary_stream if streaming else endpoint.channel.unary_unary
        rpc = make(f"/{SERVICES[key]}/{method}",
                   request_serializer=request_class.SerializeToString,
                   response_deserializer=response_class.FromString)
        return rpc, request_class

    def register(self, person: dict) -> None:
        """Remembers the global role a person's development tokens assert."""
        self.roles[person["name"]] = [GLOBAL_ROLES.get(person.get("role", ""), "member")]

    def _metadata(self, actor: str | None):
        subject = actor or OPERATOR
        if subject not in self.tokens:
            self.tokens[subject] = development_token(subject, self.roles.get(subject, ["member"]))
        return [("authorization", f"Bearer {self.tokens[subject]}")]

    def call(self, key: str, method: str, body: dict, actor: str | None = None) -> dict:
        rpc, request_class = self._method(key, method)
        request = json_format.ParseDict(body, request_class())
        response = rpc(request, timeout=self.timeout, metadata=self._metadata(actor))
        return to_dict(response)

    def stream(self, key: str, method: str, body: dict, actor: str | None = None):
        """Opens a server stream with no deadline; iterate it for messages, cancel() to hang up."""
        rpc, request_class = self._method(key, method, streaming=True)
        return rpc(json_format.ParseDict(body, request_class()), metadata=self._metadata(actor))

    def expect_error(self, code: grpc.StatusCode, key: str, method: str, body: dict,
                     actor: str | None = None) -> None:
        try:
            self.call(key, method, body, actor)
        except grpc.RpcError as err:
            check(err.code() == code, f"{method} answered {err.code().name}, expected {code.name}")
            print(f"    {err.code().name}: {describe_error(err)}")
            return
        check(False, f"{method} succeeded, expected {code.name}")



def to_dict(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def describe_error(err: grpc.RpcError) -> str:
    """The status message and the google.rpc details of grpc-status-details-bin, if any."""
    text = err.details() or ""
    raw = dict(err.trailing_metadata() or ()).get("grpc-status-details-bin")
    if raw is None or status_pb2 is None:
        return text
    for detail in status_pb2.Status.FromString(raw).details:
        bad_request, info = error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo()
        if detail.Unpack(bad_request):
            text += "".join(f"\n      field violation {v.field}: {v.description}"
                            for v in bad_request.field_violations)
        elif detail.Unpack(info):
            text += f"\n      error info {info.reason} ({info.domain}) {dict(info.metadata)}"
        else:
            text += f"\n      detail {detail.type_url}"
    return text


class Watcher(threading.Thread):
    """Collects one person's WatchNotifications stream with each message's time of arrival."""

    def __init__(self, baton: Baton, person: str):
        super().__init__(daemon=True, name=f"watch {person}")
        self.person = person
        self.arrivals: list[tuple[float, dict]] = []
        self.opened = threading.Event()
        self.error: grpc.RpcError | None = None
        self._call = baton.stream("notifications", "WatchNotifications",
                                  {"recipient": person}, actor=person)

    def run(self) -> None:
        try:
            self._call.initial_metadata()  # the server has answered: the stream is open
            self.opened.set()
            for response in self._call:
                self.arrivals.append((time.monotonic(), to_dict(response)["notification"]))
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.CANCELLED:
                self.error = err
        finally:
            self.opened.set()

    def notifications(self) -> list[dict]:
        return [n for _, n in list(self.arrivals)]

    def stop(self) -> None:
        self._call.cancel()


@dataclass
class Change:
    method: str
    actor: str
    returned: float  # time.monotonic() when the call returned


@dataclass
class Slice:
    people: dict[str, str] = field(default_factory=dict)  # producer/designer/... -> people/{id}
    project: str = ""
    asset: str = ""
    changes: list[Change] = field(default_factory=list)
    watchers: list[Watcher] = field(default_factory=list)


def inbox(baton: Baton, person: str, unread_only: bool = False) -> list[dict]:
    """All of one person's notifications, newest first, page by page."""
    found, token = [], ""
    while True:
        page = baton.call("notifications", "ListNotifications", {
            "recipient": person, "unread_only": unread_only, "page_token": token}, actor=person)
        found += page.get("notifications", [])
        token = page.get("next_page_token", "")
        if not token:
            return found


def health_status(endpoint: Endpoint, service: str, timeout: float) -> str:
    try:
        response = health_pb2_grpc.HealthStub(endpoint.channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    except grpc.RpcError as err:
        return err.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def step_discover(baton: Baton, targets: dict[str, str]) -> None:
    for target, endpoint in sorted(baton.by_target.items()):
        listed = endpoint.reflection.services()
        wanted = [SERVICES[k] for k, t in targets.items() if t == target]
        states = {service: health_status(endpoint, service, baton.timeout) for service in wanted}
        print(f"[1] {target}: reflection {endpoint.reflection.version} lists {sorted(listed)}; "
              f"health {states}")
        for service in wanted:
            check(service in listed, f"{target} does not list {service}")
            check(states[service] == "SERVING", f"{target} {service} is {states[service]}")
            endpoint.pool.FindServiceByName(service)  # loads its descriptors through reflection


def step_people(baton: Baton, s: Slice) -> None:
    suffix = uuid.uuid4().hex[:8]
    roles = {"producer": "PRODUCER", "designer": "DESIGNER", "animator": "ANIMATOR",
             "client": "CLIENT_CONTACT"}
    for key, role in roles.items():
        request = {"person": {"display_name": f"E2E {key.title()} {suffix}",
                              "email": f"{key}.{suffix}@e2e.example.com",
                              "role": f"PERSON_ROLE_{role}"},
                   "request_id": str(uuid.uuid4())}
        person = baton.call("people", "CreatePerson", request)["person"]
        s.people[key] = person["name"]
        baton.register(person)
        check(person.get("role") == f"PERSON_ROLE_{role}", f"{key} has role {person.get('role')}")
    again = baton.call("people", "CreatePerson", request)["person"]  # the client's, repeated
    print(f"[2] created {s.people}; repeated request_id gave {again['name']}")
    check(again["name"] == s.people["client"], "a repeated CreatePerson made another person")


def step_project(baton: Baton, s: Slice) -> None:
    producer = s.people["producer"]
    client = baton.call("projects", "CreateClient", {
        "client": {"display_name": f"Northwind Coffee {uuid.uuid4().hex[:8]}", "industry": "Food and drink",
                   "contacts": [{"person": s.people["client"], "title": "Head of marketing"}]},
        "request_id": str(uuid.uuid4())}, actor=producer)["client"]
    check(client["name"].startswith("clients/"), f"CreateClient answered {client}")
    project = baton.call("projects", "CreateProject", {
        "project": {"display_name": "E2E website relaunch", "client": client["name"],
                    "brief": "Relaunch the website with an animated hero.",
                    "due_date": "2027-03-31"},
        "request_id": str(uuid.uuid4())}, actor=producer)["project"]
    s.project = project["name"]
    check(project.get("state") == "PROJECT_STATE_CONCEPTION", f"new project is {project.get('state')}")
    roles = {"producer": "PRODUCER", "designer": "CONTRIBUTOR", "animator": "CONTRIBUTOR",
             "client": "CLIENT"}
    for key, role in roles.items():
        member = baton.call("projects", "AddProjectMember", {
            "parent": s.project,
            "member": {"person": s.people[key], "role": f"PROJECT_MEMBER_ROLE_{role}"},
            "request_id": str(uuid.uuid4())}, actor=producer)["member"]
        check(member.get("person") == s.people[key], f"membership of {key} is {member}")
    print(f"[3] created {s.project} (due {project.get('due_date')}) with 4 members")


def step_watch(baton: Baton, s: Slice) -> None:
    s.watchers = [Watcher(baton, s.people[key]) for key in ("designer", "client")]
    for watcher in s.watchers:
        watcher.start()
    for watcher in s.watchers:
        opened = watcher.opened.wait(baton.timeout) and watcher.error is None
        check(opened, f"WatchNotifications for {watcher.person} did not open: {watcher.error}")
    print(f"[4] watching notifications of {[w.person for w in s.watchers]}")


def step_member_added(baton: Baton, s: Slice) -> None:
    def added(person: str) -> list[dict]:
        return [n for n in inbox(baton, person)
                if n.get("kind") == MEMBER_ADDED and n.get("project") == s.project]

    for key in ("designer", "animator", "client"):
        got = eventually(baton.timeout, lambda: added(s.people[key]))
        check(len(got) == 1, f"{key} has {len(got)} PROJECT_MEMBER_ADDED notifications")
    producer_kinds = [n.get("kind") for n in inbox(baton, s.people["producer"])]
    print(f"[5] designer, animator, client were told they joined; the producer got {producer_kinds}")


def step_asset(baton: Baton, s: Slice) -> None:
    producer = s.people["producer"]
    asset = baton.call("assets", "CreateAsset", {
        "parent": s.project,
        "asset": {"display_name": "Hero animation", "description": "A 5 s logo reveal.",
                  "kind": "ASSET_KIND_ANIMATION", "assignees": [s.people["animator"]],
                  "weight": 5},
        "request_id": str(uuid.uuid4())}, actor=producer)["asset"]
    s.asset = asset["name"]
    check(asset.get("status") == "ASSET_STATUS_PLANNED", f"new asset is {asset.get('status')}")
    for method, key, comment, status in WORKFLOW:
        body = {"name": s.asset, "request_id": str(uuid.uuid4())}
        if comment:
            body["comment"] = comment
        asset = baton.call("assets", method, body, actor=s.people[key])["asset"]
        s.changes.append(Change(method, s.people[key], time.monotonic()))
        check(asset.get("status") == status, f"{method} left {asset.get('status')}, not {status}")
    print(f"[6] drove {s.asset} through {len(s.changes)} changes to {asset.get('status')}")

    planned = baton.call("assets", "CreateAsset", {
        "parent": s.project,
        "asset": {"display_name": "Hero still", "kind": "ASSET_KIND_GRAPHIC"}},
        actor=producer)["asset"]
    print(f"[6] DeliverAsset on PLANNED {planned['name']}:")
    baton.expect_error(grpc.StatusCode.FAILED_PRECONDITION, "assets", "DeliverAsset",
                       {"name": planned["name"]}, actor=producer)
    print("[6] CreatePerson with an empty display_name and a bad email:")
    baton.expect_error(grpc.StatusCode.INVALID_ARGUMENT, "people", "CreatePerson",
                       {"person": {"display_name": "", "email": "not-an-email",
                                   "role": "PERSON_ROLE_DESIGNER"}})


def step_status_changed(baton: Baton, s: Slice) -> None:
    expected = {key: sum(c.actor != person for c in s.changes) for key, person in s.people.items()}

    def changed(notes: list[dict]) -> list[dict]:
        return [n for n in notes
                if n.get("kind") == ASSET_STATUS_CHANGED and n.get("project") == s.project]

    def tally() -> dict[str, list[dict]]:
        return {key: changed(inbox(baton, person)) for key, person in s.people.items()}

    def all_arrived() -> dict[str, list[dict]] | None:
        got = tally()
        return got if all(len(got[key]) >= expected[key] for key in got) else None

    got = eventually(baton.timeout, all_arrived) or tally()
    counts = {key: len(notes) for key, notes in got.items()}
    print(f"[7] ASSET_STATUS_CHANGED per person {counts}, expected {expected}")
    for key, notes in got.items():
        check(counts[key] == expected[key], f"{key} got {counts[key]}, expected {expected[key]}")
        subjects = {n.get("subject") for n in notes} - {s.asset}
        check(not subjects, f"{key}'s notifications are about {subjects}, not {s.asset}")

    latencies = []
    for watcher in s.watchers:
        key = next(k for k, p in s.people.items() if p == watcher.person)
        want = {n["name"] for n in got[key]}
        eventually(baton.timeout, lambda: want <= {n["name"] for n in watcher.notifications()})
        streamed = [(at, n) for at, n in list(watcher.arrivals) if changed([n])]
        names = [n["name"] for _, n in streamed]
        check(watcher.error is None, f"{key}'s stream failed: {watcher.error}")
        check(sorted(names) == sorted(want),
              f"{key}'s stream has {len(names)} ({len(set(names))} distinct), the inbox {len(want)}:"
              f" {len(want - set(names))} missing, {len(set(names) - want)} extra")
        every = {n["name"] for n in inbox(baton, watcher.person)}
        stray = [n["name"] for n in watcher.notifications() if n["name"] not in every]
        check(not stray, f"{key}'s stream has notifications not in the inbox: {stray}")
        # The stream delivers in commit order: the i-th arrival answers the i-th change by others.
        theirs = [c for c in s.changes if c.actor != watcher.person]
        latencies += [at - change.returned for (at, _), change in zip(streamed, theirs)]
    if latencies:
        ms = sorted(1000 * x for x in latencies)
        print(f"[7] streams compared with inboxes; change->stream latency ms "
              f"min {ms[0]:.1f} median {statistics.median(ms):.1f} max {ms[-1]:.1f} (n={len(ms)})")


def step_mark_read(baton: Baton, s: Slice) -> None:
    designer = s.people["designer"]
    unread = inbox(baton, designer, unread_only=True)
    if not check(bool(unread), "the designer has no unread notification"):
        return
    target = unread[0]["name"]
    marked = baton.call("notifications", "MarkNotificationRead", {"name": target},
                        actor=designer)["notification"]
    check("read_time" in marked, f"{target} has no read_time after MarkNotificationRead")
    after = [n["name"] for n in inbox(baton, designer, unread_only=True)]
    check(target not in after and len(after) == len(unread) - 1,
          f"unread went from {len(unread)} to {len(after)}, {target} still there: {target in after}")
    print(f"[8] marked {target} read; unread {len(unread)} -> {len(after)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="127.0.0.1:50051",
                        help="HOST:PORT serving all four services (default %(default)s)")
    for key in SERVICES:
        parser.add_argument(f"--{key}", metavar="HOST:PORT", help=f"where {key} runs instead")
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="seconds for each call and each wait (default %(default)s)")
    args = parser.parse_args()
    targets = {key: getattr(args, key) or args.endpoint for key in SERVICES}

    baton, s = Baton(targets, args.timeout), Slice()
    steps = [("discover", lambda: step_discover(baton, targets)),
             ("people", lambda: step_people(baton, s)),
             ("project", lambda: step_project(baton, s)),
             ("watch", lambda: step_watch(baton, s)),
             ("member added", lambda: step_member_added(baton, s)),
             ("asset", lambda: step_asset(baton, s)),
             ("status changed", lambda: step_status_changed(baton, s)),
             ("mark read", lambda: step_mark_read(baton, s))]
    try:
        for name, run in steps:
            try:
                run()
            except grpc.RpcError as err:  # each step builds on the ones before: stop here
                failures.append(f"{name}: a call failed, {err.code().name}: {describe_error(err)}")
                break
            except (KeyError, json_format.ParseError) as err:  # a missing service, method, field
                failures.append(f"{name}: {type(err).__name__}: {err}")
                break
            if name == "discover" and failures:
                break  # nothing else can work without the services
    finally:
        for watcher in s.watchers:
            watcher.stop()
    if failures:
        print(f"e2e: FAILED ({len(failures)})")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("e2e: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
