# SPDX-License-Identifier: GPL-2.0
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "scripts"))


def pytest_addoption(parser):
    parser.addoption("--variants", default=os.environ.get("VARIANTS", "c"),
                     help="comma-separated kernel build variants to test (c, rust)")


def pytest_generate_tests(metafunc):
    if "variant" in metafunc.fixturenames:
        variants = [v for v in metafunc.config.getoption("--variants").split(",") if v]
        metafunc.parametrize("variant", variants, scope="session")
