"""Short cuts for what every received instance costs in pynetdicom.

Received data sets go into ``pacs.dicom.received.ReceivedFile`` instead of a ``NamedTemporaryFile``.

Each P-DATA-TF PDU is read from the socket 4 KB per system call and its data copied four times on its way to
the file (bytearray, bytes, the PDU's value, the PDV's value, the fragment without its control header): for a
512 KB instance sent in 128 KB PDUs that is about 130 ``recv`` calls and 2.5 MB of copying. Here a PDU is read
straight into one buffer as fast as the kernel hands it over, and a P-DATA-TF's values are views of that buffer
(``memoryview``): the data set's bytes are copied once, from the socket, before they are written to the file.
A PDU that is not a well-formed P-DATA-TF, or an association with a handler for received PDUs, goes through
pynetdicom's own decoder.
A P-DATA-TF that holds only middle fragments of the data set of the C-STORE being received (most PDUs of a
large instance) is written straight to that data set's file, without the event and PDU queues, the P-DATA
primitive and the state machine's turn, when nothing else is waiting or watching: it is all they would do with it.

Each new association starts with a deep copy of the AE's presentation contexts (``transport.deepcopy``): 180
contexts, 7,700 transfer syntax UIDs, each rebuilt and validated by pydicom's ``UID``, 66 ms of CPU before an
association is even negotiated (a modality that opens one association per image pays it every image). Here each
context is copied with its own lists, sharing the UIDs, which are immutable strings; anything else is still deep
copied.

For each C-STORE, pynetdicom builds the received file's File Meta Information (PS3.10 7.1) and the C-STORE-RSP
command set (PS3.7 9.3.1.2) through pydicom data sets: about 0.2 and 0.3 ms of CPU per instance, a tenth of what a
whole C-STORE costs Lumen. Both have a fixed shape, so here they are written straight as bytes, equal byte for byte
to what pynetdicom writes (``tests/pacs/test_dicom_fastpath.py`` compares them). Anything out of the ordinary (a
non-ASCII value, a C-STORE-RSP that is not plain success, a handler listening for sent messages) goes the usual way.

Each received command set is read by pydicom's reader, which compares every tag with several markers in Python, and
a C-STORE-RQ's elements are then each converted and validated by pydicom and once more by the primitive's setters:
about 330 Python calls of the 2,650 an instance cost. Here a plain command set (group 0000, ascending, defined
lengths) becomes the same data set of raw elements straight away, and a plain C-STORE-RQ's values go to the
primitive's setters as they were received (``tests/pacs/test_dicom_fastpath.py`` compares both with pynetdicom's).

As each message arrives pynetdicom reads four of its command elements by keyword, each converted by pydicom
(its UIDs validated), and every UID set on a DIMSE primitive is validated three more times (pydicom's ``UID``,
pynetdicom's validator building another, its conformance check): for a C-STORE, request and response, about a
tenth of what the instance costs in Python. Here plain values are read raw (``CommandSet``) and a conformant UID
is made a ``UID`` at once (``_set_uid``); anything else goes pydicom's and pynetdicom's way, warnings included.

Installed by ``pacs.dicom.server.configure_pynetdicom`` for the pynetdicom release it was written against only.
"""

from __future__ import annotations

import copy
import logging
import re
from struct import Struct, pack
from typing import NamedTuple

import pynetdicom
from pydicom import config
from pydicom.charset import default_encoding
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag
from pydicom.uid import RE_VALID_UID, UID
from pynetdicom import (
    PYNETDICOM_IMPLEMENTATION_UID,
    PYNETDICOM_IMPLEMENTATION_VERSION,
    dimse,
    dimse_messages,
    dimse_primitives,
    dul,
    evt,
    transport,
)
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.pdu import P_DATA_TF
from pynetdicom.pdu_items import PresentationDataValueItem
from pynetdicom.pdu_primitives import P_DATA
from pynetdicom.presentation import PresentationContext

from pacs.dicom.received import ReceivedFile

logger = logging.getLogger(__name__)

WRITTEN_FOR = "3.0.4"
C_STORE_RSP_FIELD = 0x8001
NO_DATA_SET = 0x0101


def _even(value: str, pad: bytes) -> bytes:
    """ASCII, padded to an even length (PS3.5 6.2)."""
    data = value.encode("ascii")
    return data + pad if len(data) % 2 else data


def _explicit_short(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    return pack("<HH2sH", group, element, vr, len(value)) + value


def file_meta(sop_class_uid: str, sop_instance_uid: str, transfer_syntax_uid: str) -> bytes:
    """Group 0002 as pydicom's ``write_file_meta_info`` writes pynetdicom's ``create_file_meta`` (explicit VR
    little endian, group length first); preamble and ``DICM`` excluded. Raises UnicodeEncodeError if a value is not
    ASCII."""
    body = b"".join(
        (
            pack("<HH2sHI", 0x0002, 0x0001, b"OB", 0, 2) + b"\x00\x01",
            _explicit_short(0x0002, 0x0002, b"UI", _even(sop_class_uid, b"\x00")),
            _explicit_short(0x0002, 0x0003, b"UI", _even(sop_instance_uid, b"\x00")),
            _explicit_short(0x0002, 0x0010, b"UI", _even(transfer_syntax_uid, b"\x00")),
            _explicit_short(0x0002, 0x0012, b"UI", _even(PYNETDICOM_IMPLEMENTATION_UID, b"\x00")),
            _explicit_short(0x0002, 0x0013, b"SH", _even(PYNETDICOM_IMPLEMENTATION_VERSION, b" ")),
        )
    )
    return _explicit_short(0x0002, 0x0000, b"UL", pack("<I", len(body))) + body


def _implicit(element: int, value: bytes) -> bytes:
    return pack("<HHI", 0x0000, element, len(value)) + value


def store_response(message_id: int, sop_class_uid: str, sop_instance_uid: str, status: int) -> bytes:
    """A C-STORE-RSP command set as pynetdicom encodes it (implicit VR little endian, PS3.7 E.1)."""
    body = b"".join(
        (
            _implicit(0x0002, _even(sop_class_uid, b"\x00")),
            _implicit(0x0100, pack("<H", C_STORE_RSP_FIELD)),
            _implicit(0x0120, pack("<H", message_id)),
            _implicit(0x0800, pack("<H", NO_DATA_SET)),
            _implicit(0x0900, pack("<H", status)),
            _implicit(0x1000, _even(sop_instance_uid, b"\x00")),
        )
    )
    return _implicit(0x0000, pack("<I", len(body))) + body


class _MetaRequest(NamedTuple):
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str


_pydicom_create_file_meta = dimse_messages.create_file_meta
_pydicom_write_file_meta_info = dimse_messages.write_file_meta_info
_pynetdicom_send_msg = dimse.DIMSEServiceProvider.send_msg


def _create_file_meta(*, sop_class_uid, sop_instance_uid, transfer_syntax, **extra):
    plain = all(isinstance(v, str) and v and "\\" not in v for v in (sop_class_uid, sop_instance_uid, transfer_syntax))
    if extra or not plain:  # a multiple or empty value: pydicom's own handling, errors included
        return _pydicom_create_file_meta(
            sop_class_uid=sop_class_uid, sop_instance_uid=sop_instance_uid, transfer_syntax=transfer_syntax, **extra
        )
    return _MetaRequest(str(sop_class_uid), str(sop_instance_uid), str(transfer_syntax))


def _write_file_meta_info(fp, meta, enforce_standard: bool = True) -> None:
    if isinstance(meta, _MetaRequest):
        try:
            fp.write(file_meta(*meta))
            return
        except UnicodeEncodeError:
            meta = _pydicom_create_file_meta(
                sop_class_uid=meta.sop_class_uid,
                sop_instance_uid=meta.sop_instance_uid,
                transfer_syntax=meta.transfer_syntax,
            )
    _pydicom_write_file_meta_info(fp, meta, enforce_standard)


def _plain_store_success(primitive) -> bool:
    return (
        type(primitive) is C_STORE
        and primitive.MessageIDBeingRespondedTo is not None
        and primitive.Status == 0x0000
        and primitive.ErrorComment is None
        and primitive.OffendingElement is None
        and primitive.AffectedSOPClassUID is not None
        and primitive.AffectedSOPInstanceUID is not None
    )


def _send_msg(self, primitive, context_id: int) -> None:
    if _plain_store_success(primitive) and not self.assoc.get_handlers(evt.EVT_DIMSE_SENT):
        try:
            command = store_response(
                primitive.MessageIDBeingRespondedTo,
                primitive.AffectedSOPClassUID,
                primitive.AffectedSOPInstanceUID,
                primitive.Status,
            )
        except UnicodeEncodeError:
            command = None
        # One PDV in one P-DATA-TF: the PDV item adds 6 bytes (length, context, control header) to the command.
        if command is not None and (not self.maximum_pdu_size or len(command) + 6 <= self.maximum_pdu_size):
            pdata = P_DATA()
            pdata.presentation_data_value_list = [[context_id, b"\x03" + command]]  # command, last fragment
            self.dul.send_pdu(pdata)
            return
    _pynetdicom_send_msg(self, primitive, context_id)


_COMMAND_ELEMENT = Struct("<HHL")  # group, element, value length: implicit VR little endian (PS3.5 7.1.3)
_pynetdicom_decode = dimse_messages.decode


# The command elements pynetdicom reads by keyword as each message arrives (``DIMSEMessage.decode_msg``): their
# tags and VRs, from pydicom's dictionary.
_READ_ON_ARRIVAL = {
    keyword: (tag_for_keyword(keyword), dictionary_VR(tag_for_keyword(keyword)))
    for keyword in ("CommandField", "CommandDataSetType", "AffectedSOPClassUID", "AffectedSOPInstanceUID")
}


class CommandSet(Dataset):
    """A received command set whose elements pynetdicom reads on arrival are read straight from their raw
    values where plain (``command_value``; a UID as ``str``), as pydicom would read them, without converting each
    into a data element first (pydicom's conversion validates a UID twice). Anything else, pydicom's way."""

    def __getattr__(self, name: str):
        known = _READ_ON_ARRIVAL.get(name)
        if known is not None:
            element = self._dict.get(known[0])
            if type(element) is RawDataElement:
                value = command_value(known[1], element.value)
                if value is not None:
                    return value
        return super().__getattr__(name)


def command_set(data: bytes) -> Dataset | None:
    """A received command set (group 0000, implicit VR little endian, PS3.7 6.3) as the pydicom data set pydicom's
    reader makes of it: its elements raw, converted when read. None unless plain: group 0000 only, in ascending
    order, every value of a defined length that is not empty and lies wholly in ``data``."""
    elements = {}
    offset, end, last = 0, len(data), -1
    while offset < end:
        if end - offset < 8:
            return None
        group, element, length = _COMMAND_ELEMENT.unpack_from(data, offset)
        offset += 8
        if group or element <= last or not length or length == 0xFFFFFFFF or offset + length > end:
            return None
        tag = BaseTag(element)  # group 0000
        elements[tag] = RawDataElement(tag, None, length, data[offset : offset + length], offset, True, True)
        offset += length
        last = element
    if not elements:
        return None
    ds = CommandSet(elements, parent_encoding=default_encoding)
    ds.set_original_encoding(True, True, default_encoding)
    return ds


def _decode(bytestring, is_implicit_vr: bool, is_little_endian: bool, deflated: bool = False):
    """``dsutils.decode`` as ``DIMSEMessage.decode_msg`` calls it, for a command set: the data set built straight
    from its elements (pydicom's reader compares each tag with several markers, in Python, on its way)."""
    if is_implicit_vr and is_little_endian and not deflated:
        ds = command_set(bytestring.getvalue())
        if ds is not None:
            return ds
    return _pynetdicom_decode(bytestring, is_implicit_vr, is_little_endian, deflated)


# The elements of a C-STORE-RQ command set (PS3.7 9.3.1.1) by tag (group 0000), with the C-STORE primitive's
# attribute each goes to (None: pynetdicom's primitive has none) and its VR.
_STORE_REQUEST_ELEMENTS = {
    0x00000000: (None, "UL"),  # Command Group Length
    0x00000002: ("AffectedSOPClassUID", "UI"),
    0x00000100: (None, "US"),  # Command Field
    0x00000110: ("MessageID", "US"),
    0x00000700: ("Priority", "US"),
    0x00000800: (None, "US"),  # Command Data Set Type
    0x00001000: ("AffectedSOPInstanceUID", "UI"),
    0x00001030: ("MoveOriginatorApplicationEntityTitle", "AE"),
    0x00001031: ("MoveOriginatorMessageID", "US"),
}
_PLAIN_UID = re.compile(rb"[0-9.]{1,64}[\0 ]?")
_PLAIN_AE = re.compile(rb"[ -\[\]-~]{1,16}")  # printable ASCII but the backslash: one value


def command_value(vr: str, raw: bytes):
    """A command element's value as pydicom decodes it, where that is plain (one value, nothing to correct or
    warn about); None otherwise."""
    if vr == "US":
        return _US.unpack(raw)[0] if len(raw) == 2 else None
    if vr == "UL":
        return _UL.unpack(raw)[0] if len(raw) == 4 else None
    if vr == "UI":
        if not _PLAIN_UID.fullmatch(raw):
            return None
        uid = raw.decode("ascii").rstrip("\0 ")
        return uid if RE_VALID_UID.match(uid) else None  # a malformed one: pydicom's way, with its warnings
    if vr == "AE":
        return raw.decode("ascii").strip() if _PLAIN_AE.fullmatch(raw) and raw.strip() else None
    return None


_CONFORMANT_UID = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*")  # PS3.5 9.1


def _set_uid(value, name, allow_empty=True, allow_none=True, validate=True):
    """``pynetdicom.utils.set_uid`` as the DIMSE primitives call it: a conformant UID of at most 64 characters
    passes every check it makes, without a word logged, so it is made a ``UID`` without validating it three more
    times (pydicom's ``UID`` validates, pynetdicom's validator builds another and checks conformance). Anything
    else, pynetdicom's way."""
    if type(value) in (str, UID) and len(value) <= 64 and _CONFORMANT_UID.fullmatch(value):
        return value if type(value) is UID else UID(value, validation_mode=config.IGNORE)
    return _pynetdicom_set_uid(value, name, allow_empty, allow_none, validate)


_pynetdicom_set_uid = dimse_primitives.set_uid
_US = Struct("<H")
_UL = Struct("<L")
_pynetdicom_message_to_primitive = dimse_messages.DIMSEMessage.message_to_primitive


def _message_to_primitive(self):
    """``DIMSEMessage.message_to_primitive`` for a plain C-STORE-RQ: the primitive's attributes set from the
    command set's elements as received, without converting each into a pydicom data element first (and
    pydicom's validation of each, which the primitive's own setters repeat). Anything else: pynetdicom's way."""
    primitive = _store_request_primitive(self) if type(self) is dimse_messages.C_STORE_RQ else None
    return _pynetdicom_message_to_primitive(self) if primitive is None else primitive


def _store_request_primitive(message) -> C_STORE | None:
    values = {}
    for tag, element in message.command_set._dict.items():
        known = _STORE_REQUEST_ELEMENTS.get(tag)
        if known is None:
            return None  # not a plain C-STORE-RQ: whatever it holds, pynetdicom's way
        name, vr = known
        if type(element) is RawDataElement:
            value = command_value(vr, element.value)
        elif type(element) is DataElement and element.VM == 1:  # converted already (read by decode_msg)
            value = element.value
        else:
            value = None
        if value is None:
            return None  # pydicom's way: a value it cannot read ends the association there, as before
        if name is not None:
            values[name] = value
    primitive = C_STORE()
    for name, value in values.items():
        setattr(primitive, name, value)  # the primitive's setters check and convert, as in pynetdicom's way
    primitive.DataSet = message.data_set
    primitive._context_id = message.context_id
    primitive._dataset_path = message._data_set_path
    primitive._dataset_file = message._data_set_file
    return primitive


FIRST_READ = 1 << 18  # bytes; a longer PDU's buffer grows as its data arrives
P_DATA_TF_TYPE = 0x04
_PDU_HEADER = Struct(">BBL")  # PDU type, reserved, PDU length (PS3.8 9.3.1)
_PDU_TYPES = frozenset(range(0x01, 0x08))
_PDV_HEADER = Struct(">LB")  # item length, presentation context ID (PS3.8 9.3.5.1)


def receive(sock, nr_bytes: int, prefix: bytes = b"", ahead: int = 0) -> bytearray:
    """``prefix`` and then ``nr_bytes`` read from ``sock``, in one buffer; fewer only if the peer closed. The buffer
    grows as data arrives, so a peer that announces a huge PDU and sends little costs little memory. With
    ``ahead``, up to that many bytes more are taken if they have arrived already (they follow what was asked for:
    the caller keeps them)."""
    end = len(prefix) + nr_bytes
    buffer = bytearray(min(end + ahead, len(prefix) + FIRST_READ))
    buffer[: len(prefix)] = prefix
    return _read_into(sock, buffer, len(prefix), end, ahead)


def _read_into(sock, buffer: bytearray, received: int, end: int, ahead: int) -> bytearray:
    """``buffer``, its first ``received`` bytes read already, filled from ``sock`` to ``end`` and up to ``ahead``
    bytes past it (growing as data arrives), and cut to what was read."""
    while received < end:
        if received >= len(buffer):
            buffer += bytes(min(end + ahead - received, max(received, FIRST_READ)))
        with memoryview(buffer) as view:
            count = sock.recv_into(view[received:])
        if not count:
            break
        received += count
    del buffer[received:]
    return buffer


READ_AHEAD = 1 << 16  # bytes asked for past the PDU being read: the next one's start, when it has arrived


def next_pdu(sock, inbox: bytearray) -> bytearray:
    """The next PDU read from ``sock``, header included, in one buffer (shorter only if the peer closed; just its
    header if its type is unknown), taking first what ``inbox`` holds: the bytes read past the previous PDU. Bytes
    read past this one are left in ``inbox``. Asking the kernel for the next PDU's start with each one usually saves
    a call for its header, and the wait before it (``pacs.dicom.reactor`` looks in the inbox first)."""
    if len(inbox) < 6:
        stream = receive(sock, 6 - len(inbox), bytes(inbox), ahead=FIRST_READ)
    else:
        stream = inbox[:]
    inbox.clear()
    if len(stream) < 6:
        return stream
    if stream[0] not in _PDU_TYPES:
        del stream[6:]
        return stream
    end = 6 + _PDU_HEADER.unpack_from(stream)[2]
    if len(stream) < end:
        _read_into(sock, stream, len(stream), end, READ_AHEAD)
    if len(stream) > end:
        inbox += stream[end:]
        del stream[end:]
    return stream


def _inbox(provider) -> bytearray:
    """The bytes read past the last PDU on this association's socket (kept on the socket object)."""
    assoc_socket = provider.socket
    inbox = assoc_socket.__dict__.get("lumen_inbox")
    if inbox is None:
        inbox = assoc_socket.lumen_inbox = bytearray()
    return inbox


def read_ahead(assoc_socket) -> bool:
    """Whether bytes read past the last PDU wait in this socket's inbox (the next PDU has begun to arrive)."""
    return bool(getattr(assoc_socket, "__dict__", {}).get("lumen_inbox"))


def _read_pdu_data(self) -> None:
    """``DULServiceProvider._read_pdu_data``, the PDU read in one buffer with the start of the next one, when it has
    arrived (pynetdicom reads header and body apart and copies them together): the same events queued and
    messages logged on every path."""
    try:
        stream = next_pdu(self.socket.socket, _inbox(self))
    except (OSError, TimeoutError) as exc:
        _closed_early(self, exc)
        return
    if len(stream) < 6:
        self.event_queue.put("Evt17")  # transport connection closed
        return
    pdu_type, _, pdu_length = _PDU_HEADER.unpack_from(stream)
    if pdu_type not in _PDU_TYPES:
        dul.LOGGER.error(f"Unknown PDU type received '0x{pdu_type:02X}'")
        self.event_queue.put("Evt19")  # unrecognised or invalid PDU
        return
    if len(stream) != 6 + pdu_length:
        dul.LOGGER.error(
            f"The received PDU is shorter than expected ({len(stream)} of {6 + pdu_length} bytes received)"
        )
        self.event_queue.put("Evt17")
        return
    try:
        pdu, event = self._decode_pdu(stream)
    except Exception as exc:  # noqa: BLE001 - as pynetdicom: any decoding failure is an invalid PDU
        dul.LOGGER.error("Unable to decode the received PDU data")
        dul.LOGGER.exception(exc)
        self.event_queue.put("Evt19")
        return
    if event == "Evt10" and _store_fragments(self, pdu):
        return
    self.event_queue.put(event)
    self._recv_pdu.put(pdu)


def _store_fragments(provider, pdu) -> bool:
    """Write a P-DATA-TF's fragments straight into the C-STORE data set being received, when they are all that
    event would do: data fragments, none the last, of the message in progress, in state Sta6 with nothing queued
    before them and no handler watching the state machine. False (and nothing done) otherwise.

    This is what the state machine's DT-2 action and ``DIMSEMessage.decode_msg`` do with such a PDU (Sta6 stays
    Sta6, the fragments are appended to the data set file), without the event and PDU queues, the P-DATA
    primitive and the transition event: most of a large instance's PDUs, and most of what they cost in Python.
    A write that fails here (a full disk) ends the association through the DUL loop's own error path, which sends
    the peer an A-ABORT; the same failure in the state machine ended pynetdicom's thread without one.
    """
    if type(pdu) is not P_DATA_TF or provider.state_machine.current_state != "Sta6":
        return False
    message = provider.assoc.dimse.message
    if type(message) is not dimse_messages.C_STORE_RQ or type(message._data_set_file) is not ReceivedFile:
        return False
    if provider.event_queue.queue or provider._recv_pdu.queue or provider.assoc.get_handlers(evt.EVT_FSM_TRANSITION):
        return False
    items = pdu.presentation_data_value_items
    for item in items:
        if item.presentation_data_value[0] & 0x03 or item.presentation_context_id != message.context_id:
            return False  # a command fragment, the data set's last, or another context: the usual way
    for item in items:
        message._data_set_file.write(item.presentation_data_value[1:])
    return True


def _closed_early(provider, exc: BaseException) -> None:
    dul.LOGGER.error("Connection closed before the entire PDU was received")
    dul.LOGGER.exception(exc)
    provider.event_queue.put("Evt17")


def p_data_tf(stream: bytearray) -> P_DATA_TF | None:
    """The P-DATA-TF PDU in ``stream`` (header included), its values views of ``stream``; None unless every PDV
    item is whole and carries at least its message control header."""
    view = memoryview(stream)
    items = []
    offset, end = 6, len(stream)
    while offset < end:
        if end - offset < _PDV_HEADER.size:
            return None
        length, context_id = _PDV_HEADER.unpack_from(stream, offset)
        if length < 2 or offset + 4 + length > end:
            return None
        item = PresentationDataValueItem()
        item.presentation_context_id = context_id
        item.presentation_data_value = view[offset + 5 : offset + 4 + length]
        items.append(item)
        offset += 4 + length
    if not items:
        return None
    pdu = P_DATA_TF()
    pdu.presentation_data_value_items = items
    return pdu


_pynetdicom_decode_pdu = dul.DULServiceProvider._decode_pdu
_pynetdicom_read_pdu_data = dul.DULServiceProvider._read_pdu_data


def _decode_pdu(self, bytestream: bytearray):
    if (
        bytestream[:1] == bytes((P_DATA_TF_TYPE,))
        and not self.assoc.get_handlers(evt.EVT_DATA_RECV)
        and not self.assoc.get_handlers(evt.EVT_PDU_RECV)
    ):
        pdu = p_data_tf(bytestream)
        if pdu is not None:
            return pdu, "Evt10"  # P-DATA-TF PDU received (PS3.8 9.2)
    return _pynetdicom_decode_pdu(self, bytestream)


_SHARED = (type(None), bool, int, str)  # immutable: a context's copy may share them (UID is a str)


def copy_contexts(contexts):
    """A list of presentation contexts, copied as ``deepcopy`` would but sharing immutable values; anything that
    is not a plain ``PresentationContext`` of such values and lists of strings is deep copied."""
    if not isinstance(contexts, list):
        return copy.deepcopy(contexts)
    copies = []
    for context in contexts:
        if type(context) is not PresentationContext:
            return copy.deepcopy(contexts)
        duplicate = copy.copy(context)
        for name, value in vars(context).items():
            if type(value) is list and all(isinstance(item, str) for item in value):
                vars(duplicate)[name] = list(value)
            elif not isinstance(value, _SHARED):
                return copy.deepcopy(contexts)
        copies.append(duplicate)
    return copies


def install() -> bool:
    """Put the short cuts in place; False (and nothing changed) under another pynetdicom release."""
    if pynetdicom.__version__ != WRITTEN_FOR:
        logger.warning("pynetdicom %s: C-STORE short cuts are for %s, unused", pynetdicom.__version__, WRITTEN_FOR)
        return False
    dimse_messages.NamedTemporaryFile = ReceivedFile  # hashed and on its way to disk as it arrives
    dimse_messages.create_file_meta = _create_file_meta
    dimse_messages.write_file_meta_info = _write_file_meta_info
    dimse.DIMSEServiceProvider.send_msg = _send_msg
    dul.DULServiceProvider._read_pdu_data = _read_pdu_data
    transport.deepcopy = copy_contexts  # its one use: the AE's contexts, copied for each new association
    dul.DULServiceProvider._decode_pdu = _decode_pdu
    dimse_messages.C_STORE_RQ.message_to_primitive = _message_to_primitive
    dimse_messages.decode = _decode  # command sets only; association.py keeps its own for data sets
    dimse_primitives.set_uid = _set_uid
    return True
