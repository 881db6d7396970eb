"""The same processes everywhere: the Procfile (`make run`), docker-compose.yml, k8s/ and the image."""

from django.conf import settings

from tests.deploy.manifests import (
    compose_app_services,
    container,
    dockerfile_instruction,
    drillquiz_deployments,
    of_kind,
    procfile,
    shell_of,
)


def key_arguments(argv: list[str]) -> tuple[str, ...]:
    """What makes a command that process: the program and its app, and for Celery the subcommand."""
    program, *args = argv
    positional = [arg for arg in args if not arg.startswith("-")]
    if program == "celery":
        return (program, args[args.index("-A") + 1], positional[1])
    return (program, positional[0])


def queues(argv: list[str]) -> set[str]:
    return set(argv[argv.index("--queues") + 1].split(","))


def test_compose_and_kubernetes_run_each_process_with_the_same_command() -> None:
    services = compose_app_services()
    deployments = drillquiz_deployments("prod")

    assert set(deployments) == set(services) - {"migrate"}
    for name, deployment in deployments.items():
        assert services[name]["command"] == container(deployment)["args"], name
    assert services["migrate"]["command"] == container(of_kind("prod", "Job")["migrate"])["args"]


def test_the_image_starts_the_web_process_by_default() -> None:
    assert dockerfile_instruction("CMD") == container(drillquiz_deployments("prod")["web"])["args"]


def test_every_procfile_process_runs_the_same_program_in_compose_and_kubernetes() -> None:
    services = compose_app_services()
    deployments = drillquiz_deployments("prod")

    for name, argv in procfile().items():
        # worker-backups is the Procfile's worker for one queue.
        deployed = [d for d in deployments if d == name or d.startswith(f"{name}-")]
        assert deployed, f"the Procfile's {name} runs nowhere in k8s/"
        for each in deployed:
            assert key_arguments(container(deployments[each])["args"]) == key_arguments(argv), each
            assert key_arguments(services[each]["command"]) == key_arguments(argv), each


def test_the_deployed_workers_consume_the_procfile_workers_queues_which_are_all_queues() -> None:
    deployed = [d for name, d in drillquiz_deployments("prod").items() if name.startswith("worker")]

    consumed = set().union(*(queues(container(d)["args"]) for d in deployed))

    assert consumed == queues(procfile()["worker"]) == {queue.name for queue in settings.CELERY_TASK_QUEUES}


def test_compose_checks_workers_and_beat_with_the_kubernetes_liveness_command() -> None:
    services = compose_app_services()
    deployments = drillquiz_deployments("prod")

    for name in ("worker", "worker-backups", "beat"):
        kind, *command = services[name]["healthcheck"]["test"]
        probe = container(deployments[name])["livenessProbe"]["exec"]["command"]
        if kind == "CMD-SHELL":
            # Compose wants $$ for a literal $.
            assert command[0].replace("$$", "$") == shell_of(probe), name
        else:
            assert (kind, command) == ("CMD", probe), name
