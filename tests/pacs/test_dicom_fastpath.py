"""The C-STORE short cuts: byte for byte what pynetdicom and pydicom write, and what they fall back to."""

from __future__ import annotations

import copy
import errno
import hashlib
import os
import queue
import socket
import struct
import threading
import time
import tracemalloc
import types
from io import BytesIO

import pytest
from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.errors import BytesLengthException
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless
from pynetdicom import AE, evt, transport
from pynetdicom.dimse_messages import C_FIND_RQ, C_STORE_RQ, C_STORE_RSP
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.dsutils import create_file_meta
from pynetdicom.pdu import P_DATA_TF

from pacs import storage
from pacs.dicom import fastpath
from pacs.dicom.received import ReceivedFile
from pacs.dicom.server import build_ae
from pacs.ingest import PEEK_BYTES
from pacs.models import Instance
from tests.pacs.conftest import SCU_AE, write_series

UIDS = [
    "1.2.3.4",  # even length
    "1.2.3.45",  # odd: padded with a NUL
    "1.2.826.0.1.3680043.8.498.12345678901234567890123456789012345678",  # 64 characters
]


@pytest.mark.parametrize("sop_uid", UIDS)
@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless])
def test_file_meta_is_what_pydicom_writes(sop_uid, syntax):
    expected = BytesIO()
    write_file_meta_info(
        expected, create_file_meta(sop_class_uid=CTImageStorage, sop_instance_uid=sop_uid, transfer_syntax=syntax)
    )
    assert fastpath.file_meta(CTImageStorage, sop_uid, syntax) == expected.getvalue()


def _pynetdicom_response(message_id: int, sop_class: str, sop_uid: str, status: int) -> bytes:
    rsp = C_STORE()
    rsp.MessageIDBeingRespondedTo = message_id
    rsp.AffectedSOPClassUID = sop_class
    rsp.AffectedSOPInstanceUID = sop_uid
    rsp.Status = status
    message = C_STORE_RSP()
    message.primitive_to_message(rsp)
    (pdata,) = list(message.encode_msg(1, 16382))
    ((context_id, pdv),) = pdata.presentation_data_value_list
    assert (context_id, pdv[0]) == (1, 0x03)
    return pdv[1:]


@pytest.mark.parametrize("sop_uid", UIDS)
@pytest.mark.parametrize("message_id", [1, 258, 65535])
def test_store_response_is_what_pynetdicom_encodes(sop_uid, message_id):
    assert fastpath.store_response(message_id, CTImageStorage, sop_uid, 0x0000) == _pynetdicom_response(
        message_id, CTImageStorage, sop_uid, 0x0000
    )


def test_only_a_plain_success_takes_the_short_cut():
    rsp = C_STORE()
    rsp.MessageIDBeingRespondedTo, rsp.AffectedSOPClassUID, rsp.AffectedSOPInstanceUID = 1, CTImageStorage, "1.2.3"
    rsp.Status = 0x0000
    assert fastpath._plain_store_success(rsp)
    rsp.Status = 0xA700
    assert not fastpath._plain_store_success(rsp)
    rsp.Status, rsp.ErrorComment = 0x0000, "note"
    assert not fastpath._plain_store_success(rsp)
    request = C_STORE()
    request.MessageID, request.AffectedSOPClassUID, request.AffectedSOPInstanceUID = 1, CTImageStorage, "1.2.3"
    assert not fastpath._plain_store_success(request)  # a request, not a response


def test_non_ascii_meta_values_go_through_pydicom():
    kwargs = {"sop_class_uid": CTImageStorage, "sop_instance_uid": "1.2.3é", "transfer_syntax": ExplicitVRLittleEndian}
    expected, out = BytesIO(), BytesIO()
    write_file_meta_info(expected, create_file_meta(**kwargs))
    fastpath._write_file_meta_info(out, fastpath._create_file_meta(**kwargs))
    assert out.getvalue() == expected.getvalue()
    with pytest.raises(UnicodeEncodeError):
        fastpath.file_meta(CTImageStorage, "1.2.3é", ExplicitVRLittleEndian)


@pytest.mark.parametrize("sop_uid", ["", ["1.2.3", "1.2.4"], "1.2.3\\1.2.4"])
def test_empty_or_multiple_meta_values_are_left_to_pydicom(sop_uid):
    meta = fastpath._create_file_meta(sop_class_uid=CTImageStorage, sop_instance_uid=sop_uid, transfer_syntax="1.2")
    assert not isinstance(meta, fastpath._MetaRequest)


def _command(*elements: tuple[int, bytes]) -> bytes:
    """A command set as sent (implicit VR little endian, group 0000): (element, value) pairs, group length first."""
    body = b"".join(struct.pack("<HHI", 0x0000, element, len(value)) + value for element, value in elements)
    return struct.pack("<HHII", 0x0000, 0x0000, 4, len(body)) + body


def _us(value: int) -> bytes:
    return struct.pack("<H", value)


def _store_rq(sop_uid=b"1.2.3.45\0", *, message_id=7, priority=2, originator=None, extra=()):
    elements = [
        (0x0002, b"1.2.840.10008.5.1.4.1.1.2\0"),
        (0x0100, _us(0x0001)),
        (0x0110, _us(message_id)),
        (0x0700, _us(priority)),
        (0x0800, _us(0x0000)),
        (0x1000, sop_uid),
    ]
    if originator is not None:
        elements += [(0x1030, originator), (0x1031, _us(3))]
    return _command(*sorted([*elements, *extra]))


PLAIN_STORE_REQUESTS = {
    "odd UID": _store_rq(),
    "even UID": _store_rq(b"1.2.3.4"),
    "space-padded UID": _store_rq(b"1.2.3.45 "),
    "64-character UID": _store_rq(UIDS[2].encode()),
    "highest message ID, low priority": _store_rq(message_id=65535, priority=1),
    "C-MOVE sub-operation": _store_rq(originator=b"MOVESCU         "),
    "originator with spaces around": _store_rq(originator=b" A B  "),
}
OTHER_COMMANDS = {
    "C-ECHO-RQ": _command(
        (0x0002, b"1.2.840.10008.1.1\0"), (0x0100, _us(0x0030)), (0x0110, _us(1)), (0x0800, _us(0x0101))
    ),
    "C-FIND-RQ": _command(
        (0x0002, b"1.2.840.10008.5.1.4.1.2.2.1\0"),
        (0x0100, _us(0x0020)),
        (0x0110, _us(2)),
        (0x0700, _us(0)),
        (0x0800, _us(0)),
    ),
    "C-STORE-RSP with a comment": _command(
        (0x0002, b"1.2.3\0"),
        (0x0100, _us(0x8001)),
        (0x0120, _us(2)),
        (0x0800, _us(0x0101)),
        (0x0900, _us(0xA700)),
        (0x0902, b"Out of room "),
    ),
}


def _pydicom_command_set(data: bytes):
    from pynetdicom.dsutils import decode

    return decode(BytesIO(data), True, True)  # pynetdicom's decoder, through pydicom's reader


@pytest.mark.parametrize("data", [*PLAIN_STORE_REQUESTS.values(), *OTHER_COMMANDS.values()])
def test_command_sets_are_the_data_sets_pydicom_reads(data):
    ours, theirs = fastpath.command_set(data), _pydicom_command_set(data)
    assert ours is not None
    assert ours._dict == theirs._dict  # the same raw elements: tag, VR, length, value, offset
    assert ours.original_encoding == theirs.original_encoding
    assert [(e.tag, e.VR, e.value) for e in ours] == [(e.tag, e.VR, e.value) for e in theirs]


@pytest.mark.parametrize(
    "data",
    [
        _command((0x0100, _us(1)))[:-1],  # truncated value
        _command((0x0100, _us(1)))[:-3],  # truncated header
        _command((0x0110, _us(1)), (0x0100, _us(1))),  # out of order
        _command((0x0100, _us(1)), (0x0100, _us(2))),  # twice
        _command((0x0100, b"")),  # empty value
        struct.pack("<HHI", 0x0008, 0x0016, 2) + b"1\0",  # not group 0000
        struct.pack("<HHI", 0x0000, 0x0100, 0xFFFFFFFF),  # undefined length
        b"",
    ],
)
def test_a_command_set_that_is_not_plain_is_read_by_pydicom(data):
    assert fastpath.command_set(data) is None
    try:
        expected = _pydicom_command_set(data)
    except Exception as exc:  # noqa: BLE001 - whatever pydicom makes of it, the patched decoder makes too
        with pytest.raises(type(exc)):
            fastpath._decode(BytesIO(data), True, True)
    else:
        assert fastpath._decode(BytesIO(data), True, True)._dict == expected._dict


RECEIVED_DATA_SET, RECEIVED_FILE = BytesIO(b"data set"), object()


def _received_store_rq(data: bytes, *, read_by_decode_msg: bool = True) -> C_STORE_RQ:
    message = C_STORE_RQ()
    message.command_set = fastpath.command_set(data) or _pydicom_command_set(data)
    if read_by_decode_msg:  # what decode_msg reads converts these elements before the primitive is made
        message.command_set.CommandField, message.command_set.CommandDataSetType  # noqa: B018
        message.command_set.AffectedSOPClassUID, message.command_set.AffectedSOPInstanceUID  # noqa: B018
    message.context_id, message.data_set = 3, RECEIVED_DATA_SET
    message._data_set_path, message._data_set_file = "/x/received.dcm", RECEIVED_FILE
    return message


def _primitive_fields(primitive) -> dict:
    names = ("MessageID", "Priority", "AffectedSOPClassUID", "AffectedSOPInstanceUID")
    names += ("MoveOriginatorApplicationEntityTitle", "MoveOriginatorMessageID", "DataSet")
    values = {name: getattr(primitive, name) for name in names}
    values["types"] = [type(value) for value in values.values()]
    values.update(context=primitive._context_id, path=primitive._dataset_path, file=primitive._dataset_file)
    return values


@pytest.mark.parametrize("read_by_decode_msg", [True, False])
@pytest.mark.parametrize("data", PLAIN_STORE_REQUESTS.values(), ids=PLAIN_STORE_REQUESTS.keys())
def test_a_plain_c_store_request_becomes_the_primitive_pynetdicom_makes(data, read_by_decode_msg):
    message = _received_store_rq(data, read_by_decode_msg=read_by_decode_msg)
    ours = fastpath._store_request_primitive(message)
    assert ours is not None  # the short cut was taken
    theirs = fastpath._pynetdicom_message_to_primitive(_received_store_rq(data))
    assert _primitive_fields(ours) == _primitive_fields(theirs)
    assert type(fastpath._message_to_primitive(message)) is C_STORE


@pytest.mark.parametrize(
    "data",
    [
        _store_rq(b"1..2"),  # malformed UID: pydicom warns
        _store_rq(b"1.2.3a"),
        _store_rq(b"1.2.3\\1.2.4\0"),  # two values
        _store_rq(originator=b"A\\B "),  # two values
        _store_rq(originator=b"                "),  # empty
        _store_rq(originator=b"SEVENTEEN-LETTERS "),  # too long
        _store_rq(extra=[(0x0600, b"ELSEWHERE ")]),  # an element a C-STORE-RQ does not carry
    ],
)
def test_any_other_c_store_request_is_made_a_primitive_by_pynetdicom(data):
    assert fastpath._store_request_primitive(_received_store_rq(data, read_by_decode_msg=False)) is None
    theirs = fastpath._pynetdicom_message_to_primitive(_received_store_rq(data))
    assert _primitive_fields(fastpath._message_to_primitive(_received_store_rq(data))) == _primitive_fields(theirs)


@pytest.mark.parametrize("length", [b"\0\0", b"\0\0\0\0\0\0"])
def test_a_command_group_length_pydicom_cannot_read_fails_as_before(length):
    """pynetdicom converts every element; one pydicom cannot read (a UL of 2 or 6 bytes) makes the message invalid
    and ends the association. The short cut must not let it through."""
    data = struct.pack("<HHI", 0x0000, 0x0000, len(length)) + length + _store_rq()[12:]
    assert fastpath._store_request_primitive(_received_store_rq(data)) is None
    with pytest.raises(BytesLengthException):
        fastpath._pynetdicom_message_to_primitive(_received_store_rq(data))
    with pytest.raises(BytesLengthException):
        fastpath._message_to_primitive(_received_store_rq(data))


def test_received_file_hashes_what_it_writes(storage_root):
    received = ReceivedFile()
    chunks = [b"\x00" * 128, b"DICM", bytes(range(256)) * 300, b"tail"]
    for chunk in chunks:
        assert received.write(chunk) == len(chunk)
    received.file.flush()
    received.close()
    with open(received.name, "rb") as handle:
        content = handle.read()
    assert content == b"".join(chunks)
    assert (received.sha256(), received.size) == (hashlib.sha256(content).hexdigest(), len(content))
    assert bytes(received.head) == content[:PEEK_BYTES]  # its start kept for the checks, not read back
    with pytest.raises(ValueError, match="only writes new binary files"):
        ReceivedFile(delete=True)


def test_received_file_starts_writing_back_every_256_kb(storage_root, monkeypatch):
    from pacs.dicom import received as module

    calls = []
    monkeypatch.setattr(module, "_start_writeback", lambda fd, offset, count, flags: calls.append((offset, count)))
    received = ReceivedFile()
    for chunk in (b"\x00" * 128, b"DICM", b"M" * 222, *[b"F" * 131_060] * 6, b"L" * 568):
        received.write(chunk)
    received.close()
    assert calls == [(0, 262_474), (262_474, 393_180)]  # contiguous, from the start, never past what was written
    assert os.path.getsize(received.name) == received.size == 354 + 6 * 131_060 + 568


def test_received_file_writes_the_small_writes_before_its_first_fragment_with_it(storage_root, monkeypatch):
    calls = []
    writev = os.writev
    monkeypatch.setattr(os, "writev", lambda fd, buffers: calls.append(len(buffers)) or writev(fd, buffers))
    received = ReceivedFile()
    for chunk in (b"\x00" * 128, b"DICM", b"M" * 222):  # preamble, prefix and file meta, as pynetdicom writes them
        received.write(chunk)
    assert os.path.getsize(received.name) == 0  # held
    assert calls == []
    received.write(b"F" * 131_060)  # the first fragment: all four in one system call
    assert calls == [2]
    received.file.flush()
    assert calls == [2]  # nothing was left to write
    received.write(b"L" * 40)  # a small last fragment, once the file has begun: written at once
    assert calls == [2, 1]
    assert os.path.getsize(received.name) == received.size == 128 + 4 + 222 + 131_060 + 40

    tiny = ReceivedFile()  # a data set so small that all of it is held: flush() (after each fragment) writes it
    for chunk in (b"\x00" * 128, b"DICM", b"M" * 222, b"D" * 100):
        tiny.write(chunk)
    assert os.path.getsize(tiny.name) == 0
    tiny.file.flush()
    assert _written(tiny) == b"\x00" * 128 + b"DICM" + b"M" * 222 + b"D" * 100
    held = ReceivedFile()
    held.write(b"\x00" * 128)
    assert _written(held) == b"\x00" * 128  # close() writes what is held

    dropped = ReceivedFile()  # an association aborted mid-instance drops its file without closing it
    dropped.write(b"D" * 200_000)
    descriptor = dropped.fileno()
    del dropped  # closed at once: nothing refers to it, not even itself
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(descriptor)


def test_c_store_through_the_short_cuts_stores_a_sound_file(listener, scu_node, tmp_path):
    """A real association: the sender reads Lumen's hand-made C-STORE-RSP as success, the stored file's meta is
    pynetdicom's, and the SHA-256 taken while receiving is the stored file's."""
    _, files = write_series(tmp_path, 3, size=256)  # 128 KB of pixels: fragments large enough to be written back
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    sent = []
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    for path in files:
        ds = dcmread(path)
        status = assoc.send_c_store(ds)
        assert status.Status == 0x0000
        assert "ErrorComment" not in status
        sent.append(str(ds.SOPInstanceUID))
    assoc.release()
    for sop_uid in sent:
        instance = Instance.objects.get(sop_instance_uid=sop_uid)
        stored = storage.absolute(instance.path)
        data = stored.read_bytes()
        assert hashlib.sha256(data).hexdigest() == instance.sha256
        assert len(data) == instance.size_bytes
        meta = dcmread(stored).file_meta
        assert str(meta.MediaStorageSOPInstanceUID) == sop_uid
        assert str(meta.TransferSyntaxUID) == ExplicitVRLittleEndian
        assert meta.ImplementationVersionName == "PYNETDICOM_304"


def _p_data_tf_pdu(*pdvs: tuple[int, bytes]) -> bytes:
    items = b"".join(struct.pack(">LB", len(value) + 1, context_id) + value for context_id, value in pdvs)
    return struct.pack(">BBL", 0x04, 0, len(items)) + items


def test_p_data_tf_values_are_what_pynetdicom_decodes():
    pdvs = [(1, b"\x03" + bytes(range(200))), (3, b"\x00" + b"pixel" * 1000), (3, b"\x02")]
    stream = _p_data_tf_pdu(*pdvs)
    expected = P_DATA_TF()
    expected.decode(stream)
    pdu = fastpath.p_data_tf(bytearray(stream))
    got = [
        (item.presentation_context_id, bytes(item.presentation_data_value))
        for item in pdu.presentation_data_value_items
    ]
    assert got == [
        (item.presentation_context_id, item.presentation_data_value) for item in expected.presentation_data_value_items
    ]
    assert got == pdvs
    assert pdu.to_primitive().presentation_data_value_list[1][1][1:] == b"pixel" * 1000


@pytest.mark.parametrize(
    "stream",
    [
        _p_data_tf_pdu(),  # no PDV item
        _p_data_tf_pdu((1, b"\x03abc"))[:-1],  # the item runs past the PDU's end
        _p_data_tf_pdu((1, b"")),  # no message control header
        _p_data_tf_pdu((1, b"\x03abc")) + b"\x00\x00\x00",  # trailing bytes too short for an item header
    ],
)
def test_a_malformed_p_data_tf_is_left_to_pynetdicom(stream):
    assert fastpath.p_data_tf(bytearray(stream)) is None


def test_receive_reads_exactly_what_is_asked_in_one_buffer():
    reader, writer = socket.socketpair()
    data = bytes(range(256)) * 2000  # 512,000 bytes, longer than the first read buffer
    sender = threading.Thread(target=lambda: [writer.sendall(data[i : i + 7000]) for i in range(0, len(data), 7000)])
    sender.start()
    assert fastpath.receive(reader, 6) == data[:6]
    assert fastpath.receive(reader, len(data) - 6, b"head") == b"head" + data[6:]
    sender.join()
    writer.sendall(b"short")
    writer.close()
    # A peer that announces 2 GB and closes after 5 bytes: the 5 bytes, and no 2 GB buffer on the way.
    tracemalloc.start()
    try:
        assert fastpath.receive(reader, 2**31) == b"short"
        assert tracemalloc.get_traced_memory()[1] < fastpath.FIRST_READ * 2
    finally:
        tracemalloc.stop()
    reader.close()


def _pdu(pdu_type: int, body: bytes) -> bytes:
    return struct.pack(">BBL", pdu_type, 0, len(body)) + body


def test_next_pdu_reads_each_pdu_whole_and_keeps_what_it_read_past_it():
    reader, writer = socket.socketpair()
    pdus = [_pdu(4, bytes([n]) * size) for n, size in enumerate((10, 300_000, 4, 131_066, 70_000, 2), start=1)]
    stream = b"".join(pdus)
    sender = threading.Thread(
        target=lambda: [writer.sendall(stream[i : i + 9_973]) for i in range(0, len(stream), 9_973)]
    )
    sender.start()
    inbox = bytearray()
    try:
        for expected in pdus:
            assert fastpath.next_pdu(reader, inbox) == expected
        sender.join()
        assert inbox == b""
        writer.sendall(pdus[0] + pdus[1][:1000])
        writer.close()
        assert fastpath.next_pdu(reader, inbox) == pdus[0]
        assert fastpath.next_pdu(reader, inbox) == pdus[1][:1000]  # the peer closed mid-PDU: what came
        assert fastpath.next_pdu(reader, inbox) == b""
    finally:
        reader.close()


def test_next_pdu_reads_no_further_than_the_header_of_a_pdu_of_unknown_type():
    reader, writer = socket.socketpair()
    try:
        writer.sendall(struct.pack(">BBL", 0x09, 0, 2**31) + b"x" * 10)  # and the peer sends nothing more
        reader.settimeout(5)
        inbox = bytearray()
        assert fastpath.next_pdu(reader, inbox) == struct.pack(">BBL", 0x09, 0, 2**31)
    finally:
        reader.close()
        writer.close()


def test_next_pdu_buffers_no_more_than_arrives_for_a_huge_announced_pdu():
    reader, writer = socket.socketpair()
    writer.sendall(struct.pack(">BBL", 4, 0, 2**31) + b"short")
    writer.close()
    tracemalloc.start()
    try:
        assert fastpath.next_pdu(reader, bytearray()) == struct.pack(">BBL", 4, 0, 2**31) + b"short"
        assert tracemalloc.get_traced_memory()[1] < fastpath.FIRST_READ * 3
    finally:
        tracemalloc.stop()
        reader.close()


class _Provider:
    """What ``DULServiceProvider._read_pdu_data`` uses of its DUL provider, over a real socket."""

    def __init__(self, sock, decode):
        self.socket = transport.AssociationSocket.__new__(transport.AssociationSocket)  # pynetdicom's reads
        self.socket.socket = sock
        self.event_queue, self._recv_pdu = queue.Queue(), queue.Queue()
        # Established, with no C-STORE data set under way: every PDU is queued for the state machine.
        self.state_machine = types.SimpleNamespace(current_state="Sta6")
        self.assoc = types.SimpleNamespace(get_handlers=lambda event: [], dimse=types.SimpleNamespace(message=None))
        self._decode = decode

    def _decode_pdu(self, stream):
        return self._decode(self, stream)

    def read(self, read_pdu_data) -> list:
        """Read PDUs until the connection is closed: the events queued and each PDU's type and values."""
        results = []
        while not results or results[-1] != "Evt17":
            read_pdu_data(self)
            event = self.event_queue.get_nowait()
            results.append(event)
            if not self._recv_pdu.empty():
                pdu = self._recv_pdu.get_nowait()
                items = getattr(pdu, "presentation_data_value_items", [])
                results.append((type(pdu).__name__, [(i.presentation_context_id, bytes(i.data)) for i in items]))
            if event == "Evt19":
                break
        return results


READ_CASES = {
    "data and a release": _p_data_tf_pdu((1, b"\x03" + b"c" * 90), (3, b"\x02" + b"d" * 300_000))
    + bytes.fromhex("05000000000400000000"),
    "an item past the PDU's end": _p_data_tf_pdu((1, b"\x03abc"))[:-1].replace(
        b"\x00\x00\x00\x09", b"\x00\x00\x00\x08"
    ),
    "an unknown PDU type": bytes.fromhex("09000000000400000000"),
    "a header cut short": bytes.fromhex("040000"),
    "a body cut short": _p_data_tf_pdu((1, b"\x03" + b"e" * 1000))[:500],
}


def _send_and_close(sock, data: bytes) -> None:
    sock.sendall(data)
    sock.close()


@pytest.mark.parametrize("case", READ_CASES)
def test_reading_a_pdu_queues_what_pynetdicom_queues(case, caplog):
    outcomes = []
    for read_pdu_data, decode in (
        (fastpath._pynetdicom_read_pdu_data, fastpath._pynetdicom_decode_pdu),
        (fastpath._read_pdu_data, fastpath._decode_pdu),
    ):
        reader, writer = socket.socketpair()
        sender = threading.Thread(target=_send_and_close, args=(writer, READ_CASES[case]))
        sender.start()  # more than the socket buffer holds: sent while the PDUs are read
        caplog.clear()
        outcomes.append((_Provider(reader, decode).read(read_pdu_data), [r.getMessage() for r in caplog.records]))
        sender.join()
        reader.close()
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][0][-1] in ("Evt17", "Evt19")


def _storing_provider(storage_root, **changes):
    """A DUL provider in the middle of receiving a C-STORE data set on context 3 (command set decoded, the file
    begun), as ``_store_fragments`` sees it."""
    message = C_STORE_RQ()
    message.context_id = 3
    message._data_set_file = ReceivedFile()
    message._data_set_file.write(b"begun")
    provider = types.SimpleNamespace(
        state_machine=types.SimpleNamespace(current_state="Sta6"),
        event_queue=queue.Queue(),
        _recv_pdu=queue.Queue(),
        assoc=types.SimpleNamespace(get_handlers=lambda event: [], dimse=types.SimpleNamespace(message=message)),
    )
    for name, value in changes.items():
        setattr(provider, name, value)
    return provider, message


def _written(received: ReceivedFile) -> bytes:
    received.close()
    with open(received.name, "rb") as handle:
        return handle.read()


def test_middle_fragments_go_straight_into_the_data_set(storage_root):
    provider, message = _storing_provider(storage_root)
    pdu = fastpath.p_data_tf(bytearray(_p_data_tf_pdu((3, b"\x00" + b"a" * 5000), (3, b"\x00" + b"b" * 7))))
    assert fastpath._store_fragments(provider, pdu) is True
    assert provider.event_queue.empty()
    assert provider._recv_pdu.empty()
    assert provider.assoc.dimse.message is message  # still being received
    assert _written(message._data_set_file) == b"begun" + b"a" * 5000 + b"b" * 7


@pytest.mark.parametrize(
    ("pdvs", "changes"),
    [
        pytest.param([(3, b"\x00a"), (3, b"\x02b")], {}, id="the data set's last fragment"),
        pytest.param([(3, b"\x01a")], {}, id="a command fragment"),
        pytest.param([(3, b"\x00a"), (5, b"\x00b")], {}, id="another presentation context"),
        pytest.param([(3, b"\x00a")], {"state_machine": types.SimpleNamespace(current_state="Sta7")}, id="not Sta6"),
        pytest.param([(3, b"\x00a")], {"queued": "Evt18"}, id="an event queued before it"),
        pytest.param([(3, b"\x00a")], {"watched": True}, id="a handler on the state machine"),
        pytest.param([(3, b"\x00a")], {"message": None}, id="no message under way"),
        pytest.param([(3, b"\x00a")], {"message": "C-FIND"}, id="not a C-STORE"),
        pytest.param([(3, b"\x00a")], {"file": "pynetdicom's own"}, id="not Lumen's received file"),
    ],
)
def test_fragments_take_the_usual_way_unless_all_is_plain(storage_root, pdvs, changes):
    queued, watched = changes.pop("queued", None), changes.pop("watched", False)
    message_change, file_change = changes.pop("message", 0), changes.pop("file", None)
    provider, message = _storing_provider(storage_root, **changes)
    received = message._data_set_file
    if queued:
        provider.event_queue.put(queued)
    if watched:
        provider.assoc.get_handlers = lambda event: [(print, None)] if event == evt.EVT_FSM_TRANSITION else []
    if message_change is None:
        provider.assoc.dimse.message = None
    elif message_change == "C-FIND":
        find = C_FIND_RQ()
        find.context_id, find._data_set_file = 3, message._data_set_file
        provider.assoc.dimse.message = find
    if file_change:
        provider.assoc.dimse.message._data_set_file = BytesIO()
    pdu = fastpath.p_data_tf(bytearray(_p_data_tf_pdu(*pdvs)))
    assert fastpath._store_fragments(provider, pdu) is False
    assert provider.event_queue.qsize() == (1 if queued else 0)
    assert provider._recv_pdu.empty()
    assert _written(received) == b"begun"  # nothing written: the state machine and DIMSE do it all


def test_a_large_instance_is_received_mostly_through_the_short_cut(listener, scu_node, tmp_path, monkeypatch):
    """A 2 MB image sent in PDUs of at most 256 KB: its middle PDUs are written straight to the file, and the
    stored file is the sent data set, whole, with the SHA-256 the index keeps."""
    taken = []
    store_fragments = fastpath._store_fragments

    def counted(provider, pdu):
        done = store_fragments(provider, pdu)
        taken.append(done)
        return done

    monkeypatch.setattr(fastpath, "_store_fragments", counted)
    primitives = []
    store_request_primitive = fastpath._store_request_primitive
    monkeypatch.setattr(
        fastpath, "_store_request_primitive", lambda m: primitives.append(store_request_primitive(m)) or primitives[-1]
    )
    _, (path,) = write_series(tmp_path, 1, size=1024)  # 1024 x 1024 x 16 bit
    sent = dcmread(path)
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    assert assoc.send_c_store(sent).Status == 0x0000
    assoc.release()
    assert taken.count(True) >= 6  # 2 MB / 256 KB PDUs: all but the first and the last data PDU at least
    assert [(p.MessageID, p.AffectedSOPInstanceUID) for p in primitives] == [(1, sent.SOPInstanceUID)]
    instance = Instance.objects.get(sop_instance_uid=sent.SOPInstanceUID)
    data = storage.absolute(instance.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == instance.sha256
    stored = dcmread(BytesIO(data))
    assert stored.PixelData == sent.PixelData
    assert stored.SOPInstanceUID == sent.SOPInstanceUID


def test_a_write_failing_mid_instance_aborts_the_association_and_keeps_nothing(
    listener, scu_node, tmp_path, monkeypatch
):
    """The disk fills while a large image arrives, on a fragment written straight to the file: the association
    is aborted (no success is ever sent) and no index row or stored file is left of the instance."""
    write = ReceivedFile.write

    def write_until_full(self, data):
        if self.size > 600_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(self, data)

    monkeypatch.setattr(ReceivedFile, "write", write_until_full)
    taken = []
    store_fragments = fastpath._store_fragments
    monkeypatch.setattr(fastpath, "_store_fragments", lambda p, pdu: taken.append(True) or store_fragments(p, pdu))
    _, (path,) = write_series(tmp_path, 1, size=1024)  # 2 MB: the failing write is a middle fragment's
    sent = dcmread(path)
    ae = AE(SCU_AE)
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    assoc = ae.associate(listener.host, listener.port, ae_title=listener.ae_title)
    assert assoc.is_established
    assert "Status" not in assoc.send_c_store(sent)  # no response: the listener aborted the association
    deadline = time.monotonic() + 10
    while assoc.is_alive() and time.monotonic() < deadline:  # the A-ABORT reaches the requestor's own thread
        time.sleep(0.05)
    assert assoc.is_aborted
    assert taken
    assert not Instance.objects.filter(sop_instance_uid=sent.SOPInstanceUID).exists()
    assert [p for p in storage.root().rglob("*.dcm") if storage.incoming_dir() not in p.parents] == []


def test_each_association_gets_its_own_copy_of_the_contexts():
    ae = build_ae()
    original = ae.supported_contexts
    copies = fastpath.copy_contexts(original)
    assert [vars(c) for c in copies] == [vars(c) for c in copy.deepcopy(original)]
    for duplicate, context in zip(copies, original, strict=True):
        assert duplicate is not context
        assert duplicate.transfer_syntax is not context.transfer_syntax
        # The UIDs themselves are shared, not rebuilt (what made the deep copy cost 66 ms per association).
        assert duplicate.abstract_syntax is context.abstract_syntax
        assert duplicate.transfer_syntax[0] is context.transfer_syntax[0]
    copies[0].add_transfer_syntax("1.2.3.4")
    copies[1].context_id = 7
    assert "1.2.3.4" not in original[0].transfer_syntax
    assert original[1].context_id is None
    # Something it does not know how to share: a plain deep copy.
    odd = copy.copy(original[0])
    odd.note = {"mutable": []}
    (copied,) = fastpath.copy_contexts([odd])
    assert copied.note == odd.note
    assert copied.note is not odd.note


READ_ON_ARRIVAL = ("CommandField", "CommandDataSetType", "AffectedSOPClassUID", "AffectedSOPInstanceUID")


@pytest.mark.parametrize(
    "data",
    [*PLAIN_STORE_REQUESTS.values(), *OTHER_COMMANDS.values(), _store_rq(b"1..2"), _store_rq(b"1.2.3\\1.2.4\0")],
)
def test_what_decode_msg_reads_on_arrival_is_what_pydicom_reads(data):
    ours, theirs = fastpath.command_set(data), _pydicom_command_set(data)
    for keyword in READ_ON_ARRIVAL:
        if keyword in theirs:
            assert getattr(ours, keyword) == getattr(theirs, keyword), keyword
        else:
            with pytest.raises(AttributeError):
                getattr(ours, keyword)


def test_plain_values_read_on_arrival_leave_the_elements_raw():
    ours = fastpath.command_set(_store_rq())
    assert (ours.CommandField, ours.CommandDataSetType) == (0x0001, 0x0000)
    assert (ours.AffectedSOPClassUID, ours.AffectedSOPInstanceUID) == ("1.2.840.10008.5.1.4.1.1.2", "1.2.3.45")
    assert all(type(element) is RawDataElement for element in ours._dict.values())
    malformed = fastpath.command_set(_store_rq(b"1..2"))
    assert malformed.AffectedSOPInstanceUID == "1..2"  # pydicom's way, with its warning
    assert type(malformed._dict[0x00001000]) is not RawDataElement


@pytest.mark.parametrize(
    "value",
    [
        "1.2.840.10008.5.1.4.1.1.2",
        UID("1.2.840.10008.5.1.4.1.1.2"),
        "0.0",
        UIDS[2],
        UIDS[2] + "1",  # 65 characters
        "1.02.3",
        "1..2",
        " 1.2.3",
        "1.2.3a",
        "",
        None,
        b"1.2.3",
        7,
    ],
)
def test_uids_set_on_primitives_are_what_pynetdicom_sets(value):
    try:
        expected = fastpath._pynetdicom_set_uid(value, "Affected SOP Class UID")
    except Exception as exc:  # noqa: BLE001 - whatever pynetdicom refuses, the short cut refuses alike
        with pytest.raises(type(exc)):
            fastpath._set_uid(value, "Affected SOP Class UID")
        return
    ours = fastpath._set_uid(value, "Affected SOP Class UID")
    assert ours == expected
    assert type(ours) is type(expected)
