"""Database helpers shared by the apps."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


class CommitNotDurable(Exception):
    """The transaction committed, but its write-ahead log could not be fsynced: it may not survive a power cut."""


@contextmanager
def durable_after_unlock(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction that is durable when the block has returned, like any other, but that holds SQLite's write
    lock for less time: its commit is made durable by an fsync of the write-ahead log once the lock is released.

    With ``synchronous=FULL`` (Lumen's setting) SQLite fsyncs the log inside the commit, while every other writer
    waits for the lock. Here the connection commits with ``synchronous=NORMAL`` (the log written, not yet
    fsynced; the database stays consistent either way); then, first of the commit's ``on_commit`` hooks, it is
    set back to ``FULL`` and the log is fsynced, so concurrent ingests fsync side by side instead of one after
    the other, and nothing the other hooks do (send a message, write more rows) follows a commit that is not on
    disk. A log that is gone by then was checkpointed into the database file, which SQLite fsyncs after every
    checkpoint in either mode. If the fsync fails, ``CommitNotDurable`` is raised: the rows are committed.

    On PostgreSQL, or inside an outer transaction (whose commit decides), this is ``transaction.atomic``.
    """
    db = connections[using]
    if db.vendor != "sqlite" or db.in_atomic_block:
        with transaction.atomic(using):
            yield
        return
    db.ensure_connection()
    log = str(db.settings_dict["NAME"]) + "-wal"
    full_again = False

    def made_durable() -> None:
        nonlocal full_again
        db.connection.execute("PRAGMA synchronous=FULL")
        full_again = True
        try:
            _fsync(log)
        except OSError as exc:
            raise CommitNotDurable(f"The database log could not be written to disk: {exc}") from exc

    db.connection.execute("PRAGMA synchronous=NORMAL")
    try:
        with transaction.atomic(using):
            transaction.on_commit(made_durable, using)
            yield
    finally:
        if not full_again and db.connection is not None:  # a closed connection opens again with FULL
            db.connection.execute("PRAGMA synchronous=FULL")


def _fsync(path: str) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return  # checkpointed into the database file and removed: nothing of this commit is left in a log
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
