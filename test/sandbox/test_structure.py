"""The sandbox's Python stays a codebase of small modules, each with one job."""
import os

from conftest import KERNEL_DIR

MAX_LINES = 320


def test_no_module_is_over_its_size():
    sizes = {}
    for name in sorted(os.listdir(KERNEL_DIR)):
        if name.endswith(".py"):
            with open(os.path.join(KERNEL_DIR, name), encoding="utf-8") as f:
                sizes[name] = sum(1 for _ in f)
    assert len(sizes) > 20
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_every_module_says_what_it_is_for():
    for name in sorted(os.listdir(KERNEL_DIR)):
        if name.endswith(".py"):
            with open(os.path.join(KERNEL_DIR, name), encoding="utf-8") as f:
                head = f.read(400)
            assert '"""' in head, f"{name} begins with a docstring saying its job"
