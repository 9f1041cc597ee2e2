"""``make bench`` counts the SQL statements of the signed-in idea list and judges the goals
that are not ratios (statements, p99)."""

from __future__ import annotations

from benchmarks import run_all
from benchmarks.load import Minter, Result, voter_tokens
from portal.ops.seed import seed_large

# What markdown() needs to know about a run.
RUN = dict(stamp="t", cores=2, workers=1, threads=1, connections=1, duration=1, data={})


def quiet(_line: str) -> None:
    """seed_large's echo, silenced."""


def test_statements_are_counted_for_a_signed_in_reader(app):
    with app.app_context():
        manifest = seed_large(ideas=30, comments=40, supports=20, voters=3, projects=3, echo=quiet)
    [(_, _, token)] = voter_tokens(app, manifest["voters"]["first_id"], 1)
    cookie = Minter(app).session(token)[0]
    path = f"/consultations/{manifest['consultation']['slug']}/ideas"
    counts = run_all.statements_per_request(app, path, cookie)
    assert set(counts) == {"first", "repeat"}
    assert 0 < counts["repeat"] <= counts["first"] <= 12
    # A page that does not answer 200 is reported as such, not as a count.
    assert run_all.statements_per_request(app, "/no-such-page", cookie)["first"] == -404


def test_report_judges_statement_and_p99_goals():
    listed = Result("idea list (signed in)", rps=40, p50_ms=1, p99_ms=1, baseline="select20")
    listed.ratio = 0.5
    listed.extra["statements"] = {"first": 7, "repeat": 4}
    support = Result("support", rps=1, p50_ms=1, p99_ms=200, baseline="insert")
    support.ratio = 0.5
    text = run_all.markdown(
        [listed, support],
        RUN,
        None,
    )
    assert "≤ 6 SQL statements: NOT met" in text
    assert "≥ 40% of insert: met; p99 < 150 ms: NOT met" in text


def test_cpu_cost_is_compared_with_the_baseline():
    """Each endpoint's CPU per request (server, PostgreSQL, Redis) is compared with its
    baseline's as well as its req/s: a figure that does not depend on the machine's load."""
    select20 = Result("select20", rps=100)
    select20.extra["cpu_ms_per_request"] = {"app": 1.5, "db": 0.5, "redis": 0.0, "total": 2.0}
    listed = Result("idea list (signed in)", rps=30, baseline="select20")
    listed.extra["cpu_ms_per_request"] = {"app": 4.0, "db": 1.0, "redis": 0.0, "total": 5.0}
    unmetered = Result("idea page + comments (signed in)", rps=10, baseline="select20")
    run_all.add_ratios([select20, listed, unmetered])
    assert listed.ratio == 0.3 and listed.extra["cpu_ratio"] == 0.4
    assert "cpu_ratio" not in unmetered.extra
    text = run_all.markdown(
        [select20, listed],
        RUN,
        None,
    )
    assert "30% of select20 (by CPU cost: 40%)" in text


def test_the_cpu_meter_counts_the_server_processes():
    import os
    import time
    from types import SimpleNamespace

    from benchmarks.load import CpuMeter

    me = SimpleNamespace(process=SimpleNamespace(pid=os.getpid()), worker_pids=lambda: [])
    meter = CpuMeter(me)
    until = time.process_time() + 0.3
    while time.process_time() < until:
        pass  # 0.3 s of this process's CPU, as a server's would be
    spent = meter.per_request_ms(10)
    assert spent["app"] >= 25  # 300 ms over 10 requests, at the clock tick's resolution
    assert spent["total"] >= spent["app"]


def test_the_cpu_meter_keeps_the_time_of_workers_that_ended():
    """A recycled worker's CPU is not lost: its parent (the server) has it once reaped."""
    import os
    import subprocess
    import sys
    from types import SimpleNamespace

    from benchmarks.load import CpuMeter

    me = SimpleNamespace(process=SimpleNamespace(pid=os.getpid()), worker_pids=lambda: [])
    meter = CpuMeter(me)
    burn = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)  # started, busy, ended, reaped
    assert meter.per_request_ms(1)["app"] >= 350
