"""The two-node cluster test (`make test-cluster`): skipped in the normal run, which it would
slow down by minutes and which does not need nginx, moto_server or redis-server."""

import time

import pytest

from tests.cluster.cluster import Cluster


def pytest_addoption(parser):
    parser.addoption("--cluster", action="store_true", help="run tests/cluster (make test-cluster)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--cluster", default=False):
        return
    skip = pytest.mark.skip(reason="the cluster test runs with `make test-cluster`")
    for item in items:
        if "tests/cluster/" in str(item.path).replace("\\", "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cluster(request, tmp_path_factory):
    started = time.monotonic()
    with Cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running
        if request.session.testsfailed:
            print(running.logs())
        running.print_timings()
        print(f"cluster: up for {time.monotonic() - started:.1f} s in all")
