# SPDX-License-Identifier: GPL-2.0
"""Scenario tests: each is one boot of the harness kernel under QEMU.

tf-a: on TF-A with SDEI; every check must hold.
no-firmware: the same kernel without a secure world (no SDEI): the sanity
checks must hold and every SDEI claim must fail, which shows that the
claims really measure SDEI delivery.
"""
import os

import pytest

import vm
from scenarios import SCENARIOS, boot

# scripts/test.sh says where (SDEI_RESULTS), so that two runs can keep apart.
RESULTS = os.environ.get("SDEI_RESULTS") or os.path.join(vm.CACHE, "results")


def ktap(name, results):
    out = [f"    # Subtest: {name}", f"    1..{len(results)}"]
    for i, (cname, ok, detail) in enumerate(results, 1):
        # A '#' in the detail would read as a KTAP directive (e.g. SKIP).
        detail = detail.replace("#", "").strip()
        out.append(f"    {'ok' if ok else 'not ok'} {i} {cname}" + (f" # {detail}" if detail else ""))
    return out


@pytest.mark.parametrize("firmware", ["tf-a", "no-firmware"])
@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(sc, firmware, variant):
    tag = f"{variant}-{sc.name}-{firmware}"
    ctx = boot(sc, variant, firmware == "tf-a", logfile=os.path.join(RESULTS, tag + ".log"))
    report(sc, firmware, ctx, tag)


def write_ktap(tag, results):
    """RESULTS/TAG.ktap from [(name, ok, detail)]; returns the failures."""
    failures = [f"{name}: {detail}" for name, ok, detail in results if not ok]
    lines = ktap(tag, results)
    lines.append(f"{'ok' if not failures else 'not ok'} {tag}")
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, tag + ".ktap"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return failures


def report(sc, firmware, ctx, tag):
    """Judge a finished boot by the scenario's checks, write its KTAP to
    RESULTS/TAG.ktap and fail the test on any failed check."""
    boot = ctx.boot
    results = []
    for chk in sc.checks:
        ok, detail = chk.run(ctx)
        if firmware == "no-firmware" and chk.sdei:
            # The negative control: this SDEI claim must not hold here.
            name = f"{chk.name}-fails-without-sdei"
            passed = not ok
            detail = detail or ("held without SDEI" if ok else "")
        else:
            name, passed = chk.name, ok
        results.append((name, passed, detail))
    if boot.timed_out and sc.expect_end:
        results.append(("guest-finished", False, f"guest did not finish within {sc.timeout} s"))
    failures = write_ktap(tag, results)
    print(f"boot took {boot.seconds:.1f} s; log: {boot.logfile}")
    if failures:
        pytest.fail("\n".join(failures) + "\n--- last 60 console lines ---\n" + boot.tail(60),
                    pytrace=False)
