"""The suite refuses two tests of one node id: pytest-xdist would run only one of them."""

from types import SimpleNamespace

from tests.conftest import repeated_node_ids


def test_a_node_id_carried_twice_is_named():
    items = [SimpleNamespace(nodeid=n) for n in
             ("t.py::a", "t.py::b[GET /x]", "t.py::b[GET /x]", "t.py::c", "t.py::a")]
    assert repeated_node_ids(items) == ["t.py::a", "t.py::b[GET /x]"]


def test_distinct_node_ids_pass():
    assert repeated_node_ids([SimpleNamespace(nodeid=n) for n in ("t.py::a", "t.py::b")]) == []
