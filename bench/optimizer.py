"""The two FSRS optimisers side by side: fsrs-rs (fsrs-rs-python, a Rust binding; what quiz.fitting
uses) and py-fsrs's Optimizer (fsrs[optimizer], torch), on the same synthetic review histories.

Per optimiser: its install size (a throwaway venv of its own under /tmp, `du -sk`, less a bare
venv), and per history size the fit's wall and CPU time (median of --runs, each in a fresh process of
that venv) and the process's peak RSS (VmHWM). Then how well each one's parameters predict
a second learner's reviews (fsrs-rs's evaluate: log loss, RMSE over bins), and our whole fit
(quiz.fitting.fit_learner: read the logs from PostgreSQL, build the items, fit, store).

Usage: make bench  (or: .venv/bin/python bench/optimizer.py [--reviews 1000,10000] [--runs 3])
"""

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve()
# The throwaway venvs' pins: fsrs-rs-python as requirements.txt has it, py-fsrs with its optimizer
# extra, and torch's CPU build from this machine's disk (a plain `torch` would be a CUDA build).
INSTALLS = {
    "fsrs-rs": [["fsrs-rs-python==0.9.3"]],
    "py-fsrs": [["torch==2.13.0"], ["fsrs[optimizer]==6.3.2"]],
}
LABELS = {
    "fsrs-rs": "fsrs-rs-python 0.9.3 (Rust)",
    "py-fsrs": "fsrs[optimizer] 6.3.2 + torch 2.13.0 CPU",
}
DAYS = 365
FIRST_RATING_WEIGHTS = (0.2, 0.15, 0.55, 0.1)  # Again, Hard, Good, Easy
RECALLED_RATING_WEIGHTS = (0.15, 0.75, 0.1)  # Hard, Good, Easy


# --- The child: one fit in a venv of one optimiser, no Django ---------------------------------


class ChildReport(TypedDict):
    """What a child prints: seconds (the keys in TIMINGS), KiB, and the fitted parameters."""

    import_s: float
    fit_s: float
    fit_cpu_s: float
    rss_before_fit_kib: int
    peak_rss_kib: int
    parameters: list[float]


TIMINGS: tuple[Literal["import_s", "fit_s", "fit_cpu_s"], ...] = ("import_s", "fit_s", "fit_cpu_s")


def child(optimiser: str, path: Path) -> None:
    """Fit the histories in `path` with one optimiser and print the timings, peak RSS and parameters."""
    started = time.perf_counter()
    # Imported here, not at the top: this process is the venv of one optimiser, the other is absent.
    if optimiser == "fsrs-rs":
        import fsrs_rs_python
    else:
        import fsrs
        from fsrs.optimizer import Optimizer
    imported = time.perf_counter()
    data = json.loads(path.read_text())
    run: Callable[[], Iterable[float]]
    if optimiser == "fsrs-rs":
        pairs = {tuple(pair) for item in data["items"] for pair in item}
        reviews = {pair: fsrs_rs_python.FSRSReview(*pair) for pair in pairs}
        items = [fsrs_rs_python.FSRSItem([reviews[tuple(pair)] for pair in item]) for item in data["items"]]
        fit = fsrs_rs_python.FSRS(fsrs_rs_python.DEFAULT_PARAMETERS).compute_parameters
        # As quiz.fitting.optimise calls it (one relearning step, quiz.scheduling.RELEARNING_STEPS).
        run = lambda: fit(items, enable_short_term=True, num_relearning_steps=1)  # noqa: E731
    else:
        logs = [
            fsrs.ReviewLog(card_id, fsrs.Rating(rating), datetime.fromisoformat(at), None)
            for card_id, rating, at in data["logs"]
        ]
        run = lambda: Optimizer(logs).compute_optimal_parameters()  # noqa: E731
    before, peak_before = resource.getrusage(resource.RUSAGE_SELF), peak_rss_kib()
    fit_started = time.perf_counter()
    parameters = run()
    fit_seconds = time.perf_counter() - fit_started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    report: ChildReport = {
        "import_s": imported - started,
        "fit_s": fit_seconds,
        "fit_cpu_s": cpu,
        "rss_before_fit_kib": peak_before,
        "peak_rss_kib": peak_rss_kib(),
        "parameters": [float(value) for value in parameters],
    }
    print(json.dumps(report))


def peak_rss_kib() -> int:
    """This process's peak resident memory so far (VmHWM). Not getrusage's ru_maxrss: Linux carries
    that over exec, so a child would report the benchmark's own peak (with Django loaded)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("error: no VmHWM in /proc/self/status")


# --- The parent: histories, venvs, runs, the table ---------------------------------------------
# A child runs in an optimiser's own venv, which has neither Django nor the other optimiser.
if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    child(sys.argv[2], Path(sys.argv[3]))
    sys.exit(0)

from common import setup_django

setup_django("drillquiz_bench_optimizer")

import fsrs
import fsrs_rs_python
from django.utils import timezone

from accounts.models import User
from quiz import fitting, scheduling
from quiz.models import CardState, Exam, LearnerParameters, Question, ReviewItem, ReviewLog
from tests.factories import make_user

# The learners' memory, as FSRS parameters: the histories' learner forgets faster than FSRS's
# defaults assume (lower initial stabilities, slower growth, steeper decay), so there is something
# to find; the second model is close to the defaults, for fsrs-rs's fit on it alone.
DEFAULTS = list(fsrs.scheduler.DEFAULT_PARAMETERS)
FORGETFUL = [0.1, 0.4, 1.0, 5.0, *DEFAULTS[4:8], 1.2, *DEFAULTS[9:20], 0.4]
NEAR_DEFAULTS = [0.5, 1.5, 4.0, 15.0, *DEFAULTS[4:8], 1.6, *DEFAULTS[9:20], 0.3]


def du_kib(path: Path) -> int:
    return int(subprocess.run(["du", "-sk", str(path)], check=True, capture_output=True, text=True).stdout.split()[0])


def make_venv(path: Path, installs: list[list[str]]) -> str:
    """A fresh venv at path with the packages installed in order; returns its `pip freeze`."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    for packages in installs:
        pip = [str(path / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *packages]
        # Its output is quiet but for warnings about this machine's local indexes; shown on failure.
        done = subprocess.run(pip, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"error: pip install {' '.join(packages)} failed:\n{done.stderr[-2000:]}")
    pip = [str(path / "bin" / "pip"), "freeze", "--disable-pip-version-check"]
    return subprocess.run(pip, check=True, capture_output=True, text=True).stdout


def run_child(venv: Path, optimiser: str, data: Path) -> ChildReport:
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(HERE), "--child", optimiser, str(data)],
        check=True,
        capture_output=True,
        text=True,
    )
    report: ChildReport = json.loads(done.stdout.strip().splitlines()[-1])  # the child's own json.dumps
    return report


@dataclass
class Dataset:
    """One history size: the learner it is stored for, the children's input file, and a second
    learner's items to evaluate the fitted parameters on."""

    learner: User
    path: Path
    reviews: int
    items: int
    held_out: list[fitting.Item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", default="1000,10000", help="history sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="fits per optimiser and size (median)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="drillquiz-optimizers-", dir="/tmp"))
    try:
        print(f"# FSRS optimisers, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load()}", flush=True)
        datasets = [prepare(int(size), workdir) for size in args.reviews.split(",")]
        venvs = install(workdir)
        fitted = time_fits(datasets, venvs, args.runs)
        evaluate(datasets, fitted)
        time_our_fit(datasets, args.runs)
        print(f"\nload average at the end: {load()}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def prepare(size: int, workdir: Path) -> Dataset:
    """Store the histories of two learners and write the first one's as both optimisers' input."""
    learner = store(f"train-{size}", simulate(FORGETFUL, size, seed=size))
    held_out = store(f"heldout-{size}", simulate(FORGETFUL, size, seed=size + 1))
    every = datetime(9999, 1, 1, tzinfo=UTC)
    training = fitting.training_set(fitting.learner_reviews(learner, every), ZoneInfo(learner.time_zone))
    logs = [[card, rating, at.isoformat()] for card, rating, at, _state in fitting.learner_reviews(learner, every)]
    path = workdir / f"reviews-{size}.json"
    path.write_text(json.dumps({"items": training.items, "logs": logs}))
    held_out_items = fitting.training_set(fitting.learner_reviews(held_out, every), ZoneInfo(held_out.time_zone))
    print(f"{len(logs)} reviews: {len({log[0] for log in logs})} cards, {len(training.items)} fsrs-rs items")
    return Dataset(learner, path, len(logs), len(training.items), held_out_items.items)


def install(workdir: Path) -> dict[str, Path]:
    """A venv per optimiser (and a bare one to subtract); prints their sizes and contents."""
    bare = workdir / "bare"
    subprocess.run([sys.executable, "-m", "venv", str(bare)], check=True)
    bare_kib = du_kib(bare)
    print(f"\n| venv | du -sk | less the bare venv |\n| --- | --- | --- |\n| bare (pip only) | {bare_kib} KiB | 0 |")
    venvs, freezes = {}, {}
    for optimiser, installs in INSTALLS.items():
        venvs[optimiser] = workdir / optimiser
        freezes[optimiser] = make_venv(venvs[optimiser], installs)
        kib = du_kib(venvs[optimiser])
        print(f"| {LABELS[optimiser]} | {kib} KiB | {(kib - bare_kib) / 1024:.1f} MiB |")
    for optimiser, freeze in freezes.items():
        print(f"\n{optimiser} venv: {', '.join(freeze.split())}")
    return venvs


def time_fits(datasets: list[Dataset], venvs: dict[str, Path], runs: int) -> dict[tuple[str, int], list[float]]:
    """Each optimiser's fits, each in a fresh process; returns the parameters each one found."""
    print(
        "\n| optimiser | reviews (items) | fit s, median | fit CPU s, median | import s, median"
        " | RSS before fit | peak RSS | runs |\n| --- | --- | --- | --- | --- | --- | --- | --- |",
        flush=True,
    )
    fitted = {}
    for data in datasets:
        results: dict[str, list[ChildReport]] = {optimiser: [] for optimiser in INSTALLS}
        for run in range(runs):
            # Alternate which goes first, so neither always runs on a machine the other just warmed.
            for optimiser in list(INSTALLS)[:: 1 if run % 2 == 0 else -1]:
                results[optimiser].append(run_child(venvs[optimiser], optimiser, data.path))
        for optimiser, reports in results.items():
            fitted[optimiser, data.reviews] = reports[0]["parameters"]
            if any(report["parameters"] != reports[0]["parameters"] for report in reports):
                print(f"note: {optimiser} gave different parameters in different runs at {data.reviews} reviews")
            medians = {key: statistics.median(report[key] for report in reports) for key in TIMINGS}
            print(
                f"| {LABELS[optimiser]} | {data.reviews} ({data.items}) | {medians['fit_s']:.3f} |"
                f" {medians['fit_cpu_s']:.3f} | {medians['import_s']:.3f} |"
                f" {max(report['rss_before_fit_kib'] for report in reports) / 1024:.1f} MiB |"
                f" {max(report['peak_rss_kib'] for report in reports) / 1024:.1f} MiB | {len(reports)} |",
                flush=True,
            )
    return fitted


def evaluate(datasets: list[Dataset], fitted: dict[tuple[str, int], list[float]]) -> None:
    """How well each set of parameters predicts a second learner's reviews (fsrs-rs's evaluate)."""
    print(
        "\nParameters evaluated on a second learner's reviews (same memory model, other seed), by fsrs-rs:\n"
        "\n| memory model | fitted on | parameters | log loss | RMSE (bins) |\n| --- | --- | --- | --- | --- |"
    )
    for data in datasets:
        candidates = {
            "FSRS defaults": DEFAULTS,
            "the learner's true ones": FORGETFUL,
            **{LABELS[optimiser]: fitted[optimiser, data.reviews] for optimiser in INSTALLS},
        }
        show_evaluation("forgetful", data.reviews, candidates, data.held_out)
    for data in datasets:
        zone = ZoneInfo(data.learner.time_zone)
        training = fitting.training_set(as_reviews(simulate(NEAR_DEFAULTS, data.reviews, data.reviews)), zone)
        held_out = fitting.training_set(as_reviews(simulate(NEAR_DEFAULTS, data.reviews, data.reviews + 1)), zone)
        candidates = {
            "FSRS defaults": DEFAULTS,
            "the learner's true ones": NEAR_DEFAULTS,
            LABELS["fsrs-rs"]: fitting.optimise(training.items) or DEFAULTS,
        }
        show_evaluation("near the defaults", data.reviews, candidates, held_out.items)


def show_evaluation(model: str, reviews: int, candidates: dict[str, list[float]], items: list[fitting.Item]) -> None:
    for name, parameters in candidates.items():
        evaluation = fsrs_rs_python.FSRS(parameters).evaluate(fitting.fsrs_items(items))
        print(f"| {model} | {reviews} reviews | {name} | {evaluation.log_loss:.4f} | {evaluation.rmse_bins:.4f} |")


def time_our_fit(datasets: list[Dataset], runs: int) -> None:
    """The job's own fit, from PostgreSQL to a LearnerParameters row, in this process."""
    print("\nquiz.fitting.fit_learner (read the logs, build the items, fit, store):\n")
    print("| reviews | seconds, median | runs |\n| --- | --- | --- |")
    for data in datasets:
        seconds = []
        for _run in range(runs):
            LearnerParameters.objects.filter(user=data.learner).delete()
            started = time.perf_counter()
            if fitting.fit_learner(data.learner, timezone.now()) is None:
                raise SystemExit(f"error: no parameters from {data.reviews} reviews")
            seconds.append(time.perf_counter() - started)
        print(f"| {data.reviews} | {statistics.median(seconds):.3f} | {runs} |")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# One review of a card: rating, at, state and due before, state and due after.
Step = tuple[int, datetime, int, datetime, int, datetime]
Card = tuple[fsrs.Card, list[Step]]  # a card's last state, and its reviews


def simulate(parameters: list[float], reviews: int, seed: int) -> list[Card]:
    """A year of one learner's reviews, `reviews` in all: each card reviewed when the site's
    scheduler (FSRS defaults, as for a learner without parameters) says, up to two hours late, and
    remembered as the memory model `parameters` says."""
    rng = random.Random(seed)  # noqa: S311 - made-up reviews, not security
    random.seed(seed)  # py-fsrs draws its interval fuzz from the random module
    steps = {"learning_steps": scheduling.LEARNING_STEPS, "relearning_steps": scheduling.RELEARNING_STEPS}
    app = fsrs.Scheduler(**steps)  # type: ignore[arg-type]
    mind = fsrs.Scheduler(parameters=parameters, enable_fuzzing=False, **steps)  # type: ignore[arg-type]
    start = datetime(2025, 1, 6, tzinfo=UTC)  # 09:00 in Seoul
    end = start + timedelta(days=DAYS)
    cards: list[Card] = []
    made = 0
    while made < reviews:
        at = start + timedelta(days=rng.randrange(DAYS - 60), minutes=rng.randrange(120))
        card, truth = fsrs.Card(card_id=len(cards) + 1, due=at), fsrs.Card(card_id=len(cards) + 1, due=at)
        history: list[Step] = []
        state: int = CardState.NEW
        while at < end and made < reviews:
            if not history:
                rating = rng.choices((1, 2, 3, 4), FIRST_RATING_WEIGHTS)[0]
            elif rng.random() < mind.get_card_retrievability(truth, at):
                rating = rng.choices((2, 3, 4), RECALLED_RATING_WEIGHTS)[0]
            else:
                rating = 1
            due_before = card.due
            card, _log = app.review_card(card, fsrs.Rating(rating), at)
            truth, _log = mind.review_card(truth, fsrs.Rating(rating), at)
            history.append((rating, at, state, due_before, card.state.value, card.due))
            state, made = card.state.value, made + 1
            at = card.due + timedelta(minutes=rng.randrange(120))
        cards.append((card, history))
    return cards


def as_reviews(cards: list[Card]) -> list[fitting.Review]:
    """The cards' reviews as quiz.fitting reads them from ReviewLog, oldest first."""
    reviews = [
        (number, rating, at, state_before)
        for number, (_card, history) in enumerate(cards, start=1)
        for rating, at, state_before, *_after in history
    ]
    return sorted(reviews, key=lambda review: review[2])


def store(username: str, cards: list[Card]) -> User:
    """A learner with these cards, as ReviewItem and ReviewLog rows."""
    user = make_user(username)
    exam = Exam.objects.create(slug=username, title=username, source_language="en")
    questions = Question.objects.bulk_create(
        Question(exam=exam, text=f"Question {number}", order=number) for number in range(len(cards))
    )
    items = []
    for question, (card, _history) in zip(questions, cards, strict=True):
        item = ReviewItem(user=user, question=question, due=card.due)
        scheduling.store_card(item, card)
        items.append(item)
    ReviewItem.objects.bulk_create(items)
    ReviewLog.objects.bulk_create(
        ReviewLog(
            item=item,
            user=user,
            rating=rating,
            reviewed_at=at,
            state_before=state_before,
            due_before=due_before,
            state_after=state_after,
            due_after=due_after,
        )
        for item, (_card, history) in zip(items, cards, strict=True)
        for rating, at, state_before, due_before, state_after, due_after in history
    )
    return user


if __name__ == "__main__":
    main()
