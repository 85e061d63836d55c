#!/usr/bin/env python3
"""Offline checks of Baton's Kubernetes manifests (deploy/k8s), run by .ci/run.

1. Schemas. Every object of every manifest file, and of the kustomize output when one is
   given (--rendered), is validated against the Kubernetes OpenAPI schemas bundled in the
   PyPI package kubernetes-validate, in strict mode (an unknown field is an error), for
   each --kube-version. The operators' custom resources have no bundled schema: a
   RabbitmqCluster, the broker users (User, Permission, TopicPermission) and a CloudNativePG
   Cluster are validated against the subsets of their CRDs kept in schemas/; any other kind
   without a schema is an error, not a skip.
2. Wiring. What no schema can see: kustomization.yaml lists every manifest; each Baton
   Deployment runs its own target, probes its own gRPC health service, reads the Secrets
   the operators create for the clusters declared here, defines every $(VAR) before using
   it, drains within its termination grace period, runs locked down (non-root, read-only
   root filesystem, no capabilities) with requests and limits; it has a Service (grpc
   50051, metrics 9464) and a PodDisruptionBudget that select its pods; the HPA's
   Deployment leaves replicas to it; the endpoints in baton.env name existing Services; each
   service logs in to Postgres and RabbitMQ with its own Secret only, the database bootstrap
   runs deploy/postgres/*.sql, and the broker users' permissions are those of
   deploy/rabbitmq/users.sh --print.

Needs kubernetes-validate (which brings jsonschema, referencing and PyYAML).

    validate.py [--kube-version 1.30.0 ...] [--rendered kustomize-output.yaml] [DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import importlib_resources
import jsonschema
import kubernetes_validate
import referencing
import yaml

# Each target's gRPC service, as registered with grpc.health.v1.
HEALTH_SERVICES = {
    "people": "baton.people.v1.PeopleService",
    "projects": "baton.projects.v1.ProjectsService",
    "assets": "baton.assets.v1.AssetsService",
    "notifications": "baton.notifications.v1.NotificationsService",
}
GRPC_PORT = 50051
METRICS_PORT = 9464
# Seconds beyond preStop + 2 x shutdown timeout (calls, then relays and consumers) that the
# grace period must leave for closing pools and flushing telemetry.
GRACE_MARGIN_SECS = 5

CRD_SCHEMAS = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): "rabbitmqcluster-rabbitmq.com-v1beta1.json",
    ("rabbitmq.com/v1beta1", "User"): "user-rabbitmq.com-v1beta1.json",
    ("rabbitmq.com/v1beta1", "Permission"): "permission-rabbitmq.com-v1beta1.json",
    ("rabbitmq.com/v1beta1", "TopicPermission"): "topicpermission-rabbitmq.com-v1beta1.json",
    ("postgresql.cnpg.io/v1", "Cluster"): "cluster-postgresql.cnpg.io-v1.json",
}
# Where each operator writes the Secret Baton reads, from the custom resource's name.
OPERATOR_SECRETS = {
    "Cluster": ("{name}-app", {"uri", "username", "password", "host", "port", "dbname"}),
    "RabbitmqCluster": ("{name}-default-user", {"username", "password", "host", "port"}),
}

# Secrets the deployer creates (README.md, "Secrets you create"): each service's own
# database login, which CloudNativePG applies to its role (postgres.yaml, managed.roles).
DEPLOYER_SECRETS = {
    **{f"baton-db-{target}": {"username", "password"} for target in HEALTH_SERVICES},
    # Each service's broker login, which the Messaging Topology Operator imports into its User.
    **{f"baton-mq-{target}": {"username", "password"} for target in HEALTH_SERVICES},
    # The notifications service's outbound secrets (optional: without them, no webhooks and
    # no SMTP login).
    "baton-notifications-outbound": {"webhooks-secret-key", "smtp-username", "smtp-password"},
}
# The database owner's credentials: for operators, never for a Baton service.
OWNER_SECRET = "baton-db-app"
POSTGRES_SQL = Path(__file__).resolve().parent.parent / "postgres"
# The one source of the broker users' permissions.
USERS_SH = Path(__file__).resolve().parent.parent / "rabbitmq" / "users.sh"
EVENTS_EXCHANGE = "baton.events"

VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        line = f"{where}: {message}"
        if line not in self.errors:
            self.errors.append(line)


def load_documents(path: Path) -> list[dict]:
    with path.open() as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def describe(doc: dict) -> str:
    meta = doc.get("metadata") or {}
    return f"{doc.get('kind')}/{meta.get('name')}"


# --------------------------------------------------------------------------------------
# 1. Schemas


def definitions_resource(version: str) -> referencing.Resource:
    """The bundled Kubernetes definitions (strict variant) closest below `version`."""
    root = importlib_resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    wanted = tuple(int(p) for p in version.split(".")[:2])
    candidates = []
    for entry in root.iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local-strict", entry.name)
        if match and (int(match[1]), int(match[2])) <= wanted:
            candidates.append(((int(match[1]), int(match[2])), entry))
    if not candidates:
        raise SystemExit(f"kubernetes-validate bundles no schema for Kubernetes {version}")
    directory = max(candidates, key=lambda c: c[0])[1]
    contents = json.loads(directory.joinpath("_definitions.json").read_text())
    return referencing.Resource.from_contents(contents)


def crd_validator(schema_dir: Path, file_name: str, version: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((schema_dir / file_name).read_text())
    registry = referencing.Registry().with_resource(
        "https://kubernetes.io/api/_definitions.json", definitions_resource(version)
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_schemas(
    source: str, docs: list[dict], versions: list[str], schema_dir: Path, report: Report
) -> int:
    checked = 0
    for doc in docs:
        where = f"{source}: {describe(doc)}"
        key = (doc.get("apiVersion"), doc.get("kind"))
        for version in versions:
            if key in CRD_SCHEMAS:
                validator = crd_validator(schema_dir, CRD_SCHEMAS[key], version)
                for problem in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
                    path = ".".join(str(p) for p in problem.path) or "(root)"
                    report.error(where, f"{path}: {problem.message} (operator CRD subset, schemas/)")
                continue
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as problem:
                path = ".".join(str(p) for p in problem.path) or "(root)"
                report.error(where, f"{path}: {problem.message} (Kubernetes {problem.version})")
            except kubernetes_validate.SchemaNotFoundError:
                report.error(
                    where,
                    f"no schema for {key[1]} {key[0]} in Kubernetes {version} nor in schemas/; "
                    "add a CRD subset there or drop the object",
                )
        checked += 1
    return checked


# --------------------------------------------------------------------------------------
# 2. Wiring


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_kustomization(directory: Path, report: Report) -> dict:
    path = directory / "kustomization.yaml"
    kustomization = yaml.safe_load(path.read_text())
    listed = set(kustomization.get("resources", []))
    for resource in sorted(listed):
        if not (directory / resource).exists():
            report.error(path.name, f"resources lists {resource}, which does not exist")
    for manifest in sorted(directory.glob("*.yaml")):
        if manifest.name != "kustomization.yaml" and manifest.name not in listed:
            report.error(path.name, f"{manifest.name} is not listed in resources")
    for generator in kustomization.get("configMapGenerator", []):
        for env in generator.get("envs", []):
            if not (directory / env).exists():
                report.error(path.name, f"configMapGenerator {generator.get('name')} reads {env}, which does not exist")
    if "commonLabels" in kustomization:
        report.error(path.name, "commonLabels rewrites selectors (immutable on Deployments); use labels")
    return kustomization


def check_deployment(
    deployment: dict,
    objects: list[dict],
    config: dict[str, str],
    config_map_names: set[str],
    secrets: dict[str, set[str]],
    autoscaled: set[str],
    report: Report,
) -> None:
    where = describe(deployment)
    spec = deployment.get("spec", {})
    pod_labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
    target = pod_labels.get("app.kubernetes.io/component")
    if target not in HEALTH_SERVICES:
        report.error(where, f"pod label app.kubernetes.io/component={target!r} is no Baton target")
        return
    if not selects(spec.get("selector", {}).get("matchLabels", {}), pod_labels):
        report.error(where, "its selector does not select its own pod template")
    if deployment["metadata"]["name"] in autoscaled and "replicas" in spec:
        report.error(where, "an HPA scales it, so spec.replicas must be left out (every apply would reset it)")

    pod = spec.get("template", {}).get("spec", {})
    annotations = spec.get("template", {}).get("metadata", {}).get("annotations", {})
    if annotations.get("prometheus.io/scrape") != "true" or annotations.get("prometheus.io/port") != str(METRICS_PORT):
        report.error(where, f"pod template lacks prometheus.io/scrape: \"true\" and prometheus.io/port: \"{METRICS_PORT}\"")
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True:
        report.error(where, "pod securityContext.runAsNonRoot must be true")
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        report.error(where, "pod securityContext.seccompProfile.type must be RuntimeDefault")

    containers = pod.get("containers", [])
    if len(containers) != 1:
        report.error(where, "expected exactly one container")
        return
    container = containers[0]
    args = container.get("args", [])
    if args[:2] != ["--target", target]:
        report.error(where, f"container args {args} do not run --target {target}")

    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    if ports.get("grpc") != GRPC_PORT or ports.get("metrics") != METRICS_PORT:
        report.error(where, f"container ports must be grpc {GRPC_PORT} and metrics {METRICS_PORT}, not {ports}")

    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        grpc = (container.get(probe_name) or {}).get("grpc")
        if not grpc:
            report.error(where, f"{probe_name} must be a native grpc probe")
        elif grpc.get("port") != GRPC_PORT or grpc.get("service") != HEALTH_SERVICES[target]:
            report.error(
                where,
                f"{probe_name} probes {grpc.get('service')!r} on {grpc.get('port')}, "
                f"not {HEALTH_SERVICES[target]!r} on {GRPC_PORT}",
            )

    security = container.get("securityContext", {})
    if security.get("allowPrivilegeEscalation") is not False:
        report.error(where, "container securityContext.allowPrivilegeEscalation must be false")
    if security.get("readOnlyRootFilesystem") is not True:
        report.error(where, "container securityContext.readOnlyRootFilesystem must be true")
    if security.get("capabilities", {}).get("drop") != ["ALL"]:
        report.error(where, "container securityContext.capabilities.drop must be [ALL]")

    resources = container.get("resources", {})
    for bound in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(resources.get(bound, {})):
            report.error(where, f"resources.{bound} must set cpu and memory")

    # Graceful termination: preStop, then the server's drain of calls and of its tasks.
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    pre_stop_secs = pre_stop.get("sleep", {}).get("seconds")
    if pre_stop_secs is None:
        report.error(where, "lifecycle.preStop must sleep, so endpoints drain before SIGTERM")
        pre_stop_secs = 0
    shutdown_secs = int(config.get("BATON_SHUTDOWN_TIMEOUT_MS", "10000")) / 1000
    needed = pre_stop_secs + 2 * shutdown_secs + GRACE_MARGIN_SECS
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace < needed:
        report.error(
            where,
            f"terminationGracePeriodSeconds {grace} < preStop {pre_stop_secs} + 2 x shutdown "
            f"{shutdown_secs:g} + {GRACE_MARGIN_SECS} = {needed:g}",
        )

    # Configuration and secrets.
    env_from = [e.get("configMapRef", {}).get("name") for e in container.get("envFrom", [])]
    if not any(name in config_map_names for name in env_from):
        report.error(where, f"envFrom {env_from} names none of the generated ConfigMaps {sorted(config_map_names)}")
    defined: set[str] = set(config)
    names = []
    for variable in container.get("env", []):
        name = variable["name"]
        names.append(name)
        for used in VAR_REF.findall(variable.get("value", "")):
            if used not in defined:
                report.error(where, f"env {name} uses $({used}) before it is defined: Kubernetes would keep it literally")
        secret_ref = variable.get("valueFrom", {}).get("secretKeyRef")
        if secret_ref:
            secret, key = secret_ref.get("name"), secret_ref.get("key")
            if secret not in secrets:
                report.error(where, f"env {name} reads Secret {secret}, which no operator here creates ({sorted(secrets)})")
            elif key not in secrets[secret]:
                report.error(where, f"env {name} reads key {key!r} the operator does not write to {secret}")
        defined.add(name)
    for required in (f"BATON_DATABASE__URLS__{target.upper()}", f"BATON_AMQP__URLS__{target.upper()}"):
        if required not in names:
            report.error(where, f"env lacks {required}")
    # The broker: the service's own user, never the operator's administrator.
    for variable in container.get("env", []):
        ref = variable.get("valueFrom", {}).get("secretKeyRef", {})
        secret = ref.get("name", "")
        if secret.startswith("baton-mq-") and secret != f"baton-mq-{target}":
            report.error(where, f"env {variable.get('name')} reads {secret}: a service gets its own broker login only")
        if secret.endswith("-default-user") and ref.get("key") in ("username", "password"):
            report.error(where, f"env {variable.get('name')} reads the broker administrator's {ref.get('key')}")
        name = variable.get("name", "")
        if name == "AMQP_URL" or name.startswith("BATON_AMQP__URLS__") and name != f"BATON_AMQP__URLS__{target.upper()}":
            report.error(where, f"env {name}: a service gets its own broker URL only")
    # Data-layer isolation: the service's own login, and no other database credentials.
    for variable in container.get("env", []):
        secret = variable.get("valueFrom", {}).get("secretKeyRef", {}).get("name", "")
        if secret == OWNER_SECRET or (secret.startswith("baton-db-") and secret != f"baton-db-{target}"):
            report.error(where, f"env {variable.get('name')} reads {secret}: a service gets its own login only")
        if variable.get("name") == "DATABASE_URL" or variable.get("name", "").startswith("BATON_DATABASE__URLS__") and \
                variable.get("name") != f"BATON_DATABASE__URLS__{target.upper()}":
            report.error(where, f"env {variable.get('name')}: a service gets its own database URL only")

    # Authentication: the JWKS and the service key come from the Secret baton-auth.
    if config.get("BATON_AUTH__DEVELOPMENT", "false").lower() == "true":
        report.error(where, "BATON_AUTH__DEVELOPMENT must stay off in a deployment")
    mounts = {m.get("name"): m.get("mountPath") for m in container.get("volumeMounts", [])}
    auth_volumes = [v for v in pod.get("volumes", []) if v.get("secret", {}).get("secretName") == "baton-auth"]
    if len(auth_volumes) != 1 or auth_volumes[0].get("name") not in mounts:
        report.error(where, "the Secret baton-auth must be mounted (JWKS and service signing key)")
    else:
        mount = mounts[auth_volumes[0]["name"]]
        for key in ("BATON_AUTH__JWKS_FILE", "BATON_AUTH__SIGNING_KEY_FILE"):
            if not config.get(key, "").startswith(mount.rstrip("/") + "/"):
                report.error(where, f"{key} must name a file under {mount}, where baton-auth is mounted")

    # Its Service and PodDisruptionBudget.
    services = [
        o for o in objects
        if o.get("kind") == "Service" and selects(o.get("spec", {}).get("selector", {}), pod_labels)
    ]
    if len(services) != 1:
        report.error(where, f"expected one Service selecting its pods, found {len(services)}")
    else:
        service_ports = {p.get("name"): p.get("port") for p in services[0]["spec"].get("ports", [])}
        if service_ports.get("grpc") != GRPC_PORT or service_ports.get("metrics") != METRICS_PORT:
            report.error(describe(services[0]), f"ports must be grpc {GRPC_PORT} and metrics {METRICS_PORT}")
    budgets = [
        o for o in objects
        if o.get("kind") == "PodDisruptionBudget"
        and selects(o.get("spec", {}).get("selector", {}).get("matchLabels", {}), pod_labels)
    ]
    if len(budgets) != 1:
        report.error(where, f"expected one PodDisruptionBudget selecting its pods, found {len(budgets)}")


def check_wiring(objects: list[dict], config: dict[str, str], config_map_names: set[str], report: Report) -> None:
    secrets: dict[str, set[str]] = dict(DEPLOYER_SECRETS)
    for o in objects:
        if o.get("kind") in OPERATOR_SECRETS and (o.get("apiVersion"), o.get("kind")) in CRD_SCHEMAS:
            pattern, keys = OPERATOR_SECRETS[o["kind"]]
            secrets[pattern.format(name=o["metadata"]["name"])] = keys
    deployments = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "Deployment"}
    autoscaled = set()
    for hpa in (o for o in objects if o.get("kind") == "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        if ref.get("kind") != "Deployment" or ref.get("name") not in deployments:
            report.error(describe(hpa), f"scales {ref.get('kind')}/{ref.get('name')}, which is not defined here")
        autoscaled.add(ref.get("name"))
    targets = set()
    for deployment in deployments.values():
        check_deployment(deployment, objects, config, config_map_names, secrets, autoscaled, report)
        targets.add(deployment["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component"))
    missing = set(HEALTH_SERVICES) - targets
    if missing:
        report.error("deployments", f"no Deployment runs {sorted(missing)}")
    for cluster in (o for o in objects if o.get("kind") == "Cluster"):
        check_database_roles(cluster, report)
    check_broker_users(objects, report)
    service_names = {o["metadata"]["name"] for o in objects if o.get("kind") == "Service"}
    for key, value in sorted(config.items()):
        if key.startswith("BATON_ENDPOINTS__"):
            match = re.fullmatch(rf"http://([a-z0-9-]+):{GRPC_PORT}", value)
            if not match or match[1] not in service_names:
                report.error("baton.env", f"{key}={value} is not http://<a Service defined here>:{GRPC_PORT}")


def sql_statements(text: str) -> list[str]:
    """The statements of SQL text, comments dropped and whitespace collapsed."""
    text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    if "DO $$" in text:
        # One DO block (roles.sql): a statement whose body has semicolons of its own.
        return [" ".join(text.split()).rstrip(";").strip()]
    return [" ".join(part.split()) for part in text.split(";") if part.strip()]


def check_database_roles(cluster: dict, report: Report) -> None:
    """The Cluster creates every service's role and schema as deploy/postgres says, and
    applies each role's password from its Secret."""
    where = describe(cluster)
    spec = cluster.get("spec", {})
    applied = [statement for text in spec.get("bootstrap", {}).get("initdb", {}).get("postInitApplicationSQL", [])
               for statement in sql_statements(text)]
    expected = sql_statements((POSTGRES_SQL / "roles.sql").read_text()) \
        + sql_statements((POSTGRES_SQL / "schemas.sql").read_text())
    if applied != expected:
        report.error(where, "bootstrap.initdb.postInitApplicationSQL differs from deploy/postgres/roles.sql + schemas.sql")
    roles = {r.get("name"): r for r in spec.get("managed", {}).get("roles", [])}
    for target in HEALTH_SERVICES:
        role = roles.get(f"baton_{target}")
        if not role or not role.get("login") or role.get("passwordSecret", {}).get("name") != f"baton-db-{target}":
            report.error(where, f"managed.roles must log baton_{target} in with the password of Secret baton-db-{target}")


def check_broker_users(objects: list[dict], report: Report) -> None:
    """Each service has a User that imports its Secret baton-mq-<service>, and a Permission
    and a TopicPermission on the events exchange with exactly the rules of users.sh."""
    printed = subprocess.run(
        ["bash", str(USERS_SH), "--print", "--exchange", EVENTS_EXCHANGE, *HEALTH_SERVICES],
        capture_output=True, text=True, check=True,
    ).stdout
    clusters = {o["metadata"]["name"] for o in objects if o.get("kind") == "RabbitmqCluster"}
    by_kind: dict[str, dict[str, dict]] = {}
    for o in objects:
        if o.get("apiVersion") == "rabbitmq.com/v1beta1" and o.get("kind") in ("User", "Permission", "TopicPermission"):
            by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    for line in printed.splitlines():
        user, configure, write, read, topic_write, topic_read = line.split("\t")
        target = user.removeprefix("baton-")
        expected = {
            "User": {"importCredentialsSecret": {"name": f"baton-mq-{target}"}},
            "Permission": {"vhost": "/", "userReference": {"name": user},
                           "permissions": {"configure": configure, "write": write, "read": read}},
            "TopicPermission": {"vhost": "/", "userReference": {"name": user},
                                "permissions": {"exchange": EVENTS_EXCHANGE, "write": topic_write, "read": topic_read}},
        }
        for kind, wanted in expected.items():
            found = by_kind.get(kind, {}).get(user)
            if not found:
                report.error("broker users", f"no {kind} {user} (rabbitmq-users.yaml)")
                continue
            spec = found.get("spec", {})
            for key, value in wanted.items():
                if spec.get(key) != value:
                    report.error(describe(found), f"spec.{key} is {spec.get(key)!r}, users.sh says {value!r}")
            if spec.get("rabbitmqClusterReference", {}).get("name") not in clusters:
                report.error(describe(found), f"rabbitmqClusterReference names no RabbitmqCluster here ({sorted(clusters)})")


# --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", default=Path(__file__).resolve().parent, type=Path)
    parser.add_argument("--kube-version", action="append", dest="versions",
                        help="Kubernetes version to validate against (repeatable)")
    parser.add_argument("--rendered", type=Path, help="the output of `kubectl kustomize DIR`, validated as well")
    args = parser.parse_args()
    versions = args.versions or [kubernetes_validate.latest_version()]
    directory: Path = args.directory
    schema_dir = directory / "schemas"
    report = Report()

    kustomization = check_kustomization(directory, report)
    manifest_files = [p for p in sorted(directory.glob("*.yaml")) if p.name != "kustomization.yaml"]
    raw: list[dict] = []
    checked = 0
    for path in manifest_files:
        docs = load_documents(path)
        checked += validate_schemas(path.name, docs, versions, schema_dir, report)
        raw.extend(docs)

    config_path = directory / "baton.env"
    config = read_env_file(config_path) if config_path.exists() else {}
    generated = {g["name"] for g in kustomization.get("configMapGenerator", [])}

    if args.rendered:
        rendered = load_documents(args.rendered)
        checked += validate_schemas("kustomize output", rendered, versions, schema_dir, report)
        # The generated ConfigMaps carry a content hash in their names.
        config_map_names = {
            o["metadata"]["name"] for o in rendered
            if o.get("kind") == "ConfigMap" and any(o["metadata"]["name"].startswith(g + "-") for g in generated)
        }
        if not config_map_names:
            report.error("kustomize output", f"the generated ConfigMaps {sorted(generated)} are missing")
        check_wiring(rendered, config, config_map_names, report)
    else:
        check_wiring(raw, config, generated, report)

    for line in report.errors:
        print(f"ERROR {line}")
    custom = sum(1 for d in raw if (d.get("apiVersion"), d.get("kind")) in CRD_SCHEMAS)
    summary = (
        f"{checked} objects ({len(raw)} in {len(manifest_files)} files"
        f"{', plus the kustomize output' if args.rendered else ''}; {custom} custom resources "
        f"against the operator CRD subsets) for Kubernetes {', '.join(versions)}"
    )
    if report.errors:
        print(f"k8s manifests: {len(report.errors)} problem(s) in {summary}")
        return 1
    print(f"k8s manifests: valid, {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
