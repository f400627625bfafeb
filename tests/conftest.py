# SPDX-License-Identifier: GPL-2.0
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "scripts"))


def pytest_addoption(parser):
    parser.addoption("--variant", default=os.environ.get("VARIANT", "c"))
