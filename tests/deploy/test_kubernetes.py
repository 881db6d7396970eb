"""k8s/: both overlays build, validate strictly against Kubernetes 1.30, and run each process safely."""

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.deploy.manifests import (
    OVERLAYS,
    Object,
    config_map_data,
    container,
    drillquiz_deployments,
    flower_prefix,
    image_env,
    image_user,
    objects,
    of_kind,
    pod_spec,
)
from tests.processes import ROOT, process_env

KUBERNETES_VERSION = "1.30.0"
KUBERNETES_VALIDATE = str(Path(sys.executable).parent / "kubernetes-validate")


def validate(manifests: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBERNETES_VALIDATE, "--strict", "--kubernetes-version", KUBERNETES_VERSION, "-"],
        input=manifests,
        capture_output=True,
        text=True,
        timeout=120,
    )


# Kinds of operators' APIs, which kubernetes-validate has no schema for: checked against our own (tests/deploy/schemas).
CUSTOM_KINDS = {
    "ServiceMonitor": "servicemonitor_v1.json",
    "ScaledObject": "scaledobject_v1alpha1.json",
    "TriggerAuthentication": "triggerauthentication_v1alpha1.json",
}
SCHEMAS = ROOT / "tests" / "deploy" / "schemas"
CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def check_custom(item: Object, folder: Path) -> subprocess.CompletedProcess[str]:
    instance = folder / f"{item['kind']}-{item['metadata']['name']}.yaml"
    instance.write_text(yaml.safe_dump(item))
    schema = SCHEMAS / CUSTOM_KINDS[item["kind"]]
    return subprocess.run(
        [CHECK_JSONSCHEMA, "--schemafile", str(schema), str(instance)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_of_the_overlay_validates_strictly(overlay: str, tmp_path: Path) -> None:
    standard = [item for item in objects(overlay) if item["kind"] not in CUSTOM_KINDS]
    custom = [item for item in objects(overlay) if item["kind"] in CUSTOM_KINDS]

    result = validate(yaml.safe_dump_all(standard))
    checks = [check_custom(item, tmp_path) for item in custom]

    assert result.returncode == 0, result.stdout + result.stderr
    # An object of a kind without a bundled schema is only a warning: every object must have passed.
    assert result.stdout.count(" passed for resource ") == len(standard), result.stdout
    assert all(check.returncode == 0 for check in checks), [check.stdout for check in checks]


def test_the_operators_objects_are_in_prod_only_and_their_schemas_refuse_an_unknown_field(tmp_path: Path) -> None:
    (scaled,) = of_kind("prod", "ScaledObject").values()
    misspelt = {**scaled, "spec": {**scaled["spec"], "minReplicas": 2}}

    refused = check_custom(misspelt, tmp_path)

    assert refused.returncode != 0
    assert set(of_kind("prod", "ServiceMonitor")) == {"drillquiz", "flower"}
    assert not any(item["kind"] in CUSTOM_KINDS for item in objects("dev"))


def test_prometheus_scrapes_the_web_and_the_exporter_on_ports_the_ingress_never_routes() -> None:
    (ingress,) = of_kind("prod", "Ingress").values()
    routed = {path["backend"]["service"]["port"]["name"] for path in ingress["spec"]["rules"][0]["http"]["paths"]}
    monitor = of_kind("prod", "ServiceMonitor")["drillquiz"]
    (endpoint,) = monitor["spec"]["endpoints"]

    for name in ("web", "metrics"):
        deployment = of_kind("prod", "Deployment")[name]
        ports = {port["name"]: port["containerPort"] for port in container(deployment)["ports"]}
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        service = of_kind("prod", "Service")[name]
        assert annotations["prometheus.io/port"] == str(ports["metrics"]), name
        assert annotations["prometheus.io/path"] == endpoint["path"] == "/metrics", name
        assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}, name
        assert set(monitor["spec"]["selector"]["matchLabels"].items()) <= set(service["metadata"]["labels"].items())
    assert routed == {"http"}
    assert int(image_env()["WEB_METRICS_PORT"]) == 9101
    assert int(image_env()["METRICS_PORT"]) == 9100


def test_only_prometheus_may_open_the_metrics_ports() -> None:
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}

    for name in ("web", "metrics"):
        deployment = of_kind("prod", "Deployment")[name]
        policy = of_kind("prod", "NetworkPolicy")[name]
        rules = {rule["ports"][0]["port"]: rule.get("from") for rule in policy["spec"]["ingress"]}
        assert policy["spec"]["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"], name
        assert rules["metrics"] == [monitoring], name
    # The site's own port stays open to all: its rule names no source.
    assert of_kind("prod", "NetworkPolicy")["web"]["spec"]["ingress"][0] == {
        "ports": [{"protocol": "TCP", "port": "http"}]
    }
    assert len(of_kind("prod", "NetworkPolicy")["metrics"]["spec"]["ingress"]) == 1


def test_keda_scales_the_worker_on_each_of_its_queues_redis_list() -> None:
    (scaled,) = of_kind("prod", "ScaledObject").values()
    lists = {t["metadata"]["listName"] for t in scaled["spec"]["triggers"] if t["type"] == "redis"}
    (authentication,) = of_kind("prod", "TriggerAuthentication").values()
    example_file = (ROOT / "k8s" / "overlays" / "prod" / "secrets.example.yaml").read_text()
    example = {item["metadata"]["name"]: set(item["stringData"]) for item in yaml.safe_load_all(example_file)}

    assert scaled["spec"]["scaleTargetRef"]["name"] == "worker"
    assert lists == set(worker_queues(of_kind("prod", "Deployment")["worker"]))
    for reference in authentication["spec"]["secretTargetRef"]:
        assert reference["key"] in example[reference["name"]], reference
    # KEDA makes the worker's HorizontalPodAutoscaler: a second one would fight it.
    assert all(
        hpa["spec"]["scaleTargetRef"]["name"] != "worker" for hpa in of_kind("prod", "HorizontalPodAutoscaler").values()
    )


def test_the_secret_example_validates_and_is_never_applied() -> None:
    example = ROOT / "k8s" / "overlays" / "prod" / "secrets.example.yaml"
    listed = [
        yaml.safe_load(path.read_text()).get("resources", []) for path in (ROOT / "k8s").rglob("kustomization.yaml")
    ]

    result = validate(example.read_text())

    assert result.returncode == 0, result.stdout
    assert not any("secrets.example.yaml" in resources for resources in listed)
    assert "Secret" not in {item["kind"] for item in objects("prod")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_probes_its_process_and_bounds_its_resources(overlay: str) -> None:
    for name, deployment in of_kind(overlay, "Deployment").items():
        pod = pod_spec(deployment)
        for each in pod["containers"]:
            assert each["livenessProbe"] and each["readinessProbe"], name
        for each in pod.get("initContainers", []) + pod["containers"]:
            for bound in ("requests", "limits"):
                assert set(each["resources"][bound]) >= {"cpu", "memory"}, f"{name}: {bound}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_unprivileged_on_a_read_only_root(overlay: str) -> None:
    workloads = {**of_kind(overlay, "Deployment"), **of_kind(overlay, "Job")}

    for name, workload in workloads.items():
        pod = pod_spec(workload)
        for each in pod.get("initContainers", []) + pod["containers"]:
            security = {**pod["securityContext"], **each.get("securityContext", {})}
            assert security["runAsNonRoot"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert security["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        # Service links would hand Flower FLOWER_* variables it cannot parse.
        assert pod["enableServiceLinks"] is False, name


def test_drillquiz_containers_keep_the_image_entrypoint_and_user() -> None:
    for name, deployment in drillquiz_deployments("prod").items():
        pod = pod_spec(deployment)
        # `command` would replace tini, the entrypoint that forwards signals and reaps probe children.
        assert all("command" not in each for each in pod.get("initContainers", []) + pod["containers"]), name
        assert pod["securityContext"]["runAsUser"] == int(image_user()), name


def test_beats_probe_fails_when_its_heartbeat_is_missing_or_a_minute_old(tmp_path: Path) -> None:
    probe = container(of_kind("prod", "Deployment")["beat"])["livenessProbe"]["exec"]["command"]
    heartbeat = tmp_path / "beat-heartbeat"
    env = process_env(BEAT_HEARTBEAT_FILE=str(heartbeat), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")

    def passes() -> bool:
        return subprocess.run(probe, cwd=ROOT, env=env, capture_output=True, timeout=30).returncode == 0

    missing = passes()
    heartbeat.touch()
    fresh = passes()
    os.utime(heartbeat, (time.time() - 61, time.time() - 61))
    stale = passes()

    assert (missing, fresh, stale) == (False, True, False)


def test_beat_runs_exactly_once() -> None:
    beat = of_kind("prod", "Deployment")["beat"]

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert "beat" not in of_kind("prod", "HorizontalPodAutoscaler")


def worker_queues(deployment: Object) -> list[str]:
    args: list[str] = container(deployment)["args"]
    return args[args.index("--queues") + 1].split(",")


def test_workers_autoscale_from_two_and_outlast_the_task_time_limit() -> None:
    # The least replicas each autoscaler keeps: an HPA's minReplicas, or KEDA's minReplicaCount.
    autoscalers = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa["spec"]["minReplicas"]
        for hpa in of_kind("prod", "HorizontalPodAutoscaler").values()
    }
    autoscalers |= {
        scaled["spec"]["scaleTargetRef"]["name"]: scaled["spec"]["minReplicaCount"]
        for scaled in of_kind("prod", "ScaledObject").values()
    }
    workers = {name: d for name, d in drillquiz_deployments("prod").items() if "worker" in container(d)["args"]}

    for name, worker in workers.items():
        # Warm shutdown waits for running tasks, which the hard limit ends at the latest.
        assert pod_spec(worker)["terminationGracePeriodSeconds"] > settings.CELERY_TASK_TIME_LIMIT, name
        if name != "worker-backups":
            assert autoscalers[name] >= 2, name
            # The autoscaler owns the count; a replicas field would be reset by every apply.
            assert "replicas" not in worker["spec"], name
    all_queues = {queue for worker in workers.values() for queue in worker_queues(worker)}
    assert all_queues == {queue.name for queue in settings.CELERY_TASK_QUEUES}


def test_the_backups_worker_is_alone_with_its_volume_and_outlasts_a_backup() -> None:
    deployment = of_kind("prod", "Deployment")["worker-backups"]
    pod, worker = pod_spec(deployment), container(deployment)
    mounts = {mount["name"]: mount["mountPath"] for mount in worker["volumeMounts"]}
    claims = {
        volume["name"]: volume["persistentVolumeClaim"]["claimName"]
        for volume in pod["volumes"]
        if "persistentVolumeClaim" in volume
    }

    assert worker_queues(deployment) == ["backups"]
    assert worker["args"][worker["args"].index("--concurrency") + 1] == "1"
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert (
        pod["terminationGracePeriodSeconds"] > settings.BACKUP_TIME_LIMIT_SECONDS + settings.CELERY_TASK_SOFT_TIME_LIMIT
    )
    (volume,) = claims
    assert mounts[volume] == image_env()["BACKUP_DIR"]
    assert claims[volume] in of_kind("prod", "PersistentVolumeClaim")


def test_web_and_workers_keep_one_pod_through_voluntary_disruptions() -> None:
    budgets = of_kind("prod", "PodDisruptionBudget")

    for name in ("web", "worker"):
        labels = of_kind("prod", "Deployment")[name]["spec"]["selector"]["matchLabels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"] == labels
        assert budgets[name]["spec"]["minAvailable"] >= 1


def test_the_migrate_job_migrates_and_installs_the_periodic_tasks() -> None:
    job = of_kind("prod", "Job")["migrate"]

    line = " ".join(container(job)["args"])

    assert "python manage.py migrate --noinput" in line
    assert "python manage.py setup_periodic_tasks" in line
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_flower_needs_a_login_from_its_own_secret() -> None:
    env = {item["name"]: item for item in container(of_kind("prod", "Deployment")["flower"])["env"]}

    reference = env["FLOWER_BASIC_AUTH"]["valueFrom"]["secretKeyRef"]

    assert reference["name"] == "drillquiz-flower"
    assert reference.get("optional") is not True
    for name, deployment in drillquiz_deployments("prod").items():
        if name != "flower":
            assert "drillquiz-flower" not in yaml.safe_dump(deployment), name


def test_the_ingress_routes_flower_under_its_prefix_but_not_its_unauthenticated_paths() -> None:
    prefix = flower_prefix()
    (ingress,) = of_kind("prod", "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    routes = {path["path"]: (path["pathType"], path["backend"]["service"]["name"]) for path in rule["http"]["paths"]}

    flower_paths = [path for path, (_, service) in routes.items() if service == "flower"]

    assert flower_paths == [prefix]
    for path in (f"{prefix}/metrics", f"{prefix}/healthcheck"):
        # An Exact path wins over the Flower prefix; the site answers it with 404.
        assert routes[path] == ("Exact", "web"), path
    assert routes["/"] == ("Prefix", "web")


def test_flowers_port_admits_only_the_ingress_controller_and_prometheus() -> None:
    flower = of_kind("prod", "Deployment")["flower"]
    policy = of_kind("prod", "NetworkPolicy")["flower"]
    annotations = flower["spec"]["template"]["metadata"]["annotations"]

    assert policy["spec"]["podSelector"]["matchLabels"] == flower["spec"]["selector"]["matchLabels"]
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    assert all(set(peer) == {"namespaceSelector"} for peer in rule["from"])
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == f"{flower_prefix()}/metrics"


def test_every_secret_key_a_pod_reads_is_in_the_example_and_the_dev_overlay() -> None:
    example_file = (ROOT / "k8s" / "overlays" / "prod" / "secrets.example.yaml").read_text()
    example = {item["metadata"]["name"]: set(item["stringData"]) for item in yaml.safe_load_all(example_file)}
    # Generated names end in a hash of the content.
    dev = {item["metadata"]["name"].rsplit("-", 1)[0]: set(item["data"]) for item in of_kind("dev", "Secret").values()}
    # Read through envFrom by every pod; settings stops or falls back to a local default without them.
    read = {("drillquiz-secrets", key) for key in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")}
    for deployment in drillquiz_deployments("prod").values():
        for item in container(deployment).get("env", []):
            if "valueFrom" in item:
                read.add((item["valueFrom"]["secretKeyRef"]["name"], item["valueFrom"]["secretKeyRef"]["key"]))

    for secret, key in read:
        assert key in example[secret], f"{secret}.{key} is missing from secrets.example.yaml"
        assert key in dev[secret], f"{secret}.{key} is missing from the dev overlay"


def test_the_dev_overlays_secrets_are_obviously_fake() -> None:
    dev_secrets = of_kind("dev", "Secret").values()

    for secret in dev_secrets:
        for key, value in secret["data"].items():
            if key != "EMAIL_URL":  # the console, no password
                assert "dev-only" in base64.b64decode(value).decode(), f"{secret['metadata']['name']}: {key}"
    assert dev_secrets


def test_the_base_configuration_is_production() -> None:
    assert config_map_data("prod")["DJANGO_ENV"] == "production"


def test_production_names_a_real_translator_and_development_the_pseudo_one() -> None:
    # Production settings refuse pseudo; the key comes from the drillquiz-secrets Secret.
    assert config_map_data("prod")["TRANSLATION_PROVIDER"] == "deepl"
    assert "TRANSLATION_API_KEY" not in config_map_data("prod")
    assert config_map_data("dev")["TRANSLATION_PROVIDER"] == "pseudo"
