# SPDX-License-Identifier: GPL-2.0
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "scripts"))

import vm  # noqa: E402

# make test boots two guests at a time (pytest-xdist, scripts/test.sh): much
# of a boot is the guest waiting on purpose (a report that must not come, a
# 10 s IPI timeout, a 120 s soak).  Longest first, so that no worker is left
# alone with a long boot at the end: each test's wall time is kept from the
# last run, and a test not seen before counts as long if it is a soak.
DURATIONS = os.path.join(vm.CACHE, "durations.json")
_seen = {}


def pytest_addoption(parser):
    parser.addoption("--variants", default=os.environ.get("VARIANTS", "c"),
                     help="comma-separated kernel build variants to test (c, rust)")


def pytest_generate_tests(metafunc):
    if "variant" in metafunc.fixturenames:
        variants = [v for v in metafunc.config.getoption("--variants").split(",") if v]
        metafunc.parametrize("variant", variants, scope="session")


def _known():
    try:
        with open(DURATIONS) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def pytest_collection_modifyitems(session, config, items):
    known = _known()
    # Stable sort: the same order on every worker, as xdist requires.
    items.sort(key=lambda it: -known.get(it.nodeid, 200.0 if "soak" in it.nodeid else 30.0))


def pytest_runtest_logreport(report):
    _seen[report.nodeid] = _seen.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput") or not _seen:
        return
    known = _known()
    known.update({k: round(v, 1) for k, v in _seen.items()})
    tmp = DURATIONS + ".tmp"
    os.makedirs(os.path.dirname(DURATIONS), exist_ok=True)
    with open(tmp, "w") as f:
        json.dump(known, f, indent=1, sort_keys=True)
    os.replace(tmp, DURATIONS)
