"""``manage.py dicom_node add|list|remove``: registering the peers that may talk to Lumen."""

import io

import pytest
from django.core.management import CommandError, call_command

from pacs.models import DicomNode


def run(*args):
    out = io.StringIO()
    call_command("dicom_node", *args, stdout=out)
    return out.getvalue()


def test_add_list_and_remove_a_node(db):
    assert run("add", "--ae-title", "WS1", "--host", "10.0.0.7", "--port", "11112", "--allow", "find,move,echo") == (
        "Saved WS1 10.0.0.7:11112 allowed: echo, find, move\n"
    )
    assert DicomNode.objects.get().services == ["echo", "find", "move"]
    run("add", "--ae-title", "WS1", "--host", "10.0.0.8", "--port", "104", "--allow", "store")
    node = DicomNode.objects.get()
    assert (node.host, node.port, node.services) == ("10.0.0.8", 104, ["store"])
    assert "WS1               10.0.0.8                   104  store" in run("list")
    assert run("remove", "--ae-title", "WS1") == "Removed WS1.\n"
    assert DicomNode.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--ae-title", "WS1", "--host", "h", "--allow", "teleport"], "services: Unknown services: teleport."),
        (["add", "--ae-title", "A" * 17, "--host", "h"], "ae_title: An AE title has at most 16 characters."),
        (
            ["add", "--ae-title", "WS1", "--host", "h", "--port", "70000"],
            "port: Ensure this value is less than or equal to 65535.",
        ),
        (["add", "--ae-title", "WS1"], "--host is required"),
        (["remove", "--ae-title", "NOPE"], "No DICOM node has the AE title 'NOPE'."),
    ],
)
def test_bad_node_definitions_are_refused_with_the_reason(db, args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert message in str(caught.value)
    assert DicomNode.objects.count() == 0
